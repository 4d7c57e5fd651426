"""`modular-server demo-data` and `modular-server lager verify`, through the real command."""

from __future__ import annotations

import sqlite3
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from modular_server.core.database import Base
from modular_server.plugins.lager import demo
from modular_server.testing import BOTH
from tests.core.cli import clean_environment, run
from tests.inventory.world import INVENTORY, drift


def test_demo_data_fills_once_and_verify_finds_drift(database_url, tmp_path):
    """On SQLite (the default backend), which the command migrates by itself; both backends are
    covered in-process below."""
    env = clean_environment(database_url, plugins__enabled='["artikel","chargen","lager","reservierungen"]')
    filled = run(["demo-data", "--scale", "1", "--if-empty"], env, tmp_path)
    assert filled.returncode == 0, filled.stderr
    assert "demo data loaded" in filled.stdout and "1000 artikel" in filled.stdout
    again = run(["demo-data", "--scale", "1", "--if-empty"], env, tmp_path)
    assert again.returncode == 0 and "nothing to do" in again.stdout
    refused = run(["demo-data", "--scale", "1"], env, tmp_path)
    assert refused.returncode == 1
    verified = run(["lager", "verify"], env, tmp_path)
    assert verified.returncode == 0 and "agrees" in verified.stdout, verified.stdout + verified.stderr
    with sqlite3.connect(database_url.split("///", 1)[1]) as conn:
        conn.execute("UPDATE bestand SET reserviert = reserviert + 1 WHERE id = 7")
    drifted = run(["lager", "verify"], env, tmp_path)
    assert drifted.returncode == 1
    assert "reserviert" in drifted.stdout and "1 balance value(s) disagree" in drifted.stdout


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_demo_dataset_is_consistent_and_verify_reports_each_drift(make_app):
    async with make_app(only=INVENTORY) as running:
        db = running.app.state.db
        tables = demo.generate(1, date.today(), with_reservations=True)
        assert not await demo.has_data(db)
        loaded: dict[str, int] = {}
        await demo.load(db, tables, lambda table, rows: loaded.__setitem__(table, loaded.get(table, 0) + rows))
        assert loaded == {name: len(rows) for name, rows in tables.items() if rows}
        assert await demo.has_data(db)
        assert await drift(running) == []
        async with db.session() as session:
            for name in ("artikel", "charge", "lagerbewegung", "bestand", "lager_chargen_reservierung"):
                table = Base.metadata.tables[name]
                assert await session.scalar(select(func.count()).select_from(table)) == len(tables[name]), name
            kinds = set(await session.scalars(select(Base.metadata.tables["lagerbewegung"].c.typ).distinct()))
            assert kinds == {"eingang", "ausgang", "umbuchung"}
        # the sequences moved past the explicit ids: the API books on top of the dataset
        ort = next(o for o in tables["lagerort"] if not o["gesperrt"])
        key = next(b for b in tables["bestand"] if b["lagerort_id"] == ort["id"])
        body = {
            "typ": "eingang",
            "artikel_id": key["artikel_id"],
            "charge_id": key["charge_id"],
            "nach_lagerort_id": ort["id"],
            "menge": "1",
        }
        booked = await running.client.post("/api/v1/bewegungen", json=body)
        assert booked.status_code == 201 and booked.json()["id"] == len(tables["lagerbewegung"]) + 1
        async with db.engine.begin() as conn:
            await conn.execute(text("UPDATE bestand SET menge = menge + 1 WHERE id = 1"))
        (found,) = await drift(running)
        assert found.column == "menge" and found.key[0] == tables["bestand"][0]["artikel_id"]
        assert found.stored - found.expected == Decimal(1)
