"""/docs and /redoc load every asset from this server: they work offline (no CDN)."""

import re
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from modular_server.testing.server import ServerProcess, cli
from tests.monitoring.test_dashboard import CHROMIUM_FLAGS

EXPECTED_TYPES = {".js": "javascript", ".css": "text/css", ".png": "image/png", ".json": "application/json"}


def _referenced(html: str) -> list[str]:
    return re.findall(r"""(?:src|href)=["']([^"']+)["']|url:\s*['"]([^'"]+)['"]|spec-url=["']([^"']+)["']""", html)


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_a_docs_page_references_only_local_assets_and_each_one_answers(running, page):
    r = await running.anonymous.get(page)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    urls = [next(u for u in groups if u) for groups in _referenced(r.text)]
    assert len(urls) >= 3, urls  # script, favicon, the OpenAPI document (and the CSS for Swagger UI)
    assert "googleapis" not in r.text and "cdn." not in r.text
    for url in urls:
        assert not urlsplit(url).netloc and url.startswith("/"), f"{page} loads {url} from another host"
        asset = await running.anonymous.get(url)
        assert asset.status_code == 200, url
        suffix = "." + url.rsplit(".", 1)[-1]
        assert EXPECTED_TYPES[suffix] in asset.headers["content-type"], (url, asset.headers["content-type"])
        assert len(asset.content) > 100, url


async def test_the_swagger_bundle_is_the_real_swagger_ui(running):
    r = await running.anonymous.get("/docs")
    assert "SwaggerUIBundle" in r.text
    bundle = await running.anonymous.get("/docs-assets/swagger-ui-bundle.js")
    assert b"SwaggerUIBundle" in bundle.content
    redoc = await running.anonymous.get("/docs-assets/redoc.standalone.js")
    assert b"Redoc" in redoc.content


RENDERED = {
    # what each page draws once its script ran on the OpenAPI document
    "/docs": "const t = document.querySelector('.swagger-ui .info .title'); return t ? t.innerText : null;",
    "/redoc": "const t = document.querySelector('h1'); return t ? t.innerText : null;",
}


def _render_offline(url: str, profile: Path) -> dict[str, Any]:
    """Each page's drawn title in headless Chromium that cannot resolve any host but 127.0.0.1."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.support.ui import WebDriverWait

    options = Options()
    options.binary_location = shutil.which("chromium") or "chromium"
    for flag in (
        *CHROMIUM_FLAGS,
        f"--user-data-dir={profile}",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # an explicit driver path: selenium never tries to download one
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "chromedriver"), options=options)
    try:
        seen: dict[str, Any] = {}
        for page, script in RENDERED.items():
            driver.get(url + page)
            seen[page] = WebDriverWait(driver, 60).until(lambda d, script=script: d.execute_script(script))
        seen["console"] = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        return seen
    finally:
        driver.quit()


@pytest.mark.slow
def test_swagger_ui_and_redoc_render_in_a_browser_without_network(database_url, tmp_path):
    env = {"MODULAR_SERVER_DATABASE_URL": database_url}
    cli("db", "upgrade", env=env, cwd=tmp_path)
    with ServerProcess(env, tmp_path) as server:
        seen = _render_offline(server.url, tmp_path / "chromium")
    assert seen["/docs"].startswith("modular-server"), seen
    assert seen["/redoc"].startswith("modular-server"), seen
    # ReDoc's bundle hard-codes its "API docs by Redocly" badge image; only that may fail offline
    failed = [e for e in seen["console"] if "cdn.redoc.ly/redoc/logo-mini.svg" not in e["message"]]
    assert failed == [], failed
