"""Settings of the chargen plugin (namespace ``[chargen]`` / ``MODULAR_SERVER_CHARGEN__*``)."""

from __future__ import annotations

from pydantic import Field

from modular_server.plugin import PluginSettings


class ChargenSettings(PluginSettings):
    #: a batch whose MHD falls within this many days raises ``charge.laeuft_ab`` in the expiry check
    ablauf_warnung_tage: int = Field(default=30, ge=1, le=3650)
    #: upper bound for ``tiefe`` of GET /chargen/{id}/verfolgung (genealogy levels each way)
    verfolgung_max_tiefe: int = Field(default=20, ge=1, le=100)
    #: default ``tiefe`` of GET /chargen/{id}/verfolgung (capped by verfolgung_max_tiefe)
    verfolgung_tiefe: int = Field(default=10, ge=1, le=100)
