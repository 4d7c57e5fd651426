"""Every write endpoint of artikel and chargen invalidates what it affects: after each write,
every cached read equals a read fresh from its handler (``Cache-Control: no-cache``)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from modular_server.testing import BOTH
from tests.responsecache.conftest import LEVELS, CacheApp

V1 = "/api/v1"


async def _created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    return response.json()


def _reads(einheit: int, artikel: int, charge: int) -> list[str]:
    return [
        f"{V1}/einheiten",
        f"{V1}/einheiten/{einheit}",
        f"{V1}/artikel",
        f"{V1}/artikel/{artikel}",
        f"{V1}/chargen",
        f"{V1}/chargen?artikel_id={artikel}",
        f"{V1}/chargen/{charge}",
        f"{V1}/chargen/ablaufend?tage=3650&abgelaufene=true&stichtag=2030-01-01",
        f"{V1}/chargen/{charge}/verfolgung",
        f"{V1}/artikel/{artikel}/verfuegbarkeit?stichtag=2030-01-01",
    ]


async def _assert_fresh(client: httpx.AsyncClient, reads: list[str], after: str) -> None:
    for path in reads:
        served = await client.get(path)
        fresh = await client.get(path, headers={"Cache-Control": "no-cache"})
        assert served.status_code == fresh.status_code, f"{path} after {after}"
        if served.status_code == 200:
            assert served.content == fresh.content, f"{path} served stale after {after}"
            # primed again: the next write must evict it, not find it missing
            assert (await client.get(path)).headers["x-cache"] == "HIT", f"{path} after {after}"


@pytest.mark.parametrize("level", LEVELS, indirect=True)
@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_every_inventory_write_leaves_no_stale_read(cache_app: CacheApp) -> None:
    async with cache_app(inventory=True) as running:
        client = running.client
        einheit = await _created(
            await client.post(
                f"{V1}/einheiten", json={"code": "stk", "name": "Stück", "kategorie": "stueck", "faktor": 1}
            )
        )
        artikel = await _created(
            await client.post(f"{V1}/artikel", json={"nummer": "A-1", "name": "Apfel", "einheit_id": einheit["id"]})
        )
        charge = await _created(
            await client.post(f"{V1}/chargen", json={"artikel_id": artikel["id"], "nummer": "C-1", "mhd": "2030-03-01"})
        )
        parent = await _created(await client.post(f"{V1}/chargen", json={"artikel_id": artikel["id"], "nummer": "P-1"}))
        reads = _reads(einheit["id"], artikel["id"], charge["id"])
        await _assert_fresh(client, reads, "setup")
        a, c = artikel["id"], charge["id"]

        writes: list[tuple[str, str, dict[str, Any] | None, int]] = [
            ("POST", f"{V1}/einheiten", {"code": "kg", "name": "Kilo", "kategorie": "gewicht", "faktor": 1}, 201),
            ("PATCH", f"{V1}/einheiten/{einheit['id']}", {"name": "Stueck"}, 200),
            ("POST", f"{V1}/artikel", {"nummer": "B-1", "name": "Birne", "einheit_id": einheit["id"]}, 201),
            ("PATCH", f"{V1}/artikel/{a}", {"name": "Apfel rot"}, 200),
            ("POST", f"{V1}/chargen", {"artikel_id": a, "nummer": "C-2", "mhd": "2030-02-01"}, 201),
            ("PATCH", f"{V1}/chargen/{c}", {"mhd": "2030-04-01"}, 200),
            ("POST", f"{V1}/chargen/{c}/sperren", {"grund": "gesperrt"}, 200),
            ("POST", f"{V1}/chargen/{c}/freigeben", None, 200),
            ("POST", f"{V1}/chargen/{c}/herkunft", {"parent_id": parent["id"], "art": "produktion"}, 201),
            ("DELETE", f"{V1}/chargen/{c}/herkunft/{parent['id']}", None, 204),
            ("POST", f"{V1}/chargen/{c}/rueckruf", {"grund": "zurueckgerufen"}, 200),
            ("DELETE", f"{V1}/chargen/{parent['id']}", None, 204),
        ]
        for method, path, body, status in writes:
            response = await client.request(method, path, json=body)
            assert response.status_code == status, f"{method} {path}: {response.text}"
            await _assert_fresh(client, reads, f"{method} {path}")

        # deleting an Artikel and an Einheit (unreferenced ones)
        spare_einheit = await _created(
            await client.post(
                f"{V1}/einheiten", json={"code": "l", "name": "Liter", "kategorie": "volumen", "faktor": 1}
            )
        )
        spare = await _created(
            await client.post(
                f"{V1}/artikel", json={"nummer": "Z-1", "name": "Zitrone", "einheit_id": spare_einheit["id"]}
            )
        )
        reads += [f"{V1}/artikel/{spare['id']}", f"{V1}/einheiten/{spare_einheit['id']}"]
        await _assert_fresh(client, reads, "spares")
        for path in (f"{V1}/artikel/{spare['id']}", f"{V1}/einheiten/{spare_einheit['id']}"):
            assert (await client.delete(path)).status_code == 204
            await _assert_fresh(client, reads, f"DELETE {path}")


@pytest.mark.parametrize("level", LEVELS, indirect=True)
async def test_a_write_evicts_only_what_it_touches(cache_app: CacheApp) -> None:
    async with cache_app(inventory=True) as running:
        client = running.client
        einheit = await _created(
            await client.post(
                f"{V1}/einheiten", json={"code": "stk", "name": "Stück", "kategorie": "stueck", "faktor": 1}
            )
        )
        artikel = await _created(
            await client.post(f"{V1}/artikel", json={"nummer": "A-1", "name": "Apfel", "einheit_id": einheit["id"]})
        )
        # the Artikel row names its Einheit (einheit_id): "einheit:<id>" goes, the Einheit list stays
        untouched, related = f"{V1}/einheiten", f"{V1}/einheiten/{einheit['id']}"
        for path in (untouched, related, "/api/v1/probe/items/1"):
            await client.get(path)
        assert (await client.patch(f"{V1}/artikel/{artikel['id']}", json={"name": "Apfel rot"})).status_code == 200
        assert (await client.get(untouched)).headers["x-cache"] == "HIT"
        assert (await client.get("/api/v1/probe/items/1")).headers["x-cache"] == "HIT"
        assert (await client.get(related)).headers["x-cache"] == "MISS"
