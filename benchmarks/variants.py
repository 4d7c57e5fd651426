"""The server variants of a benchmark run and how each is started."""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.dataset import Databases
from benchmarks.servers import ServerSpec, product_server_env, uvicorn_command

PRODUCT_APP = "modular_server.core.app:app_factory"
#: a source tree (its ``src`` directory) of another version of the product, e.g. an export of
#: the commit before a change: the ``uncached_ref`` variant runs it next to this one
REFERENCE_SOURCE_ENV = "BENCH_REFERENCE_SRC"


@dataclass(frozen=True)
class Variant:
    name: str
    label: str
    family: str  # which requests it answers: baseline, product, bytes, raw
    disabled_plugins: tuple[str, ...] = ()


BASELINE = Variant("baseline", "before: baseline app (N+1, ledger SUMs, OFFSET, no cache, no indexes)", "baseline")
UNCACHED = Variant("uncached", "after: product, cache plugin off, monitoring on", "product", ("cache",))
CACHED = Variant("cached", "after: product, cache on, monitoring on", "product")
NO_MONITORING = Variant("uncached_nomon", "after: cache and monitoring off", "product", ("cache", "monitoring"))
FLOOR_BYTES = Variant("floor_bytes", "floor: bare FastAPI endpoint returning the product's bytes", "bytes")
FLOOR_RAW = Variant("floor_raw", "floor: raw driver query + orjson (Starlette)", "raw")

REFERENCE = Variant(
    "uncached_ref",
    f"reference: the product from ${REFERENCE_SOURCE_ENV} (another version), cache plugin off, monitoring on",
    "product",
    ("cache",),
)

VARIANTS = (BASELINE, UNCACHED, CACHED, NO_MONITORING, FLOOR_BYTES, FLOOR_RAW, REFERENCE)
#: what a run measures unless told otherwise (the reference only on request)
DEFAULT_VARIANTS = tuple(v.name for v in VARIANTS if v is not REFERENCE)


def server_spec(variant: Variant, databases: Databases, work_dir: Path) -> ServerSpec:
    if variant.family == "baseline":
        return ServerSpec(
            variant.name,
            uvicorn_command("benchmarks.baseline.app:app_factory"),
            {"BENCH_BASELINE_DATABASE_URL": databases.baseline},
        )
    if variant.family == "bytes":
        return ServerSpec(
            variant.name,
            uvicorn_command("benchmarks.floors:bytes_app_factory"),
            {"BENCH_FLOOR_BYTES_FILE": str(work_dir / "floor-bytes.json")},
        )
    if variant.family == "raw":
        return ServerSpec(
            variant.name,
            uvicorn_command("benchmarks.floors:raw_app_factory"),
            {"BENCH_FLOOR_DATABASE_URL": databases.product},
        )
    env = product_env(databases.product, variant, work_dir)
    if variant is REFERENCE:
        # ahead of the installed package on the path: the server imports the other version
        env["PYTHONPATH"] = os.environ[REFERENCE_SOURCE_ENV]
    return ServerSpec(variant.name, uvicorn_command(PRODUCT_APP), env)


def run_secret(work_dir: Path) -> str:
    """The secret key of a run's product servers, made on first use."""
    path = work_dir / "secret-key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(32), encoding="utf-8")
    return path.read_text(encoding="utf-8")


def product_env(database_url: str, variant: Variant, work_dir: Path) -> dict[str, str]:
    disabled = {"MODULAR_SERVER_PLUGINS__DISABLED": json.dumps(list(variant.disabled_plugins))}
    # one key for every product server of a run: the deep page's cursor, walked on one of
    # them, is sent to all (a cursor signed with another key is refused as bad-cursor)
    return product_server_env(database_url, work_dir, variant.name, run_secret(work_dir)) | disabled


def interleave(variants: Sequence[Variant], rounds: int) -> list[tuple[int, Variant]]:
    """A B C A B C ...: every round visits each variant once, in the same order, so slow
    drifts of the machine (other load, thermal, caches) hit every variant alike."""
    if rounds < 1:
        raise ValueError("at least one round")
    return [(round_, variant) for round_ in range(rounds) for variant in variants]
