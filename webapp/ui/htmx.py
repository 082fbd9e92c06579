"""One helper decides between the full page and its partial, by the ``HX-Request`` header.

A boosted link or a history restore wants the whole page; any other htmx request wants the
partial the full page includes. Responses carry ``Vary: HX-Request`` so that no cache serves
one in place of the other.
"""

from __future__ import annotations

from typing import Any

from flask import Response, make_response, render_template, request


def wants_partial() -> bool:
    """Whether this request is an htmx request for a fragment."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-Boosted") != "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def render(page_template: str, partial_template: str, status: int = 200,
           **context: Any) -> Response:
    """Render the partial for htmx, else the page (which includes the partial)."""
    template = partial_template if wants_partial() else page_template
    response = make_response(render_template(template, **context), status)
    response.vary.add("HX-Request")
    return response
