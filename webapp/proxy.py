"""Behind a reverse proxy: the client's address and scheme from the proxy's headers.

With several web nodes behind a proxy (README, "Deployment"), every request reaches gunicorn
from the proxy's address: the login rate limit, keyed on the client's address, would count
every user's attempts together. ``PAD_PROXY_HOPS`` says how many proxies in front of the app
set ``X-Forwarded-For`` / ``X-Forwarded-Proto`` / ``X-Forwarded-Host``; only that many
entries are trusted (a client cannot forge its way past the limit). 0, the default, trusts
none: the app is reached directly.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix


def init_proxy(app: Flask) -> None:
    """Trust ``PAD_PROXY_HOPS`` proxies' forwarding headers (none by default)."""
    hops = int(app.config.get("PAD_PROXY_HOPS") or 0)
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
