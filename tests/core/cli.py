"""Running the real ``modular-server`` command in a subprocess with a clean environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

CONSOLE_SCRIPT = Path(sys.executable).with_name("modular-server")


def clean_environment(database_url: str, **settings: str) -> dict[str, str]:
    """The test process's environment without MODULAR_SERVER_* variables, plus ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODULAR_SERVER_")}
    env["MODULAR_SERVER_DATABASE_URL"] = database_url
    env["MODULAR_SERVER_LOG_LEVEL"] = "error"
    env.update({f"MODULAR_SERVER_{k.upper()}": v for k, v in settings.items()})
    return env


def run(args: list[str], env: dict[str, str], cwd: Path, module: bool = False) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "modular_server", *args] if module else [str(CONSOLE_SCRIPT), *args]
    return subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=60, check=False)
