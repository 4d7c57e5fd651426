"""The sample modular-server.toml.example and .env.example are valid for the real settings."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest
from dotenv import dotenv_values

from modular_server.settings import Settings
from modular_server.settings.plugins import load_plugin_settings
from modular_server.settings.reference import first_party_plugin_settings

ROOT = Path(__file__).parents[2]
TOML_EXAMPLE = ROOT / "modular-server.toml.example"
ENV_EXAMPLE = ROOT / ".env.example"


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No MODULAR_SERVER_* variables and no .env of the developer's leak into the check."""
    for name in list(os.environ):
        if name.startswith("MODULAR_SERVER_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_sample_toml_file_is_valid(clean_environment: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODULAR_SERVER_CONFIG", str(TOML_EXAMPLE))
    settings = Settings()
    table = tomllib.loads(TOML_EXAMPLE.read_text())
    assert settings.database_url == table["database_url"]
    assert settings.plugins.disabled == ["anomaly"]
    assert settings.workers == 2
    models = first_party_plugin_settings()
    plugin_tables = {key for key, value in table.items() if isinstance(value, dict) and key != "plugins"}
    assert plugin_tables and plugin_tables <= set(models)
    for plugin in plugin_tables:
        loaded = load_plugin_settings(models[plugin], settings, plugin)
        for field, value in table[plugin].items():
            assert str(getattr(loaded, field)) == str(value) or getattr(loaded, field) == value


def test_the_sample_env_file_is_valid(clean_environment: Path) -> None:
    (clean_environment / ".env").write_text(ENV_EXAMPLE.read_text())
    settings = Settings()
    values = dotenv_values(ENV_EXAMPLE)
    assert settings.database_url == values["MODULAR_SERVER_DATABASE_URL"]
    assert settings.redis_url == values["MODULAR_SERVER_REDIS_URL"]
    assert settings.secret_key.get_secret_value() == values["MODULAR_SERVER_SECRET_KEY"]
    assert settings.plugins.disabled == ["anomaly"]
    assert settings.workers == 2
    monitoring = first_party_plugin_settings()["monitoring"]
    assert load_plugin_settings(monitoring, settings, "monitoring").slow_query_ms == 200
