"""The description states the rules the models check, so a client (and schemathesis) building a
body from it is not refused: quantities with their digits and places (and > 0), ids within their
column, a booking's locations by type, a reservation's one target. What JSON Schema cannot say
stays in the models only: that two members differ (an umbuchung's locations), the time
(``gueltig_bis`` in the future) and the database (an artikel exists, a charge belongs to it, a
key's earlier request).

Checked three ways: each schema accepts and refuses what its model does; each operation that
fuzzing found refusing generated data accepts a body built from its own example; the new limits
answer 422 naming ``body.<field>`` / ``path.<parameter>``."""

from __future__ import annotations

from typing import Any

import jsonschema_rs
import pytest
from pydantic import BaseModel, ValidationError

from modular_server.plugins.artikel.schemas import EinheitIn
from modular_server.plugins.chargen.schemas import HerkunftIn
from modular_server.plugins.lager.schemas import BewegungIn
from modular_server.plugins.reservierungen.schemas import ErfuellenIn, ReservierungIn
from modular_server.testing import BOTH, RunningApp
from tests.inventory.world import INVENTORY, build_world

INT4 = 2**31
EINGANG = {"typ": "eingang", "artikel_id": 1, "nach_lagerort_id": 3, "menge": "10.5"}
#: (model, body, whether the model accepts it)
CASES: list[tuple[type[BaseModel], dict[str, Any], bool]] = [
    (BewegungIn, EINGANG, True),
    (BewegungIn, {**EINGANG, "menge": 7}, True),
    (BewegungIn, {**EINGANG, "menge": "0.001"}, True),
    (BewegungIn, {**EINGANG, "menge": "0"}, False),
    (BewegungIn, {**EINGANG, "menge": "0.000"}, False),
    (BewegungIn, {**EINGANG, "menge": "1.2345"}, False),
    (BewegungIn, {**EINGANG, "menge": "1234567890123456"}, False),
    (BewegungIn, {**EINGANG, "menge": "zehn"}, False),
    (BewegungIn, {**EINGANG, "artikel_id": INT4}, False),
    (BewegungIn, {**EINGANG, "nach_lagerort_id": INT4}, False),
    (BewegungIn, {**EINGANG, "von_lagerort_id": 4}, False),
    (BewegungIn, {**EINGANG, "lagerort_id": 3}, False),
    (BewegungIn, {"typ": "eingang", "artikel_id": 1, "menge": "1"}, False),
    (BewegungIn, {"typ": "ausgang", "artikel_id": 1, "von_lagerort_id": 3, "menge": "1"}, True),
    (BewegungIn, {"typ": "ausgang", "artikel_id": 1, "nach_lagerort_id": 3, "menge": "1"}, False),
    (BewegungIn, {"typ": "umbuchung", "artikel_id": 1, "von_lagerort_id": 3, "nach_lagerort_id": 5, "menge": 1}, True),
    (BewegungIn, {"typ": "umbuchung", "artikel_id": 1, "von_lagerort_id": 3, "menge": "1"}, False),
    (BewegungIn, {"typ": "inventur", "artikel_id": 1, "lagerort_id": 3, "menge": "0"}, True),
    (BewegungIn, {"typ": "inventur", "artikel_id": 1, "nach_lagerort_id": 3, "menge": "1"}, False),
    (ReservierungIn, {"artikel_id": 1, "menge": "12"}, True),
    (ReservierungIn, {"charge_id": 4, "lagerort_id": 3, "menge": "0.5"}, True),
    (ReservierungIn, {"artikel_id": 1, "charge_id": 4, "menge": "1"}, False),
    (ReservierungIn, {"menge": "1"}, False),
    (ReservierungIn, {"artikel_id": 1, "menge": "0"}, False),
    (ReservierungIn, {"charge_id": INT4, "menge": "1"}, False),
    (ErfuellenIn, {"menge": "5"}, True),
    (ErfuellenIn, {"menge": "5.0001"}, False),
    (HerkunftIn, {"parent_id": 2, "art": "produktion", "menge": "25"}, True),
    (HerkunftIn, {"parent_id": 0, "art": "produktion"}, False),
    (HerkunftIn, {"parent_id": INT4, "art": "produktion"}, False),
    (HerkunftIn, {"parent_id": 2, "art": "produktion", "menge": "1E+30"}, False),
    (EinheitIn, {"code": "mg", "name": "Milligramm", "kategorie": "gewicht", "faktor": "0.000001"}, True),
    (EinheitIn, {"code": "mg", "name": "Milligramm", "kategorie": "gewicht", "faktor": "0.0000001"}, False),
    (EinheitIn, {"code": "x", "name": "Nichts", "kategorie": "gewicht", "faktor": "0"}, False),
    (EinheitIn, {"code": "t", "name": "Tonne", "kategorie": "gewicht", "faktor": 1000}, True),
]


