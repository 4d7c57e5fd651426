"""secret_key is never a public default; cursors are bound to their installation, list and filters."""

from __future__ import annotations

import stat

import pytest

from modular_server.core.secret import SECRET_FILE, InsecureSecretKey, require_own_secret, secret_key
from modular_server.settings import Settings
from tests.core.cli import clean_environment, run

PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
BAD_CURSOR = "urn:modular-server:problem:bad-cursor"


def test_the_public_default_is_refused_on_postgresql_and_with_several_workers(tmp_path):
    with pytest.raises(InsecureSecretKey, match="MODULAR_SERVER_SECRET_KEY"):
        require_own_secret(Settings(database_url=PG_URL, data_dir=tmp_path), workers=1)
    sqlite = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", data_dir=tmp_path)
    with pytest.raises(InsecureSecretKey, match="2 workers"):
        require_own_secret(sqlite, workers=2)
    require_own_secret(sqlite, workers=1)
    for given in ("change-me-in-production", ""):
        with pytest.raises(InsecureSecretKey):
            require_own_secret(Settings(database_url=PG_URL, secret_key=given), workers=1)
    require_own_secret(Settings(database_url=PG_URL, secret_key="a-private-one"), workers=4)
    assert secret_key(Settings(database_url=PG_URL, secret_key="a-private-one")) == "a-private-one"


def test_serve_exits_2_with_one_line(tmp_path):
    on_postgres = run(["serve"], clean_environment(PG_URL), tmp_path)
    assert on_postgres.returncode == 2
    lines = on_postgres.stderr.strip().splitlines()
    assert len(lines) == 1 and "secret_key is not set" in lines[0] and "Traceback" not in on_postgres.stderr
    sqlite = clean_environment(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", data_dir=str(tmp_path / "data"))
    two_workers = run(["serve", "--workers", "2"], sqlite, tmp_path)
    assert two_workers.returncode == 2 and "2 workers" in two_workers.stderr


def test_sqlite_generates_one_private_key_per_installation(tmp_path):
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", data_dir=tmp_path / "data")
    first = secret_key(settings)
    path = tmp_path / "data" / SECRET_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) >= 32 and first != "change-me-in-production"
    assert secret_key(settings) == first  # created once, read from then on
    other = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'y.db'}", data_dir=tmp_path / "other")
    assert secret_key(other) != first


async def _cursor(client, path: str, **params) -> str:
    page = await client.get(path, params={"limit": 1, **params})
    assert page.status_code == 200, page.text
    cursor = page.json()["next_cursor"]
    assert cursor
    return cursor


async def _einheiten(client, n: int) -> None:
    for i in range(n):
        body = {"code": f"cur-{i}", "name": f"Cursor {i}", "kategorie": "stueck", "faktor": "1"}
        assert (await client.post("/api/v1/einheiten", json=body)).status_code == 201


async def test_a_cursor_of_another_installation_is_refused(make_app, tmp_path):
    async with make_app(data_dir=tmp_path / "one") as one:
        await _einheiten(one.client, 2)
        cursor = await _cursor(one.client, "/api/v1/einheiten")
        assert (await one.client.get("/api/v1/einheiten", params={"cursor": cursor})).status_code == 200
    async with make_app(data_dir=tmp_path / "one") as restarted:
        # the same installation after a restart: its key was kept
        assert (await restarted.client.get("/api/v1/einheiten", params={"cursor": cursor})).status_code == 200
    async with make_app(data_dir=tmp_path / "two") as other:
        r = await other.client.get("/api/v1/einheiten", params={"cursor": cursor})
        assert r.status_code == 400 and r.json()["type"] == BAD_CURSOR


async def test_a_cursor_is_bound_to_its_list_and_filters(running):
    await _einheiten(running.client, 3)
    audit = "/api/v1/system/audit"
    cursor = await _cursor(running.client, audit, table="einheit")
    # the same list and filters: accepted, whatever the page size
    same = await running.client.get(audit, params={"table": "einheit", "limit": 2, "cursor": cursor})
    assert same.status_code == 200, same.text
    for other_filters in ({"table": "api_key"}, {}, {"table": "einheit", "principal": "x"}):
        r = await running.client.get(audit, params={**other_filters, "cursor": cursor})
        assert r.status_code == 400, (other_filters, r.text)
        body = r.json()
        assert body["type"] == BAD_CURSOR and body["errors"][0]["field"] == "query.cursor"
    another_list = await running.client.get("/api/v1/einheiten", params={"cursor": cursor})
    assert another_list.status_code == 400 and another_list.json()["type"] == BAD_CURSOR
