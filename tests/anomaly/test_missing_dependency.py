"""Without scikit-learn the server still starts: the plugin is missing_dependency with the
install hint, and its prefix answers 503 with that reason. Run in a subprocess in which
importing sklearn is blocked (sys.modules["sklearn"] = None) before the app is created."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = """
import asyncio, json, sys
sys.modules["sklearn"] = None  # any `import sklearn` now raises ImportError

from modular_server.settings import Settings
from modular_server.testing import running_app, sources_with

async def main():
    settings = Settings(database_url=sys.argv[1], auto_migrate=True, data_dir=sys.argv[2])
    sources = sources_with(only=["artikel", "chargen", "lager", "anomaly"])
    async with running_app(settings, sources) as running:
        plugins = (await running.client.get("/api/v1/system/plugins")).json()
        anomalies = await running.client.get("/api/v1/anomalies")
        print(json.dumps({
            "plugins": plugins,
            "status": anomalies.status_code,
            "body": anomalies.json(),
            "sklearn_imported": sys.modules.get("sklearn") is not None,
        }))

asyncio.run(main())
"""


def test_server_starts_without_scikit_learn(tmp_path: Path) -> None:
    database = f"sqlite+aiosqlite:///{tmp_path / 'no-sklearn.db'}"
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, database, str(tmp_path / "data")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    plugins = report["plugins"]
    records = {p["name"]: p for p in (plugins["items"] if isinstance(plugins, dict) else plugins)}
    anomaly = records["anomaly"]
    assert anomaly["state"] == "missing_dependency"
    assert "sklearn" in anomaly["reason"]
    assert anomaly["hint"] == 'pip install "modular-server[anomaly]"'
    assert records["lager"]["state"] == "active"

    assert report["status"] == 503
    assert report["body"]["state"] == "missing_dependency"
    assert report["body"]["hint"] == 'pip install "modular-server[anomaly]"'
    assert "sklearn" in report["body"]["detail"]
    assert report["sklearn_imported"] is False
