"""/docs and /redoc load every asset from this server: they work offline (no CDN)."""

import re
from urllib.parse import urlsplit

import pytest

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
