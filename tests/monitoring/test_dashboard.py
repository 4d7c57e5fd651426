"""The /db-performance dashboard in a real browser: headless Chromium against a real uvicorn
server, with data from requests made here."""

from __future__ import annotations

import asyncio
import shutil
import socket
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from modular_server.core.app import create_app
from modular_server.plugins.monitoring import recorder
from modular_server.testing import sources_with
from tests.monitoring import shop
from tests.monitoring.shop.routes import seed
from tests.monitoring.support import SECRET
from tests.support.apps import until_started
from tests.support.clock import ShiftedClock

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
READ_PAGE = """
const figures = [...document.querySelectorAll('#latency-charts figure')];
return {
  state: document.body.dataset.state,
  url: location.href,
  keyStored: sessionStorage.length > 0,
  charts: figures.map((f) => ({
    route: f.dataset.route,
    paths: [...f.querySelectorAll('path.series')].map((p) => ({d: p.getAttribute('d'), points: +p.dataset.points})),
  })),
  bars: [...document.querySelectorAll('#statements-chart rect.bar')].map((r) => +r.dataset.value),
  slowRows: [...document.querySelectorAll('#slow-queries tbody tr')].map((r) => r.innerText),
  nPlusOneRows: [...document.querySelectorAll('#n-plus-one tbody tr')].map((r) => r.innerText),
  text: document.body.innerText,
};
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read_dashboard(url: str, profile: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Open the page in headless Chromium, wait for the first refresh, read what it drew."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.support.ui import WebDriverWait

    options = Options()
    options.binary_location = shutil.which("chromium") or "chromium"
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # an explicit driver path: selenium never tries to download one
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "chromedriver"), options=options)
    try:
        driver.get(url)
        WebDriverWait(driver, 30).until(lambda d: d.execute_script("return document.body.dataset.state") != "loading")
        return driver.execute_script(READ_PAGE), driver.get_log("browser")
    finally:
        driver.quit()


async def test_dashboard_draws_charts_from_real_requests(settings_factory, tmp_path, monkeypatch):
    clock = ShiftedClock().install(monkeypatch, recorder)
    settings = settings_factory(monitoring={"bucket_seconds": 1, "flush_interval_seconds": 3600, "slow_query_ms": 0})
    app = create_app(settings, sources=sources_with([shop], only=["monitoring"]))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    serving = asyncio.create_task(server.serve())
    try:
        await until_started(server)
        key = (await app.state.keys.create("dashboard-admin", "admin")).token
        await seed(app)
        base = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {key}"}) as client:
            page = await client.get("/db-performance")
            assert page.status_code == 200 and "script-src 'self'" in page.headers["content-security-policy"]
            assert (
                '<script src="/db-performance/dashboard.js">' in page.text and "http" not in page.text.split("<body")[1]
            )
            for second in range(2):  # two time buckets -> two points per line
                for _ in range(3):
                    assert (await client.get("/api/v1/monshop/widgets")).status_code == 200
                    assert (await client.get("/api/v1/monshop/widgets-n-plus-one")).status_code == 200
                await client.get("/api/v1/monshop/search", params={"name": SECRET})
                assert (await client.get("/api/v1/performance/stats")).status_code == 200  # flushes
                if not second:
                    clock.advance(1.05)  # into the next one-second bucket

        seen, console = await asyncio.to_thread(
            read_dashboard, f"{base}/db-performance#key={key}", tmp_path / "chromium"
        )
    finally:
        server.should_exit = True
        await serving

    assert seen["state"] == "ready", (seen, console)
    assert "#key" not in seen["url"] and seen["keyStored"]  # the key moved from the URL to sessionStorage
    charts = {c["route"]: c["paths"] for c in seen["charts"]}
    for route in ("GET /api/v1/monshop/widgets", "GET /api/v1/monshop/widgets-n-plus-one"):
        paths = charts[route]
        assert len(paths) == 3, paths  # p50, p95, p99
        for path in paths:
            assert path["points"] == 2
            assert path["d"].startswith("M") and path["d"].count("L") == 1
    assert seen["bars"] and max(seen["bars"]) >= 7  # the N+1 route's statements per request
    assert any("widgets-n-plus-one" in row and "monshop_category" in row for row in seen["nPlusOneRows"])
    assert any("monshop_widget" in row for row in seen["slowRows"])
    assert SECRET not in seen["text"]
    assert not [entry for entry in console if entry["level"] == "SEVERE"], console
