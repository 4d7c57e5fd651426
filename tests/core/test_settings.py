"""Settings: env > .env > TOML > defaults, for the core and each plugin's namespace; secrets stay secret."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from modular_server.settings import Settings, load_plugin_settings
from tests.fakes import healthy, tuned

SECRET = "hunter2-do-not-print"


@pytest.fixture
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory with a TOML file and a .env file, and a clean environment."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MODULAR_SERVER_CONFIG", raising=False)
    for name in ("MODULAR_SERVER_PORT", "MODULAR_SERVER_TUNED__LIMIT", "MODULAR_SERVER_TUNED__MODE"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "modular-server.toml").write_text(
        'port = 7000\nlog_level = "warning"\n\n[tuned]\nlimit = 1\nmode = "toml"\nlabel = "toml"\n'
    )
    (tmp_path / ".env").write_text(
        "MODULAR_SERVER_PORT=7001\nMODULAR_SERVER_TUNED__LIMIT=2\nMODULAR_SERVER_TUNED__MODE=dotenv\n"
    )
    return tmp_path


def test_plugin_settings_precedence_env_over_dotenv_over_toml_over_default(config_dir, monkeypatch):
    monkeypatch.setenv("MODULAR_SERVER_TUNED__LIMIT", "3")
    loaded = load_plugin_settings(tuned.TunedSettings, Settings(), "tuned")
    assert (loaded.limit, loaded.mode, loaded.label, loaded.colour) == (3, "dotenv", "toml", "default")

    monkeypatch.delenv("MODULAR_SERVER_TUNED__LIMIT")
    assert load_plugin_settings(tuned.TunedSettings, Settings(), "tuned").limit == 2
    (config_dir / ".env").unlink()
    loaded = load_plugin_settings(tuned.TunedSettings, Settings(), "tuned")
    assert (loaded.limit, loaded.mode) == (1, "toml")


def test_core_settings_precedence_and_config_path(config_dir, monkeypatch):
    monkeypatch.setenv("MODULAR_SERVER_PORT", "7002")
    assert Settings().port == 7002
    monkeypatch.delenv("MODULAR_SERVER_PORT")
    assert Settings().port == 7001
    (config_dir / ".env").unlink()
    assert (Settings().port, Settings().log_level) == (7000, "warning")
    elsewhere = config_dir / "conf" / "other.toml"
    elsewhere.parent.mkdir()
    elsewhere.write_text("port = 7100\n")
    monkeypatch.setenv("MODULAR_SERVER_CONFIG", str(elsewhere))
    assert Settings().port == 7100


async def test_invalid_env_value_makes_the_plugin_invalid_config(make_app, monkeypatch):
    monkeypatch.setenv("MODULAR_SERVER_TUNED__LIMIT", "many")
    async with make_app([healthy, tuned], discover=False) as running:
        record = running.app.state.host.records["tuned"]
        assert record.state.value == "invalid_config"
        assert (
            record.reason
            == "invalid settings: limit: Input should be a valid integer, unable to parse string as an integer"
        )
        assert record.hint == "fix MODULAR_SERVER_TUNED__* or the [tuned] table"
        assert (await running.client.get("/api/v1/healthy")).status_code == 200
        assert (await running.client.get("/api/v1/tuned")).status_code == 503


async def test_valid_settings_reach_the_plugin(make_app, monkeypatch):
    monkeypatch.setenv("MODULAR_SERVER_TUNED__LIMIT", "42")
    async with make_app([tuned], discover=False) as running:
        assert running.app.state.host.settings_for("tuned").limit == 42
        assert (await running.client.get("/api/v1/tuned")).json()["limit"] == 42


async def test_secrets_never_appear_in_any_output(make_app, monkeypatch, caplog):
    caplog.set_level("DEBUG")
    monkeypatch.setenv("MODULAR_SERVER_TUNED__TOKEN", SECRET)
    async with make_app([tuned], discover=False) as running:
        settings = running.app.state.host.settings_for("tuned")
        assert settings.token.get_secret_value() == SECRET
        outputs = [
            repr(settings),
            str(settings),
            settings.model_dump_json(),
            json.dumps(running.app.state.host.report()),
            (await running.client.get("/api/v1/system/plugins")).text,
            (await running.client.get("/api/v1/tuned")).text,
        ]
    monkeypatch.setenv("MODULAR_SERVER_TUNED__LIMIT", "0")
    async with make_app([tuned], discover=False) as running:
        record = running.app.state.host.records["tuned"]
        assert record.state.value == "invalid_config"
        outputs += [record.reason, (await running.client.get("/api/v1/tuned")).text]
    outputs.append(caplog.text)
    assert not [o for o in outputs if SECRET in o]
