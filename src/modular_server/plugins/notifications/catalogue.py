"""What a domain event looks like as a notification: title, message, link, and which payload
field names the object (for the dedupe key). Extend :data:`KINDS` for new event types; an
unknown type is still stored, with its type as title.

Event type names come from the plugins that raise them (``plugins/*/events.py``); the payload
fields a template names are that plugin's promise (tests/notifications/test_catalogue.py
raises a real event of every type here and checks each text has its values).
"""

from __future__ import annotations

import hashlib
import string
from dataclasses import dataclass
from datetime import date
from typing import Any

import orjson


@dataclass(frozen=True, slots=True)
class Kind:
    """Templates use ``{field}`` names of the event payload. A field that may be null (say, an
    optional ``grund``) belongs in ``message`` only: without it ``message_otherwise`` is shown.
    A field missing from title or link anyway (a broken contract) renders as ``?``."""

    title: str
    message: str = ""
    #: API path of the object, e.g. ``/api/v1/chargen/{charge_id}``
    link: str | None = None
    #: payload field that identifies the object: one notification per (type, object, day)
    object_field: str | None = None
    #: the message when a field ``message`` names is null or missing
    message_otherwise: str = ""


KINDS: dict[str, Kind] = {
    # reservierungen
    "reservierung.angelegt": Kind(
        "Reservierung {reservierung_id} created",
        "{menge} of Artikel {artikel_id} reserved in {anzahl} reservation(s)",
        "/api/v1/reservierungen?anfrage_id={anfrage_id}",
        "anfrage_id",
    ),
    "reservierung.erfuellt": Kind(
        "Reservierung {reservierung_id} fulfilled",
        "{menge} of Artikel {artikel_id} booked out by Bewegung {bewegung_id}",
        "/api/v1/reservierungen/{reservierung_id}",
        "reservierung_id",
    ),
    "reservierung.storniert": Kind(
        "Reservierung {reservierung_id} cancelled",
        "the reserved quantity of Artikel {artikel_id} is free again",
        "/api/v1/reservierungen/{reservierung_id}",
        "reservierung_id",
    ),
    "reservierung.abgelaufen": Kind(
        "Reservierung {reservierung_id} expired",
        "the reserved quantity is free again",
        "/api/v1/reservierungen/{reservierung_id}",
        "reservierung_id",
    ),
    # lager
    "bestand.unter_mindestbestand": Kind(
        "Artikel {artikel_nummer} below Mindestbestand",
        "stock {bestand} is below the Mindestbestand of {mindestbestand}",
        "/api/v1/artikel/{artikel_id}",
        "artikel_id",
    ),
    # chargen
    "charge.laeuft_ab": Kind(
        "Charge {nummer} expires on {mhd}",
        "Charge {nummer} of Artikel {artikel_nummer} reaches its MHD in {tage_bis_mhd} days",
        "/api/v1/chargen/{charge_id}",
        "charge_id",
    ),
    "charge.zurueckgerufen": Kind(
        "Charge {nummer} recalled",
        "{offene_reservierungen} open reservations, {ausgaenge} outgoing movements affected",
        "/api/v1/chargen/{charge_id}",
        "charge_id",
        message_otherwise="reservations and movements unknown: lager or reservierungen was not serving",
    ),
    "charge.gesperrt": Kind(
        "Charge {nummer} blocked",
        "Grund: {grund}",
        "/api/v1/chargen/{charge_id}",
        "charge_id",
        message_otherwise="no reason given",
    ),
    "charge.freigegeben": Kind(
        "Charge {nummer} released",
        "Grund: {grund}",
        "/api/v1/chargen/{charge_id}",
        "charge_id",
        message_otherwise="no reason given",
    ),
    # anomaly
    "anomaly.detected": Kind(
        "Anomaly: {reason}",
        "{kind} anomaly with score {score}",
        "/api/v1/anomalies/{anomaly_id}",
        "anomaly_id",
    ),
}


class _Lenient(string.Formatter):
    def get_value(self, key: int | str, args: Any, kwargs: Any) -> Any:
        value = kwargs.get(key) if isinstance(key, str) else None
        return "?" if value is None else value


_FORMAT = _Lenient()


def render(template: str, payload: dict[str, Any]) -> str:
    try:
        return _FORMAT.format(template, **payload)
    except (ValueError, IndexError, AttributeError):  # a malformed template must not lose the event
        return template


def fields_of(template: str) -> set[str]:
    """The payload fields a template names."""
    try:
        return {name for _text, name, _spec, _conv in _FORMAT.parse(template) if name}
    except ValueError:
        return set()


def _message(kind: Kind, payload: dict[str, Any]) -> str:
    if any(payload.get(name) is None for name in fields_of(kind.message)):
        return kind.message_otherwise
    return render(kind.message, payload)


@dataclass(frozen=True, slots=True)
class Rendered:
    title: str
    message: str
    link: str | None
    dedupe_key: str


def describe(event_type: str, payload: dict[str, Any], day: date) -> Rendered:
    kind = KINDS.get(event_type)
    if kind is None:
        return Rendered(event_type, "", None, dedupe_key(event_type, None, payload, day))
    # a link with a value missing would point nowhere: none then (a query string's "?" is fine)
    complete = kind.link and all(payload.get(name) is not None for name in fields_of(kind.link))
    link = render(kind.link, payload) if complete else None
    return Rendered(
        title=render(kind.title, payload)[:300],
        message=_message(kind, payload),
        link=link,
        dedupe_key=dedupe_key(event_type, kind.object_field, payload, day),
    )


def dedupe_key(event_type: str, object_field: str | None, payload: dict[str, Any], day: date) -> str:
    """``type:object:day``; without a known object field the payload's digest stands for the object
    (the same event content twice on one day is one notification)."""
    value = payload.get(object_field) if object_field else None
    if value is None:
        value = hashlib.sha256(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS, default=str)).hexdigest()[:24]
    return f"{event_type}:{value}:{day.isoformat()}"[:300]
