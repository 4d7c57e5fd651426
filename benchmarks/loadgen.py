"""The load generator: a separate process that sends HTTP requests over loopback.

Each load segment runs in a process of its own (``python -m benchmarks.loadgen SPEC RESULT``,
JSON files), bounded by a duration and a maximum number of requests, with a fixed number of
concurrent connections; the caller kills it when it overruns. Keeping the client in its own
process means its CPU time is never counted as the server's.
"""

from __future__ import annotations

import asyncio
import json
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import uvloop

from benchmarks.httpclient import Connection, request_head
from benchmarks.servers import REPOSITORY_ROOT

IDEMPOTENT = {"GET", "HEAD", "OPTIONS"}
ERROR_BODIES_KEPT = 3


@dataclass
class Spec:
    """One load segment. ``requests`` are cycled in order; ``{seq}`` in a body becomes a
    number unique within the generator process (bookings carry it as their reference)."""

    host: str
    port: int
    requests: list[dict[str, Any]]
    concurrency: int
    duration: float
    max_requests: int
    timeout: float = 30.0
    count_headers: list[str] = field(default_factory=lambda: ["x-query-count"])
    tally_headers: list[str] = field(default_factory=lambda: ["x-cache"])
    record_samples: bool = False
    collect_ids: list[str] = field(default_factory=list)  # tags whose 2xx answers' "id" is kept
    seq_start: int = 0  # sequence numbers of this segment start after it

    def __post_init__(self) -> None:
        if not self.requests:
            raise ValueError("a segment needs at least one request")
        if self.concurrency < 1 or self.max_requests < 1 or self.duration <= 0:
            raise ValueError("concurrency, max_requests and duration must be positive")


@dataclass
class Outcome:
    count: int = 0
    failures: int = 0  # no HTTP answer at all (connection error, timeout)
    failure_messages: list[str] = field(default_factory=list)
    status: dict[str, int] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)
    header_sums: dict[str, list[float]] = field(default_factory=dict)  # name -> [sum, answers, min, max]
    header_tally: dict[str, dict[str, int]] = field(default_factory=dict)
    samples: list[list[Any]] = field(default_factory=list)  # [seconds since start, ms, status, tag, seq]
    acknowledged: list[list[Any]] = field(default_factory=list)  # [tag, seq, id]
    elapsed: float = 0.0
    client_cpu_seconds: float = 0.0
    issued: int = 0  # requests started, answered or not (each used one sequence number)
    error_bodies: dict[str, list[str]] = field(default_factory=dict)  # status >= 400 -> first answers


async def run_segment(spec: Spec) -> Outcome:
    outcome = Outcome()
    prepared = [_prepare(spec, r) for r in spec.requests]
    issued = 0
    started = time.perf_counter()
    deadline = started + spec.duration
    cpu_before = _cpu_seconds()

    async def client() -> None:
        nonlocal issued
        connection = Connection(spec.host, spec.port, spec.timeout)
        try:
            while issued < spec.max_requests and time.perf_counter() < deadline:
                request = prepared[issued % len(prepared)]
                issued += 1
                seq = spec.seq_start + issued
                payload = request.bytes_for(seq)
                sent = time.perf_counter()
                try:
                    answer = await connection.send(payload, idempotent=request.method in IDEMPOTENT)
                except (OSError, TimeoutError) as error:
                    outcome.failures += 1
                    if len(outcome.failure_messages) < 5:
                        outcome.failure_messages.append(f"{type(error).__name__}: {error}")
                    await connection.close()
                    continue
                done = time.perf_counter()
                _record(spec, outcome, request.tag, seq, answer, (done - sent) * 1000, sent - started)
        finally:
            await connection.close()

    await asyncio.gather(*(client() for _ in range(spec.concurrency)))
    outcome.issued = issued
    outcome.elapsed = time.perf_counter() - started
    outcome.client_cpu_seconds = _cpu_seconds() - cpu_before
    return outcome


