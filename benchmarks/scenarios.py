"""The measured endpoints: for each, the requests every variant family sends.

Families: ``baseline`` (the before app), ``product`` (every product variant), ``bytes``
(the bare-bytes floor) and ``raw`` (the raw-driver floor). A family missing from an endpoint
is not measured for it (writes have no floors).
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from benchmarks.probe import Facts

LIST_LIMIT = 100
DEEP_PAGE = 500
FAMILY_ARTIKEL_PREFIX = {"baseline": "/api/v1/artikel", "product": "/api/v1/artikel", "raw": "/raw/artikel"}


@dataclass
class Endpoint:
    name: str
    title: str
    requests: dict[str, list[dict[str, Any]]]
    write: bool = False
    list_endpoint: bool = False
    notes: list[str] = field(default_factory=list)
    #: movements a write request books (a batch: its CPU is compared per movement)
    items: int = 1
    #: the endpoint whose "before" figures stand for this one's (the before app has no batch
    #: endpoint: a batch is held to what the before app spends on one booking, per movement)
    before_endpoint: str | None = None


def get(path: str, **query: Any) -> dict[str, Any]:
    return {"method": "GET", "path": path + ("?" + urllib.parse.urlencode(query) if query else "")}


def post(path: str, body: dict[str, Any], tag: str) -> dict[str, Any]:
    return {"method": "POST", "path": path, "body": json.dumps(body), "tag": tag}


@dataclass(frozen=True)
class DeepPage:
    """Page ``number`` of the batch list at ``limit`` per page: the product's cursor for it
    and the last id before it (the raw floor's keyset), found by walking the product."""

    number: int
    limit: int
    cursor: str | None
    after_id: int


def deep_page_plan(chargen: int) -> tuple[int, int]:
    """(page number, page size): page 500 when the dataset has that many pages of at least
    one batch, with the largest size up to 100 that reaches it; else the last full page."""
    limit = max(1, min(LIST_LIMIT, chargen // DEEP_PAGE))
    return min(DEEP_PAGE, max(1, chargen // limit)), limit


def walk_to_page(base_url: str, token: str, number: int, limit: int) -> DeepPage:
    """Follow ``next_cursor`` from the first page to page ``number`` of /api/v1/chargen."""
    cursor: str | None = None
    after_id = 0
    for _ in range(number - 1):
        query = {"limit": limit} | ({"cursor": cursor} if cursor else {})
        page = _fetch_json(base_url + get("/api/v1/chargen", **query)["path"], token)
        after_id = page["items"][-1]["id"]
        cursor = page["next_cursor"]
        if cursor is None:
            raise RuntimeError(f"the batch list ends before page {number}")
    return DeepPage(number, limit, cursor, after_id)


def _fetch_json(url: str, token: str) -> Any:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=120) as answer:
        return json.load(answer)


def read_endpoints(facts: Facts, deep: DeepPage, stichtag: str) -> list[Endpoint]:
    deep_query = {"limit": deep.limit} | ({"cursor": deep.cursor} if deep.cursor else {})
    endpoints = [
        Endpoint(
            "batch_list",
            f"batch list with article and stock ({LIST_LIMIT} per page)",
            {
                "baseline": [get("/api/v1/chargen", limit=LIST_LIMIT, offset=0)],
                "product": [get("/api/v1/chargen", limit=LIST_LIMIT)],
                "raw": [get("/raw/chargen", after=0, limit=LIST_LIMIT)],
            },
            list_endpoint=True,
        ),
        Endpoint(
            "batch_detail",
            f"batch detail ({len(facts.charge_ids)} batches in turn)",
            {
                "baseline": [get(f"/api/v1/chargen/{i}") for i in facts.charge_ids],
                "product": [get(f"/api/v1/chargen/{i}") for i in facts.charge_ids],
                "raw": [get(f"/raw/chargen/{i}") for i in facts.charge_ids],
            },
        ),
        Endpoint(
            "artikel_list",
            f"article list filtered by kategorie={facts.kategorie!r} ({LIST_LIMIT} per page)",
            {
                "baseline": [get("/api/v1/artikel", kategorie=facts.kategorie, limit=LIST_LIMIT, offset=0)],
                "product": [get("/api/v1/artikel", kategorie=facts.kategorie, limit=LIST_LIMIT)],
                "raw": [get("/raw/artikel", kategorie=facts.kategorie, limit=LIST_LIMIT)],
            },
            list_endpoint=True,
        ),
        Endpoint(
            "availability",
            f"availability of an article, FEFO positions ({len(facts.artikel_ids)} articles in turn)",
            {
                family: [get(f"{prefix}/{i}/verfuegbarkeit", stichtag=stichtag) for i in facts.artikel_ids]
                for family, prefix in FAMILY_ARTIKEL_PREFIX.items()
            },
        ),
    ]
    first = Endpoint(
        "batch_first_page",
        f"batch list, first page ({deep.limit} per page)",
        {
            "baseline": [get("/api/v1/chargen", limit=deep.limit, offset=0)],
            "product": [get("/api/v1/chargen", limit=deep.limit)],
            "raw": [get("/raw/chargen", after=0, limit=deep.limit)],
        },
        list_endpoint=True,
    )
    deep_endpoint = Endpoint(
        "batch_deep_page",
        f"batch list, page {deep.number} ({deep.limit} per page; keyset cursor vs OFFSET)",
        {
            "baseline": [get("/api/v1/chargen", limit=deep.limit, offset=(deep.number - 1) * deep.limit)],
            "product": [get("/api/v1/chargen", **deep_query)],
            "raw": [get("/raw/chargen", after=deep.after_id, limit=deep.limit)],
        },
        list_endpoint=True,
    )
    if deep.limit != LIST_LIMIT:
        endpoints.append(first)
    endpoints.append(deep_endpoint)
    return endpoints


def first_page_of_deep(endpoints: list[Endpoint]) -> str:
    """The endpoint the deep page is compared with (same page size)."""
    names = {e.name for e in endpoints}
    return "batch_first_page" if "batch_first_page" in names else "batch_list"
