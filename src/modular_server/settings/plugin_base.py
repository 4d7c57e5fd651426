"""The base class of a plugin's settings model."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class PluginSettings(BaseModel):
    """Subclass it for the model a plugin returns from ``plugin_settings``.

    Values come from the plugin's namespace: ``MODULAR_SERVER_<PLUGIN>__<FIELD>`` in the
    environment or ``.env``, then the ``[<plugin>]`` table of ``modular-server.toml``, then the
    defaults. Unknown keys are refused (a typo is an ``invalid_config`` state, not a silently
    ignored value); use ``SecretStr`` for secrets so they never show in logs or reports.
    """

    model_config = ConfigDict(extra="forbid")
