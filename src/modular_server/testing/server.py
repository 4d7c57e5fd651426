"""A real ``modular-server serve`` process for tests that need one (fuzzing, signals,
several instances): started on a free loopback port, stopped with SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

import httpx

#: the secret_key of test servers (every instance of one test shares it, as in a deployment)
TEST_SECRET_KEY = "test-secret-key-of-modular-server-testing"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cli(*args: str, env: dict[str, str], cwd: Path, timeout: float = 300) -> str:
    """Run ``modular-server <args>`` to completion; its standard output."""
    done = subprocess.run(
        [sys.executable, "-m", "modular_server", *args],
        env={**os.environ, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
    )
    return done.stdout


class ServerProcess:
    """``with ServerProcess(env, workdir) as server: httpx.get(server.url + "/health/live")``."""

    def __init__(self, env: dict[str, str], workdir: Path, *, workers: int = 1, ready_timeout: float = 60) -> None:
        self.env = env
        self.workdir = workdir
        self.workers = workers
        self.port = free_port()
        self.ready_timeout = ready_timeout
        self.log = workdir / f"server-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ServerProcess:
        command = [
            sys.executable,
            "-m",
            "modular_server",
            "serve",
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
        ]
        with self.log.open("wb") as out:
            # `serve` refuses PostgreSQL or several workers without a secret_key of its own
            env = {"MODULAR_SERVER_SECRET_KEY": TEST_SECRET_KEY, **os.environ, **self.env}
            self.process = subprocess.Popen(command, env=env, cwd=self.workdir, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + self.ready_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.log.read_text()[-3000:]}")
            try:
                if httpx.get(self.url + "/health/live", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise TimeoutError(f"server not ready within {self.ready_timeout}s:\n{self.log.read_text()[-3000:]}")

    def terminate(self) -> None:
        """Send SIGTERM (graceful shutdown) without waiting."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def wait(self, timeout: float = 60) -> int:
        assert self.process is not None
        return self.process.wait(timeout)

    def stop(self) -> int | None:
        if self.process is None:
            return None
        self.terminate()
        try:
            return self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait(10)

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()