@dataclass
class _Prepared:
    """A request as bytes; a body containing ``{seq}`` is completed per request."""

    method: str
    tag: str
    head: bytes  # request line and headers, without Content-Length and the blank line
    body: bytes | None

    def __post_init__(self) -> None:
        self.templated = self.body is not None and b"{seq}" in self.body
        self.fixed = b"" if self.templated else self._assemble(self.body)

    def bytes_for(self, seq: int) -> bytes:
        if not self.templated:
            return self.fixed
        assert self.body is not None
        return self._assemble(self.body.replace(b"{seq}", str(seq).encode()))

    def _assemble(self, body: bytes | None) -> bytes:
        if body is None:
            return self.head + b"\r\n"
        return self.head + b"Content-Length: %d\r\n\r\n" % len(body) + body


def _prepare(spec: Spec, request: dict[str, Any]) -> _Prepared:
    method = request.get("method", "GET")
    body = request.get("body")
    headers = dict(request.get("headers") or {})
    if body is not None:
        headers.setdefault("Content-Type", "application/json")
    head = request_head(method, f"{spec.host}:{spec.port}", request["path"], headers)
    return _Prepared(method, request.get("tag", ""), head, None if body is None else body.encode())


def _record(spec: Spec, outcome: Outcome, tag: str, seq: int, answer: Any, ms: float, offset: float) -> None:
    outcome.count += 1
    key = str(answer.status)
    outcome.status[key] = outcome.status.get(key, 0) + 1
    outcome.latencies_ms.append(ms)
    for name in spec.count_headers:
        value = answer.headers.get(name)
        if value is not None:
            number = float(value)
            sums = outcome.header_sums.setdefault(name, [0.0, 0, number, number])
            sums[0] += number
            sums[1] += 1
            sums[2] = min(sums[2], number)
            sums[3] = max(sums[3], number)
    for name in spec.tally_headers:
        value = answer.headers.get(name)
        if value is not None:
            tally = outcome.header_tally.setdefault(name, {})
            tally[value] = tally.get(value, 0) + 1
    if answer.status >= 400:
        bodies = outcome.error_bodies.setdefault(key, [])
        if len(bodies) < ERROR_BODIES_KEPT:
            bodies.append(f"{tag}: {answer.body[:400].decode('utf-8', 'replace')}")
    if spec.record_samples:
        outcome.samples.append([round(offset, 4), round(ms, 3), answer.status, tag, seq])
    if tag in spec.collect_ids and 200 <= answer.status < 300:
        outcome.acknowledged.append([tag, seq, _answer_id(answer.body)])


def _answer_id(body: bytes) -> Any:
    document = orjson.loads(body)
    return document.get("id") if isinstance(document, dict) else None


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --- the process ------------------------------------------------------------------------------


def main(spec_path: str, result_path: str) -> None:
    spec = Spec(**json.loads(Path(spec_path).read_text(encoding="utf-8")))
    outcome = uvloop.run(run_segment(spec))  # the faster loop keeps the client out of the way
    Path(result_path).write_bytes(orjson.dumps(outcome.__dict__))


class LoadGenerator:
    """Runs segments in generator processes (``with LoadGenerator() as load: load.run(spec)``)
    and keeps ``{seq}`` numbers unique across the segments of one run."""

    def __init__(self) -> None:
        self._directory: tempfile.TemporaryDirectory[str] | None = None
        self._next_seq = 0

    def __enter__(self) -> LoadGenerator:
        self._directory = tempfile.TemporaryDirectory(prefix="modular-loadgen-")
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._directory is not None
        self._directory.cleanup()

    def run(self, spec: Spec) -> Outcome:
        assert self._directory is not None, "use LoadGenerator as a context manager"
        spec.seq_start = self._next_seq
        spec_path = Path(self._directory.name) / "spec.json"
        result_path = Path(self._directory.name) / "result.json"
        result_path.unlink(missing_ok=True)
        spec_path.write_text(json.dumps(spec.__dict__), encoding="utf-8")
        # the last requests may take up to ``timeout`` after the deadline; more means a hang
        limit = spec.duration + spec.timeout + 30
        subprocess.run(
            [sys.executable, "-m", "benchmarks.loadgen", str(spec_path), str(result_path)],
            cwd=REPOSITORY_ROOT,
            check=True,
            timeout=limit,
        )
        outcome = Outcome(**json.loads(result_path.read_text(encoding="utf-8")))
        self._next_seq += outcome.issued
        return outcome


if __name__ == "__main__":
    main(*sys.argv[1:3])
