"""Domain event types published by the reservierungen plugin (payload: the reservation)."""

RESERVIERUNG_ANGELEGT = "reservierung.angelegt"
RESERVIERUNG_ERFUELLT = "reservierung.erfuellt"
RESERVIERUNG_STORNIERT = "reservierung.storniert"
RESERVIERUNG_ABGELAUFEN = "reservierung.abgelaufen"
