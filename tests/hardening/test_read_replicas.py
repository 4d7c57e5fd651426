"""Read replicas: GET routes read from a replica, writes (and key checks) use the primary."""

import pytest

from modular_server.testing.harness import temporary_postgres_database


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_get_reads_the_replica_and_writes_go_to_the_primary(make_app, database_url):
    async with temporary_postgres_database() as replica_url:
        # The "replica" is a second database with the same schema but different rows, so the
        # answer shows where each request read from.
        async with make_app(database_url=replica_url) as replica:
            await replica.app.state.keys.create("nur-im-replikat", "read")

        async with make_app(database_replica_urls=[replica_url]) as running:
            listed = {k["name"] for k in (await running.client.get("/api/v1/system/keys")).json()["items"]}
            assert "nur-im-replikat" in listed, "GET must read from the replica"

            created = await running.client.post("/api/v1/system/keys", json={"name": "neu", "scope": "read"})
            assert created.status_code == 201
            async with running.app.state.db.session() as primary:
                names = set((await primary.execute(_key_names())).scalars())
            assert "neu" in names and "nur-im-replikat" not in names, "writes go to the primary only"
            listed = {k["name"] for k in (await running.client.get("/api/v1/system/keys")).json()["items"]}
            assert "neu" not in listed, "the replica has not replicated it (there is no replication here)"


def _key_names():
    from sqlalchemy import select

    from modular_server.core.models import ApiKey

    return select(ApiKey.name)
