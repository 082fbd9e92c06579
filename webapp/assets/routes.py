"""``/vendor/plotly.min.js``: plotly.js as bundled in the Python ``plotly`` package.

Serving the copy inside the installed package keeps the browser library and the Python
figure builder at matching versions, and keeps a 4.7 MB file out of the repository.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import plotly
from flask import Blueprint, Response, request

from ..auth.access import public

bp = Blueprint("assets", __name__, url_prefix="/vendor")

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


@cache
def _plotly_bundle() -> bytes:
    return PLOTLY_JS.read_bytes()


@bp.get("/plotly.min.js")
@public
def plotly_js():
    """The plotly.js bundle, cacheable for a day (the URL carries the package version)."""
    response = Response(_plotly_bundle(), mimetype="text/javascript")
    response.cache_control.public = True
    response.cache_control.max_age = 86400
    response.add_etag()
    return response.make_conditional(request)
