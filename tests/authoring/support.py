"""Running pytest or Python in a subprocess the way a plugin team would: no project config;
and making a generated plugin project loadable by such a subprocess without installing it."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
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


def loadable(project: Path, site: Path) -> str:
    """A ``PYTHONPATH`` under which a fresh interpreter finds ``project`` as if pip had installed
    it: its ``src`` packages, and in ``site`` the distribution metadata pip would write (name,
    version and entry points read from its ``pyproject.toml``). Nothing is installed: this
    interpreter and the rest of the suite never see the plugin."""
    declared = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    dist_info = site / f"{declared['name'].replace('-', '_')}-{declared['version']}.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {declared['name']}\nVersion: {declared['version']}\n"
    )
    entry_points = [
        f"[{group}]\n" + "".join(f"{name} = {value}\n" for name, value in points.items())
        for group, points in declared.get("entry-points", {}).items()
    ]
    (dist_info / "entry_points.txt").write_text("\n".join(entry_points))
    return os.pathsep.join([str(project / "src"), str(site)])


def run_pytest(
    directory: Path, *args: str, timeout: float = 300, pythonpath: str | None = None
) -> subprocess.CompletedProcess[str]:
    extra = {"PYTHONPATH": pythonpath} if pythonpath is not None else {}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=directory,
        env=plain_environment(**extra),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