def _model_accepts(model: type[BaseModel], body: dict[str, Any]) -> bool:
    try:
        model.model_validate(body)
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize(
    ("model", "body", "accepted"), CASES, ids=[f"{m.__name__}-{i}" for i, (m, _, _) in enumerate(CASES)]
)
def test_the_schema_accepts_and_refuses_what_the_model_does(
    model: type[BaseModel], body: dict[str, Any], accepted: bool
) -> None:
    assert _model_accepts(model, body) is accepted
    assert jsonschema_rs.Draft202012Validator(model.model_json_schema()).is_valid(body) is accepted


def test_what_json_schema_cannot_state_is_left_to_the_model() -> None:
    same_place = {"typ": "umbuchung", "artikel_id": 1, "von_lagerort_id": 3, "nach_lagerort_id": 3, "menge": "1"}
    assert jsonschema_rs.Draft202012Validator(BewegungIn.model_json_schema()).is_valid(same_place)
    assert not _model_accepts(BewegungIn, same_place)


def _example(spec: dict[str, Any], path: str, method: str, index: int = 0) -> Any:
    schema = spec["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
    variants = [v for v in schema.get("anyOf", [schema]) if v.get("type") != "null"]
    name = variants[0]["$ref"].rsplit("/", 1)[-1]
    return spec["components"]["schemas"][name]["examples"][index]


async def _accepted(running: RunningApp, method: str, url: str, body: Any = None) -> Any:
    answer = await running.client.request(method, url, json=body)
    assert answer.status_code in (200, 201, 204), f"{method} {url}: {answer.status_code} {answer.text}"
    return answer.json() if answer.content else None


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_each_operation_accepts_a_body_built_from_its_own_example(make_app: Any, backend: str) -> None:
    """The examples name artikel 1, chargen 2 and 4 (of artikel 1) and lagerorte 3 and 5: the
    inventory built here has them; each example is sent as the description shows it."""
    async with make_app(only=INVENTORY) as running:
        spec = running.app.openapi()
        example = _example(spec, "/api/v1/einheiten", "post")
        einheit = await _accepted(running, "POST", "/api/v1/einheiten", example)
        await _accepted(running, "DELETE", f"/api/v1/einheiten/{einheit['id']}")  # the world brings its own "g"

        world = await build_world(running.client, chargen=5, orte=5)
        assert world.artikel == 1 and world.chargen[3] == 4 and world.orte[2] == 3 and world.orte[4] == 5
        await _accepted(running, "POST", "/api/v1/bewegungen", _example(spec, "/api/v1/bewegungen", "post"))
        await _accepted(running, "POST", "/api/v1/bewegungen", _example(spec, "/api/v1/bewegungen", "post", 1))
        batch = await _accepted(
            running, "POST", "/api/v1/bewegungen/batch", _example(spec, "/api/v1/bewegungen/batch", "post")
        )
        storno = _example(spec, "/api/v1/bewegungen/{bewegung_id}/storno", "post")
        await _accepted(running, "POST", f"/api/v1/bewegungen/{batch['items'][1]['id']}/storno", storno)

        herkunft = _example(spec, "/api/v1/chargen/{charge_id}/herkunft", "post")
        await _accepted(running, "POST", "/api/v1/chargen/4/herkunft", herkunft)
        await _accepted(running, "DELETE", f"/api/v1/chargen/4/herkunft/{herkunft['parent_id']}")

        anfrage = await _accepted(
            running, "POST", "/api/v1/reservierungen", _example(spec, "/api/v1/reservierungen", "post")
        )
        reservierung = anfrage["items"][0]["id"]
        erfuellen = _example(spec, "/api/v1/reservierungen/{reservierung_id}/erfuellen", "post")
        await _accepted(running, "POST", f"/api/v1/reservierungen/{reservierung}/erfuellen", erfuellen)
        await _accepted(running, "POST", f"/api/v1/reservierungen/{reservierung}/stornieren")


def _fields(answer: Any) -> list[str]:
    assert answer.status_code == 422, answer.text
    assert answer.json()["type"].endswith(":validation-error"), answer.text
    return [error["field"] for error in answer.json()["errors"]]


@pytest.mark.parametrize("backend", BOTH, indirect=True)
async def test_the_stated_limits_answer_422_naming_the_field(make_app: Any, backend: str) -> None:
    async with make_app() as running:
        post = running.client.post
        assert _fields(await post("/api/v1/bewegungen", json={**EINGANG, "artikel_id": INT4})) == ["body.artikel_id"]
        assert _fields(await post("/api/v1/bewegungen", json={**EINGANG, "charge_id": INT4})) == ["body.charge_id"]
        assert _fields(await post("/api/v1/bewegungen", json={**EINGANG, "nach_lagerort_id": INT4})) == [
            "body.nach_lagerort_id"
        ]
        herkunft = {"parent_id": INT4, "art": "produktion"}
        assert _fields(await post("/api/v1/chargen/1/herkunft", json=herkunft)) == ["body.parent_id"]
        herkunft = {"parent_id": 0, "art": "produktion"}
        assert _fields(await post("/api/v1/chargen/1/herkunft", json=herkunft)) == ["body.parent_id"]
        for body, field in (
            ({"charge_id": INT4, "menge": "1"}, "body.charge_id"),
            ({"artikel_id": 1, "lagerort_id": 0, "menge": "1"}, "body.lagerort_id"),
            ({"artikel_id": 1, "menge": "0.0001"}, "body.menge"),
        ):
            assert _fields(await post("/api/v1/reservierungen", json=body)) == [field]
        for method, url, field in (
            ("POST", f"/api/v1/chargen/{INT4}/herkunft", "path.charge_id"),
            ("DELETE", f"/api/v1/chargen/1/herkunft/{INT4}", "path.parent_id"),
            ("POST", "/api/v1/bewegungen/0/storno", "path.bewegung_id"),
            ("POST", f"/api/v1/bewegungen/{2**63}/storno", "path.bewegung_id"),
            ("POST", f"/api/v1/reservierungen/{INT4}/erfuellen", "path.reservierung_id"),
            ("POST", "/api/v1/reservierungen/0/stornieren", "path.reservierung_id"),
            ("GET", "/api/v1/anomalies/0", "path.anomaly_id"),
            ("GET", f"/api/v1/anomalies/{2**63}", "path.anomaly_id"),
        ):
            body = {"parent_id": 1, "art": "produktion"} if url.endswith("/herkunft") else None
            assert _fields(await running.client.request(method, url, json=body)) == [field], (method, url)
        # within the stated range an id that does not exist is still 404
        assert (await running.client.get(f"/api/v1/anomalies/{2**63 - 1}")).status_code == 404
        assert (await post(f"/api/v1/reservierungen/{INT4 - 1}/stornieren")).status_code == 404
