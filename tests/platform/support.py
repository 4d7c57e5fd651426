"""The installed faulty plugins (tests/faulty_plugins) and the plugins that witness they harm nobody."""

from __future__ import annotations

from typing import Any

import httpx

#: every plugin of the modular-server-faulty-plugins distribution
FAULTY = (
    "faulty_future_contract",
    "faulty_gates",
    "faulty_health",
    "faulty_migration",
    "faulty_migration_dependent",
    "faulty_missing_import",
    "faulty_owner",
    "faulty_relationship",
    "faulty_startup_raises",
    "faulty_sync_hang",
    "faulty_table_clash",
)
#: healthy installed plugins loaded beside them: a third party's (hello) and first-party ones
#: with tables, migrations and routes, loaded after the faulty ones
WITNESSES = ("hello", "artikel", "chargen", "lager")
EVERYONE = FAULTY + WITNESSES
#: the faults that cannot wait for settings: present whenever the distribution is installed
ALWAYS_FAILING = {"faulty_future_contract": "setup_failed", "faulty_missing_import": "missing_dependency"}


async def assert_witnesses_serve(client: httpx.AsyncClient, records: dict[str, Any]) -> None:
    """Every witness is active and answers; so does faulty_owner, whose only fault is its neighbours."""
    for name in (*WITNESSES, "faulty_owner"):
        assert records[name].state.value == "active", (name, records[name].reason)
    assert (await client.get("/api/v1/hello")).status_code == 200
    assert (await client.get("/api/v1/artikel")).status_code == 200
    owner = await client.get("/api/v1/faulty_owner/ping")
    assert owner.status_code == 200 and owner.json() == {"plugin": "faulty_owner", "status": "ok"}


async def assert_unavailable(client: httpx.AsyncClient, name: str, state: str, reason: str) -> None:
    answer = await client.get(f"/api/v1/{name}/ping")
    assert answer.status_code == 503
    problem = answer.json()
    assert (problem["plugin"], problem["state"]) == (name, state)
    assert problem["detail"] == f"plugin {name!r} is {state}: {reason}"
    assert problem["request_id"] == answer.headers["x-request-id"]
