"""docs/configuration.md is generated from the settings models; it must not drift from them."""

from __future__ import annotations

from pathlib import Path

from modular_server.settings import Settings
from modular_server.settings.reference import comment_docs, first_party_plugin_settings, render

CONFIGURATION_MD = Path(__file__).parents[2] / "docs" / "configuration.md"


def test_the_configuration_reference_is_generated_from_the_models() -> None:
    assert CONFIGURATION_MD.read_text() == render(), (
        "docs/configuration.md is stale: python -m modular_server.settings.reference > docs/configuration.md"
    )


def test_every_core_setting_and_every_plugin_namespace_is_documented() -> None:
    text = CONFIGURATION_MD.read_text()
    for name in Settings.model_fields:
        if name != "plugins":
            assert f"`MODULAR_SERVER_{name.upper()}`" in text, name
    assert "`MODULAR_SERVER_PLUGINS__DISABLED`" in text
    models = first_party_plugin_settings()
    # every first-party plugin with settings (the entry points name them)
    assert {"anomaly", "cache", "chargen", "monitoring", "notifications", "reservierungen"} <= set(models)
    for plugin, model in models.items():
        assert f"## Plugin `{plugin}`" in text
        for field in model.model_fields:
            assert f"`MODULAR_SERVER_{plugin.upper()}__{field.upper()}`" in text, (plugin, field)


def test_secrets_show_no_default() -> None:
    text = CONFIGURATION_MD.read_text()
    assert "change-me-in-production" not in text
    row = next(line for line in text.splitlines() if line.startswith("| `secret_key` |"))
    assert "(secret)" in row


def test_field_comments_are_read_from_the_model_source() -> None:
    docs = comment_docs(Settings)
    assert docs["secret_key"].startswith("signs pagination cursors")
    assert "auto_migrate" in docs
