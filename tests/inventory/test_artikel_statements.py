"""Artikel and Einheiten lists and details cost a fixed number of SQL statements,
whatever the page size, page depth or number of ids looked up."""

from __future__ import annotations

from typing import Any

import pytest

from modular_server.testing import BOTH, RunningApp
from tests.inventory.support import read_statements
from tests.support.rows import InsertRows

PLUGINS = ["artikel"]


async def _measured(running: RunningApp, url: str) -> tuple[int, dict[str, Any]]:
    with running.count_statements() as counter:
        response = await running.client.get(url)
    assert response.status_code == 200, response.text
    return counter.count, response.json()


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_artikel_reads_cost_one_select_at_any_page_size(make_app, backend: str, insert_rows: InsertRows):
    async with make_app(only=PLUGINS) as running:
        (stueck,) = await insert_rows(
            running, "einheit", [{"code": "stk", "name": "Stück", "kategorie": "stueck", "faktor": 1}]
        )
        rows = [
            {
                "nummer": f"A-{i:04d}",
                "name": f"Artikel {i}",
                "kategorie": f"k{i % 3}",
                "einheit_id": stueck,
                "chargenpflicht": True,
                "mindestbestand": 0,
                "aktiv": True,
            }
            for i in range(150)
        ]
        ids = await insert_rows(running, "artikel", rows)
        await running.client.get("/api/v1/artikel?limit=1")  # warm-up: the API-key check is cached afterwards
        one_select = read_statements(backend, 1)

        count, page = await _measured(running, "/api/v1/artikel?limit=1")
        assert (count, len(page["items"])) == (one_select, 1)
        count, page = await _measured(running, "/api/v1/artikel?limit=100")
        assert (count, len(page["items"])) == (one_select, 100)
        assert all(item["einheit"]["code"] == "stk" for item in page["items"])  # embedded in the same SELECT

        count, deep = await _measured(running, f"/api/v1/artikel?limit=100&cursor={page['next_cursor']}")
        assert count == one_select
        assert [a["id"] for a in deep["items"]] == ids[100:] and deep["next_cursor"] is None

        count, filtered = await _measured(running, "/api/v1/artikel?limit=100&kategorie=k1&aktiv=true&name=Artikel%201")
        assert count == one_select
        assert {a["kategorie"] for a in filtered["items"]} == {"k1"}

        count, one = await _measured(running, f"/api/v1/artikel?ids={ids[0]}")
        assert (count, len(one["items"])) == (one_select, 1)
        count, bulk = await _measured(running, "/api/v1/artikel?ids=" + ",".join(map(str, ids[:120])))
        assert count == one_select
        assert [a["id"] for a in bulk["items"]] == ids[:120] and bulk["next_cursor"] is None

        count, detail = await _measured(running, f"/api/v1/artikel/{ids[7]}")
        assert (count, detail["nummer"]) == (one_select, "A-0007")
        count, _ = await _measured(running, "/api/v1/einheiten?limit=1")
        assert count == one_select
        count, _ = await _measured(running, "/api/v1/einheiten?limit=100")
        assert count == one_select
        count, _ = await _measured(running, f"/api/v1/einheiten/{stueck}")
        assert count == one_select
