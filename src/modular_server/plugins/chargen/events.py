"""Domain event types raised by the chargen plugin (``DomainEvent.type``), in one place.

Payloads always carry ``charge_id``, ``artikel_id`` and ``nummer``; see docs/api/artikel-chargen.md
("Domain events").
"""

from __future__ import annotations

#: a batch was recalled; payload adds ``offene_reservierungen`` and ``ausgaenge`` (counts)
CHARGE_ZURUECKGERUFEN = "charge.zurueckgerufen"
#: a batch was blocked (``grund`` if given)
CHARGE_GESPERRT = "charge.gesperrt"
#: a blocked batch was released (``grund`` if given)
CHARGE_FREIGEGEBEN = "charge.freigegeben"
#: the expiry check found a free batch whose MHD is within the warning window (``mhd``, ``tage_bis_mhd``)
CHARGE_LAEUFT_AB = "charge.laeuft_ab"

ALL = (CHARGE_ZURUECKGERUFEN, CHARGE_GESPERRT, CHARGE_FREIGEGEBEN, CHARGE_LAEUFT_AB)
