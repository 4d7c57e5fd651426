"""Reservation lists and details cost a fixed number of SQL statements at any page size or depth."""

from __future__ import annotations

from decimal import Decimal

import pytest

from modular_server.testing import BOTH
from tests.inventory.support import read_statements
from tests.inventory.world import INVENTORY, build_world


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_reservation_list_and_detail_run_one_select(make_app, backend, insert_rows):
    async with make_app(only=INVENTORY) as running:
        w = await build_world(running.client)
        await w.eingang("1000")
        row = {
            "artikel_id": w.artikel,
            "charge_id": w.chargen[0],
            "lagerort_id": w.orte[0],
            "menge": Decimal(1),
            "erfuellt": Decimal(0),
            "referenz_typ": "auftrag",
            "referenz_id": "AU-9",
            "status": "aktiv",
            "created_by": "test",
        }
        ids = await insert_rows(
            running, "lager_chargen_reservierung", [{**row, "anfrage_id": f"a-{n}"} for n in range(210)]
        )
        await running.client.get("/api/v1/reservierungen/1")  # warm-up: the API-key check is cached
        one_select = read_statements(backend, 1)
        for params in ({}, {"referenz_typ": "auftrag", "referenz_id": "AU-9"}, {"status": "aktiv"}):
            for limit in (1, 100):
                with running.count_statements() as sql:
                    first = (
                        await running.client.get("/api/v1/reservierungen", params={**params, "limit": limit})
                    ).json()
                assert sql.count == one_select, (params, limit, sql.statements)
                assert len(first["items"]) == limit
                with running.count_statements() as sql:
                    deep = await running.client.get(
                        "/api/v1/reservierungen", params={**params, "limit": limit, "cursor": first["next_cursor"]}
                    )
                assert deep.status_code == 200 and sql.count == one_select, (params, limit, "deep")
        with running.count_statements() as sql:
            detail = await running.client.get(f"/api/v1/reservierungen/{ids[-1]}")
        assert detail.json()["anfrage_id"] == "a-209" and sql.count == one_select
