"""Response headers that make the browser strict by default; HSTS in production."""

from __future__ import annotations

from flask import Flask, Response, current_app, request

#: Scripts only from this site (vendored htmx and plotly.js); Plotly writes inline styles.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'"
)


def init_security_headers(app: Flask) -> None:
    """Add the headers to every response; client data is never cached."""

    @app.after_request
    def add_headers(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        if request.endpoint != "static":
            response.headers.setdefault("Cache-Control", "no-store")
        hsts = int(current_app.config.get("PAD_HSTS_SECONDS") or 0)
        if hsts > 0:  # production: HTTPS only from the first visit on, for a year
            response.headers.setdefault("Strict-Transport-Security",
                                        f"max-age={hsts}; includeSubDomains")
        return response
