"""The plotly.js bundle: only the traces the portal draws, compressed, under a content-hashed
URL that browsers keep for a year."""

from __future__ import annotations

import gzip
import hashlib
import re

from ml.config import REPO_ROOT

BUNDLE = REPO_ROOT / "static" / "js" / "plotly-portal.min.js"


def _script_url(html: str) -> str:
    return re.search(r'<script src="(/vendor/plotly-[0-9a-f]+\.min\.js)"', html).group(1)


def test_pages_load_the_partial_bundle_compressed_and_cached_for_a_year(login_as, seeded_ids):
    browser = login_as("advisor")
    url = _script_url(browser.get(f"/clients/{seeded_ids[0]}").get_data(as_text=True))
    digest = hashlib.sha256(BUNDLE.read_bytes()).hexdigest()
    assert digest.startswith(url.split("plotly-")[1].split(".")[0])
    response = browser.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response.headers["Vary"]
    cache = response.headers["Cache-Control"]
    assert "public" in cache and "max-age=31536000" in cache and "immutable" in cache
    body = response.get_data()
    assert len(body) < 0.4 * BUNDLE.stat().st_size
    assert gzip.decompress(body) == BUNDLE.read_bytes()
    plain = browser.get(url, headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers and plain.get_data() == BUNDLE.read_bytes()
    assert browser.get(url.replace(url[-20:-7], "0" * 13)).status_code == 404


def test_the_bundle_holds_every_trace_type_the_portal_draws():
    """Every trace ``"type"`` of a figure built in webapp/ (shapes are "line"; the OpenAPI
    document is no figure) is registered in the bundle, and the bundle stays small."""
    code = "\n".join(path.read_text() for path in (REPO_ROOT / "webapp").rglob("*.py")
                     if path.name != "openapi.py")
    used = set(re.findall(r'"type": "([a-z0-9]+)"', code)) - {"line"}
    assert {"scatter", "bar", "waterfall", "indicator", "heatmap"} <= used
    source = BUNDLE.read_text()
    for trace in used:
        assert f'moduleType:"trace",name:"{trace}"' in source, trace
    assert BUNDLE.stat().st_size < 2 * 1024 * 1024  # the repository's per-file guidance


def test_the_full_bundle_is_served_only_as_the_benchmarks_baseline(login_as):
    assert login_as("advisor").get("/vendor/plotly.min.js").status_code == 404
