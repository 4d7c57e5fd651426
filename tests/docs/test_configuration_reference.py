"""docs/configuration.md is generated from the settings models; it must not drift from them."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel

from modular_server.settings import Settings
from modular_server.settings.core import PluginSelection
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
    # no default value at all: unset means generated per installation (SQLite) or refused
    assert "`null`" in row and "generated once" in row


def test_field_comments_are_read_from_the_model_source() -> None:
    docs = comment_docs(Settings)
    assert docs["host"] == "for ``modular-server serve``"
    assert "auto_migrate" in docs


def _every_settings_model() -> dict[str, type[BaseModel]]:
    return {"core": Settings, "core plugins": PluginSelection, **first_party_plugin_settings()}


@pytest.mark.parametrize("namespace", sorted(_every_settings_model()))
def test_every_setting_says_what_it_means(namespace: str) -> None:
    # the reference shows a field's description, or else the ``#:`` comment above it
    model = _every_settings_model()[namespace]
    comments = comment_docs(model)
    undescribed = [name for name, field in model.model_fields.items() if not (field.description or comments.get(name))]
    assert undescribed == [], f"{namespace}: give these settings a description or a #: comment: {undescribed}"
