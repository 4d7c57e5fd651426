"""Wall time of the command line's everyday calls, each in a fresh process, against the bare
interpreter's start-up measured in the same run (the floor no command can go below).

Every command runs ``ROUNDS`` times, interleaved (A B C ... A B C ...) so that the shared
machine's drifts hit all alike; the median decides. The commands work on a SQLite database of
their own in a temporary directory, with the plugins the ``modular-server`` distribution ships
(the product, not whatever else the environment has installed).

With a ``baseline`` (the ``src`` folder of another checkout, e.g. from ``git archive``) every
command also runs from that source, in the same rounds: a before/after comparison that the
machine's drifts cannot tilt. The baseline shares the environment's installed distribution (its
entry points and dependencies); only ``modular_server`` itself is imported from the baseline.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.servers import first_party_plugins

ROUNDS = 7


@dataclass(frozen=True)
class Command:
    name: str
    argv: tuple[str, ...]
    #: the issue's target in seconds (None: the floor, measured for comparison)
    target: float | None


FLOOR = Command("python -c pass", ("-c", "pass"), None)
COMMANDS = (
    FLOOR,
    Command("modular-server --help", ("-m", "modular_server", "--help"), 0.4),
    Command("modular-server plugins", ("-m", "modular_server", "plugins"), 1.0),
    Command("modular-server keys create", ("-m", "modular_server", "keys", "create", "--name", "t", "--replace"), 1.0),
    Command("modular-server db current", ("-m", "modular_server", "db", "current"), 1.0),
)


@dataclass
class Timing:
    command: Command
    seconds: list[float] = field(default_factory=list)
    #: the environment this command runs in (the baseline's puts its source first)
    env: dict[str, str] = field(default_factory=dict)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    def as_dict(self, floor: float) -> dict[str, Any]:
        met = None if self.command.target is None else self.median <= self.command.target
        return {
            "command": self.command.name,
            "median_s": round(self.median, 3),
            "min_s": round(min(self.seconds), 3),
            "max_s": round(max(self.seconds), 3),
            "over_interpreter": round(self.median / floor, 1),
            "target_s": self.command.target,
            "met": met,
        }


def baseline_environment(env: dict[str, str], source: Path) -> dict[str, str]:
    """``env`` with ``source`` (a checkout's ``src``) ahead of the installed modular_server."""
    return env | {"PYTHONPATH": os.pathsep.join(filter(None, [str(source.resolve()), env.get("PYTHONPATH")]))}


def environment(work_dir: Path) -> dict[str, str]:
    return os.environ | {
        "MODULAR_SERVER_DATABASE_URL": f"sqlite+aiosqlite:///{work_dir / 'cli.db'}",
        "MODULAR_SERVER_DATA_DIR": str(work_dir / "data"),
        "MODULAR_SERVER_CONFIG": str(work_dir / "no-config.toml"),
        "MODULAR_SERVER_PLUGINS__ENABLED": json.dumps(first_party_plugins()),
        "MODULAR_SERVER_LOG_LEVEL": "warning",
    }


def _run(argv: tuple[str, ...], env: dict[str, str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, *argv], env=env, cwd=cwd, check=True, capture_output=True, timeout=120)
    return time.perf_counter() - started


def measure(rounds: int = ROUNDS, baseline: Path | None = None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="modular-cli-") as directory:
        work_dir = Path(directory)
        env = environment(work_dir)
        # the database exists and is migrated: `db current` and `keys create` find their tables
        _run(("-m", "modular_server", "db", "upgrade"), env, work_dir)
        timings = [Timing(command, env=env) for command in COMMANDS]
        before: list[Timing] = []
        if baseline is not None:
            old_env = baseline_environment(env, baseline)
            before = [Timing(command, env=old_env) for command in COMMANDS if command is not FLOOR]
        for _ in range(rounds):
            for timing in [*timings, *before]:
                timing.seconds.append(_run(timing.command.argv, timing.env, work_dir))
    floor = timings[0].median
    result: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "python": sys.version.split()[0],
        "rounds": rounds,
        "commands": [timing.as_dict(floor) for timing in timings],
    }
    if baseline is not None:
        result["baseline"] = {"source": str(baseline), "commands": [timing.as_dict(floor) for timing in before]}
    return result
