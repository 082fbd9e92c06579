"""``/vendor/plotly.min.js``: plotly.js as bundled in the Python ``plotly`` package.

Serving the copy inside the installed package keeps the browser library and the Python
figure builder at matching versions, and keeps a 4.7 MB file out of the repository. Pages
with charts load it through the ``plotly_script_url()`` template global.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import plotly
from flask import Blueprint, Flask, Response, request, url_for

from ..accounts.access import public

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


def plotly_script_url() -> str:
    """The URL of the plotly.js bundle (the version in the URL busts caches)."""
    return url_for("assets.plotly_js", v=plotly.__version__)


def init_assets(app: Flask) -> None:
    """Register the blueprint and the template global."""
    app.register_blueprint(bp)
    app.jinja_env.globals["plotly_script_url"] = plotly_script_url
