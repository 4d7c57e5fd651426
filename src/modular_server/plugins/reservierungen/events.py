"""Domain event types published by the reservierungen plugin.

Every payload carries ``reservierung_id`` (the first reservation), ``ids``, ``anzahl``,
``anfrage_id``, ``artikel_id``, ``charge_ids``, ``referenz_typ`` and ``referenz_id``;
angelegt and erfuellt add ``menge``, erfuellt adds ``bewegung_id``."""

RESERVIERUNG_ANGELEGT = "reservierung.angelegt"
RESERVIERUNG_ERFUELLT = "reservierung.erfuellt"
RESERVIERUNG_STORNIERT = "reservierung.storniert"
RESERVIERUNG_ABGELAUFEN = "reservierung.abgelaufen"
