"""Settings of the reservierungen plugin (``[reservierungen]``, ``MODULAR_SERVER_RESERVIERUNGEN__*``)."""

from pydantic import BaseModel, Field


class ReservierungenSettings(BaseModel):
    #: how often expired reservations (past gueltig_bis) are released; 0 switches the job off
    ablauf_intervall_seconds: float = Field(default=60.0, ge=0)
