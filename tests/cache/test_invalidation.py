"""Every kind of write evicts exactly the responses built from what it changed, at once."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from modular_server.testing import BOTH
from tests.cache.support import LEVELS, KioskApp, calls

K = "/api/v1/kiosk"
READS = {
    "list": f"{K}/posten",
    "p1": f"{K}/posten/1",
    "p2": f"{K}/posten/2",
    "p3": f"{K}/posten/3",
    "s1": f"{K}/sorten/1",
    "s2": f"{K}/sorten/2",
    "summe": f"{K}/vorrat/summe",
}


async def cache_states(client: httpx.AsyncClient) -> dict[str, str]:
    """X-Cache of every read (and so warms them all)."""
    return {name: (await client.get(path)).headers["x-cache"] for name, path in READS.items()}


def missed(states: dict[str, str]) -> set[str]:
    return {name for name, state in states.items() if state == "MISS"}


@pytest.mark.parametrize("backend", BOTH, indirect=True)
@pytest.mark.parametrize("level", LEVELS, indirect=True)
async def test_each_write_evicts_exactly_what_it_touched(kiosk_app: KioskApp, backend: str, level: str) -> None:
    async with kiosk_app() as running:
        client = running.client
        assert missed(await cache_states(client)) == set(READS)
        assert missed(await cache_states(client)) == set()

        # ORM update of a Posten: its row, the list over its table, its Sorte (FK)
        assert (await client.patch(f"{K}/posten/2", json={"status": "gesperrt"})).status_code == 200
        assert missed(await cache_states(client)) == {"list", "p2", "s1"}
        assert (await client.get(READS["p2"])).json()["status"] == "gesperrt"
        assert (await client.get(f"{K}/sorten/1")).json()["posten"][1]["status"] == "gesperrt"

        # ORM insert of a Vorrat row: the Posten it belongs to (FK) and the sum over its table
        assert (await client.post(f"{K}/posten/3/vorrat", json={"menge": "2.5"})).status_code == 201
        assert missed(await cache_states(client)) == {"p3", "summe"}
        assert (await client.get(READS["p3"])).json()["vorrat"][-1]["menge"] == "2.500"
        assert (await client.get(READS["summe"])).json() == {"summe": "14.500"}

        # Core UPDATE whose rows are reported with note_change: the same precision
        assert (await client.post(f"{K}/vorrat/1/buchen", json={"menge": "1"})).status_code == 200
        assert missed(await cache_states(client)) == {"p1", "summe"}
        assert (await client.get(READS["p1"])).json()["vorrat"] == [{"id": 1, "menge": "6.000"}]

        # ORM insert of a Posten: lists over its table, and its Sorte
        assert (await client.post(f"{K}/posten", json={"nummer": "P-4", "sorte_id": 2})).status_code == 201
        assert missed(await cache_states(client)) == {"list", "s2"}
        assert len((await client.get(READS["list"])).json()["items"]) == 4

        # bulk Core UPDATE without rows: every response tagged by its table or its FK targets
        assert (await client.post(f"{K}/vorrat/nullen")).status_code == 200
        assert missed(await cache_states(client)) == {"p1", "p2", "p3", "summe"}
        assert (await client.get(READS["summe"])).json() == {"summe": "0.000"}

        # a failed write (404, rolled back) evicts nothing
        assert (await client.patch(f"{K}/posten/99", json={"status": "x"})).status_code == 404
        assert missed(await cache_states(client)) == set()


@pytest.mark.parametrize("level", LEVELS, indirect=True)
async def test_a_response_computed_before_a_commit_is_not_stored(kiosk_app: KioskApp, level: str) -> None:
    """The handler reads, a write commits, the handler answers: that old answer may go to its
    own client (they were concurrent), but it must not be cached."""
    async with kiosk_app() as running:
        state = running.app.state.host.data["kiosk"]
        gate = state["gate"] = asyncio.Event()
        state["reached"] = asyncio.Event()
        reader = asyncio.create_task(running.client.get(READS["p1"]))
        await asyncio.wait_for(state["reached"].wait(), 5)
        state["gate"] = None  # later requests pass
        assert (await running.client.patch(f"{K}/posten/1", json={"status": "gesperrt"})).status_code == 200
        gate.set()
        old = await asyncio.wait_for(reader, 5)
        assert old.json()["status"] == "frei"  # read before the commit
        fresh = await running.client.get(READS["p1"])
        assert fresh.headers["x-cache"] == "MISS" and fresh.json()["status"] == "gesperrt"
        assert (await running.client.get("/api/v1/cache/stats")).json()["stale_discarded"] == 1


async def test_numeric_path_values_are_tagged_canonically(kiosk_app: KioskApp) -> None:
    async with kiosk_app() as running:
        assert (await running.client.get(f"{K}/posten/001")).json()["status"] == "frei"
        await running.client.patch(f"{K}/posten/1", json={"status": "gesperrt"})
        again = await running.client.get(f"{K}/posten/001")
        assert again.headers["x-cache"] == "MISS" and again.json()["status"] == "gesperrt"


async def test_stampede_in_process_runs_the_handler_once(kiosk_app: KioskApp) -> None:
    async with kiosk_app() as running:
        running.app.state.host.data["kiosk"]["delay"] = 0.05
        answers = await asyncio.gather(*(running.client.get(READS["p1"]) for _ in range(50)))
        assert calls(running, "get_posten") == 1
        assert {a.status_code for a in answers} == {200}
        assert len({a.content for a in answers}) == 1
        assert sorted(a.headers["x-cache"] for a in answers).count("MISS") == 1
        stats = (await running.client.get("/api/v1/cache/stats")).json()
        assert stats["hits_by_level"]["shared"] == 49 and stats["in_flight"] == 0
