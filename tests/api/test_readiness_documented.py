"""/health/ready answers 503 with its readiness report while a check fails: the description says
so, and the real answer conforms to it (the check schemathesis runs on every answer)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import schemathesis


async def test_the_503_of_health_ready_conforms_to_its_description(make_app: Any) -> None:
    async with make_app(faulty_health={"mode": "check_raises"}) as running:
        answer = await running.anonymous.get("/health/ready")
        spec = running.app.openapi()
    assert answer.status_code == 503 and answer.headers["content-type"] == "application/json"
    assert answer.json()["checks"]["faulty_health.probe"]["status"] == "fail"
    # schemathesis' content-type conformance: the answer's media type is the documented one ...
    assert list(spec["paths"]["/health/ready"]["get"]["responses"]["503"]["content"]) == ["application/json"]
    # ... and its response-schema conformance: the body is what the 503 documents (raises if not)
    operation = schemathesis.openapi.from_dict(spec)["/health/ready"]["GET"]
    assert operation.validate_response(answer) is not False
    damaged = httpx.Response(503, json={**answer.json(), "status": "sick"}, request=answer.request)
    damaged.elapsed = answer.elapsed
    with pytest.raises(Exception, match="sick"):
        operation.validate_response(damaged)
