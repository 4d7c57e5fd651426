"""Server variants as separate processes on a free loopback port, observed with psutil."""

from __future__ import annotations

import importlib.metadata
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import psutil

from modular_server.hooks.markers import ENTRY_POINT_GROUP

LOOPBACK = "127.0.0.1"
# servers import ``benchmarks`` (and tests their helpers) from the repository root, not from site-packages
REPOSITORY_ROOT = Path(__file__).resolve().parents[1]


def product_server_env(database_url: str, work_dir: Path, name: str, secret_key: str | None = None) -> dict[str, str]:
    """What every product server of a benchmark runs with: its database, the first-party plugins,
    quiet logs, a data directory of its own under ``work_dir``, no configuration file and a
    secret key of its own (or ``secret_key``: servers that must accept each other's cursors share one)."""
    return {
        "MODULAR_SERVER_DATABASE_URL": database_url,
        "MODULAR_SERVER_PLUGINS__ENABLED": json.dumps(first_party_plugins()),
        "MODULAR_SERVER_AUTO_MIGRATE": "false",
        "MODULAR_SERVER_LOG_LEVEL": "warning",
        "MODULAR_SERVER_DATA_DIR": str(work_dir / f"data-{name}"),
        # no modular-server.toml of the working directory may change what is measured
        "MODULAR_SERVER_CONFIG": str(work_dir / "no-config.toml"),
        # on PostgreSQL (and with several workers) the server refuses to start without a key of its own
        "MODULAR_SERVER_SECRET_KEY": secret_key or secrets.token_urlsafe(32),
    }


def first_party_plugins() -> list[str]:
    """The plugins the modular-server distribution ships. What is measured is the product: a
    plugin another package installed into the same environment (the test suite's faulty
    plugins, the hello example, a developer's own) would add its hooks to every request."""
    shipped = importlib.metadata.distribution("modular-server").entry_points
    return sorted(entry.name for entry in shipped if entry.group == ENTRY_POINT_GROUP)


def free_port() -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def uvicorn_command(target: str, *, factory: bool = True, workers: int = 1) -> list[str]:
    """uvicorn for one app; access logs off for every variant alike (they cost CPU)."""
    command = [sys.executable, "-m", "uvicorn", target, "--host", LOOPBACK, "--port", "{port}"]
    command += ["--no-access-log", "--log-level", "warning", "--workers", str(workers)]
    return command + (["--factory"] if factory else [])


@dataclass
class ServerSpec:
    """How to start one variant; ``{port}`` in the command is replaced by the chosen port."""

    name: str
    command: list[str]
    env: dict[str, str] = field(default_factory=dict)
    ready_path: str = "/health/live"


class ServerProcess:
    """A started server: ``with ServerProcess(spec, log_dir) as server: ...``."""

    def __init__(self, spec: ServerSpec, log_dir: Path, *, ready_timeout: float = 120.0) -> None:
        self.spec = spec
        self.port = free_port()
        self.log_path = log_dir / f"{spec.name}.log"
        self.ready_timeout = ready_timeout
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def pid(self) -> int:
        assert self._process is not None, "not started"
        return self._process.pid

    def __enter__(self) -> ServerProcess:
        self.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    def start(self) -> None:
        command = [part.replace("{port}", str(self.port)) for part in self.spec.command]
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("wb") as log:
            self._process = subprocess.Popen(
                command, env={**os.environ, **self.spec.env}, stdout=log, stderr=log, cwd=REPOSITORY_ROOT
            )
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.ready_timeout
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                raise RuntimeError(f"{self.spec.name} exited with {self._process.returncode}; see {self.log_path}")
            try:
                with urllib.request.urlopen(self.base_url + self.spec.ready_path, timeout=2) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass  # not listening yet
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.spec.name} not ready after {self.ready_timeout}s; see {self.log_path}")

    def stop(self) -> None:
        if self._process is None or self._process.poll() is not None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout=10)

    def wait_quiet(self, *, share: float = 0.05, window: float = 1.0, timeout: float = 600.0) -> bool:
        """Wait until the server uses under ``share`` of a CPU for ``window`` seconds; False after
        ``timeout``. Work a server starts on its own (a plugin catching up on a freshly copied
        dataset, e.g. scoring its movements) must not be counted as the cost of requests."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            before = self.cpu_seconds()
            time.sleep(window)
            if self.cpu_seconds() - before < share * window:
                return True
        return False

    def _tree(self) -> list[psutil.Process]:
        """The server and its worker processes (uvicorn --workers forks children)."""
        root = psutil.Process(self.pid)
        return [root, *root.children(recursive=True)]

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server and its workers so far."""
        total = 0.0
        for process in self._tree():
            try:
                times = process.cpu_times()
            except psutil.NoSuchProcess:
                continue  # a worker that just exited
            total += times.user + times.system
        return total

    def rss_bytes(self) -> dict[int, int]:
        """Current resident set size per process of the tree."""
        sizes = {}
        for process in self._tree():
            try:
                sizes[process.pid] = process.memory_info().rss
            except psutil.NoSuchProcess:
                continue
        return sizes

    def peak_rss_bytes(self) -> int:
        """The largest peak RSS (VmHWM, Linux) of any process of the tree."""
        return max(peak_rss_of(pid) for pid in self.rss_bytes())


def peak_rss_of(pid: int) -> int:
    """VmHWM of a Linux process: the highest RSS it ever had."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmHWM for process {pid}")
