"""The audit trail: who, when, what and the request id, written with the change itself."""

import pytest

from modular_server.testing import BOTH


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_admin_actions_and_row_changes_are_audited(make_app):
    async with make_app() as running:
        created = await running.client.post(
            "/api/v1/system/keys",
            json={"name": "lager-terminal", "scope": "write"},
            headers={"X-Request-ID": "req-create-1"},
        )
        assert created.status_code == 201
        revoked = await running.client.delete(
            "/api/v1/system/keys/lager-terminal", headers={"X-Request-ID": "req-revoke-1"}
        )
        assert revoked.status_code == 204
        await running.app.state.host.stop(running.app)  # drain background audit writes

        trail = (await running.client.get("/api/v1/system/audit", params={"request_id": "req-create-1"})).json()[
            "items"
        ]
        insert = next(e for e in trail if e["action"] == "insert")
        assert insert["table_name"] == "api_key"
        assert insert["principal"] == "test-admin"
        assert insert["detail"]["name"] == "lager-terminal"
        assert "digest" not in insert["detail"], "secrets never reach the audit trail"
        admin = next(e for e in trail if e["action"] == "admin")
        assert admin["detail"] == {"method": "POST", "route": "/api/v1/system/keys", "status": 201}

        revocation = (await running.client.get("/api/v1/system/audit", params={"request_id": "req-revoke-1"})).json()[
            "items"
        ]
        assert {e["action"] for e in revocation} == {"update", "admin"}
        assert next(e for e in revocation if e["action"] == "update")["table_name"] == "api_key"


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_rolled_back_changes_leave_no_audit_entry(make_app):
    async with make_app() as running:
        before = (await running.client.get("/api/v1/system/audit", params={"table": "api_key"})).json()["items"]
        duplicate = await running.client.post("/api/v1/system/keys", json={"name": "test-read", "scope": "read"})
        assert duplicate.status_code == 409
        after = (await running.client.get("/api/v1/system/audit", params={"table": "api_key"})).json()["items"]
        assert after == before


async def test_audit_trail_pages_with_a_cursor_and_needs_admin(make_app):
    async with make_app() as running:
        for i in range(5):
            assert (
                await running.client.post("/api/v1/system/keys", json={"name": f"k{i}", "scope": "read"})
            ).status_code == 201
        first = (await running.client.get("/api/v1/system/audit", params={"table": "api_key", "limit": 3})).json()
        assert len(first["items"]) == 3 and first["next_cursor"]
        second = (
            await running.client.get(
                "/api/v1/system/audit", params={"table": "api_key", "limit": 3, "cursor": first["next_cursor"]}
            )
        ).json()
        ids = [e["id"] for e in first["items"] + second["items"]]
        assert ids == sorted(ids, reverse=True) and len(set(ids)) == len(ids)
        tampered = await running.client.get(
            "/api/v1/system/audit", params={"cursor": first["next_cursor"][:-3] + "AAA"}
        )
        assert tampered.status_code == 400
        assert (await running.as_scope("write").get("/api/v1/system/audit")).status_code == 403


FIRST_PARTY_AUDITED = {
    "api_key",  # the core's
    "artikel",
    "einheit",  # artikel
    "charge",
    "charge_herkunft",  # chargen
    "lager",
    "lagerort",
    "lagerbewegung",  # lager
    "lager_chargen_reservierung",  # reservierungen
}


async def test_the_audited_tables_are_the_cores_and_those_the_active_plugins_declare(make_app):
    async with make_app() as running:
        assert running.app.state.db.audited == FIRST_PARTY_AUDITED
    async with make_app(disabled=["reservierungen"]) as running:
        assert running.app.state.db.audited == FIRST_PARTY_AUDITED - {"lager_chargen_reservierung"}


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_a_deployment_adds_and_excludes_audited_tables(make_app):
    async with make_app(audit_excluded_tables=["einheit"], audit_extra_tables=["notification_webhook"]) as running:
        assert running.app.state.db.audited == FIRST_PARTY_AUDITED - {"einheit"} | {"notification_webhook"}
        unit = {"code": "stk", "name": "Stück", "kategorie": "stueck", "faktor": "1"}
        einheit = (await running.client.post("/api/v1/einheiten", json=unit)).json()
        artikel = await running.client.post(
            "/api/v1/artikel", json={"nummer": "A-1", "name": "Mehl", "einheit_id": einheit["id"]}
        )
        assert artikel.status_code == 201
        trail = (await running.client.get("/api/v1/system/audit", params={"limit": 200})).json()["items"]
        tables = {entry["table_name"] for entry in trail}
        assert "artikel" in tables and "einheit" not in tables


def test_the_deprecated_audit_tables_setting_still_works_and_warns(settings_factory):
    from modular_server.core.audit import audited_tables

    with pytest.warns(DeprecationWarning, match="audit_tables is deprecated"):
        settings = settings_factory(audit_tables=["artikel"])
    assert audited_tables(settings, []) == {"artikel"}


def test_a_plugin_audits_only_tables_it_owns(settings_factory, caplog):
    from modular_server.core.audit import audited_tables
    from modular_server.core.sources import PluginSource
    from modular_server.core.states import PluginRecord
    from modular_server.hooks import PluginSpec

    spec = PluginSpec(name="greedy", audited_tables=("greedy_order", "artikel"))
    record = PluginRecord(PluginSource.from_object(object(), name="greedy"), spec=spec, tables=("greedy_order",))
    with caplog.at_level("WARNING", logger="modular_server.audit"):
        assert audited_tables(settings_factory(), [record]) == {"api_key", "greedy_order"}
    assert "greedy" in caplog.text and "artikel" in caplog.text


def test_the_manifest_key_is_a_list_of_strings():
    from modular_server.hooks.manifest import ManifestError, parse_manifest

    assert parse_manifest('name = "x"\naudited_tables = ["x_row"]').spec.audited_tables == ("x_row",)
    with pytest.raises(ManifestError, match="audited_tables"):
        parse_manifest('name = "x"\naudited_tables = "x_row"')
