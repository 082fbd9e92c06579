"""``/vendor/plotly-<hash>.min.js``: the portal's partial plotly.js bundle, compressed, cached
for a year.

The bundle (``static/js/plotly-portal.min.js``, provenance in ``static/js/VENDORED.md``) holds
only the trace types the portal draws: scatter, bar, waterfall, indicator and heatmap — 1.2 MB
instead of the 4.8 MB of the full bundle inside the Python ``plotly`` package. Its URL carries
the first characters of its SHA-256, so a new bundle is a new URL: browsers may keep it for a
year without asking again (``immutable``). It is gzip-compressed once per process and served
compressed to every browser that accepts it (about 420 kB on the wire).

``PAD_PLOTLY_BUNDLE=full`` (``PLOTLY_BUNDLE`` in the app's configuration) serves the former
asset instead (the whole bundle from the ``plotly`` package, uncompressed, cached for a day):
the baseline that ``bench/page_load.py`` measures in the same run.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import plotly
from flask import Blueprint, Flask, Response, abort, current_app, request, url_for

from ml.config import REPO_ROOT

from ..accounts.access import public

bp = Blueprint("assets", __name__, url_prefix="/vendor")

PARTIAL_BUNDLE = REPO_ROOT / "static" / "js" / "plotly-portal.min.js"
FULL_BUNDLE = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
ONE_YEAR = 365 * 24 * 3600


@dataclass(frozen=True)
class Bundle:
    """A JavaScript file as served: its bytes, gzip-compressed bytes and content hash."""

    raw: bytes
    compressed: bytes
    digest: str

    @classmethod
    def read(cls, path: Path) -> Bundle:
        """Read and compress ``path`` (once per process: see :func:`_bundle`)."""
        raw = path.read_bytes()
        return cls(raw, gzip.compress(raw, compresslevel=9, mtime=0),
                   hashlib.sha256(raw).hexdigest()[:16])


@cache
def _bundle(path: Path) -> Bundle:
    return Bundle.read(path)


def _full_bundle_mode() -> bool:
    return current_app.config.get("PLOTLY_BUNDLE") == "full"


@bp.get("/plotly-<digest>.min.js")
@public
def plotly_js(digest: str):
    """The partial bundle, gzip-compressed when the browser accepts it, cached for a year
    (the URL changes with the content)."""
    bundle = _bundle(PARTIAL_BUNDLE)
    if digest != bundle.digest:
        abort(404)
    compressed = "gzip" in request.headers.get("Accept-Encoding", "").lower()
    response = Response(bundle.compressed if compressed else bundle.raw,
                        mimetype="text/javascript")
    if compressed:
        response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    response.cache_control.public = True
    response.cache_control.max_age = ONE_YEAR
    response.cache_control.immutable = True
    response.set_etag(bundle.digest + ("-gz" if compressed else ""))
    return response.make_conditional(request)


@bp.get("/plotly.min.js")
@public
def plotly_full_js():
    """The whole plotly.js of the ``plotly`` package, uncompressed: the asset before the
    partial bundle, served only with ``PLOTLY_BUNDLE = "full"`` (the benchmark's baseline)."""
    if not _full_bundle_mode():
        abort(404)
    response = Response(_bundle(FULL_BUNDLE).raw, mimetype="text/javascript")
    response.cache_control.public = True
    response.cache_control.max_age = 86400
    response.add_etag()
    return response.make_conditional(request)


def plotly_script_url() -> str:
    """The URL of the plotly.js bundle (its content hash in the name)."""
    if _full_bundle_mode():
        return url_for("assets.plotly_full_js", v=plotly.__version__)
    return url_for("assets.plotly_js", digest=_bundle(PARTIAL_BUNDLE).digest)


def init_assets(app: Flask) -> None:
    """Register the blueprint and the template global; read and compress the bundle now, so
    that no visitor's first page waits for it."""
    app.register_blueprint(bp)
    app.jinja_env.globals["plotly_script_url"] = plotly_script_url
    _bundle(PARTIAL_BUNDLE)
