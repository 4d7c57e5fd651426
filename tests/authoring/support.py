"""Running pytest or Python in a subprocess the way a plugin team would: no project config."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def plain_environment(**extra: str) -> dict[str, str]:
    """This environment without pytest's and modular-server's variables (CI stays as it is)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("MODULAR_SERVER_", "PYTEST_")) and key != "PYTHONPATH"
    }
    env.update(extra)
    return env


def run_pytest(directory: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=directory,
        env=plain_environment(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
