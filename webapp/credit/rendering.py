"""The one render path of a client-page section: its partial inside the common wrapper
``credit/_section.html``, answered as a fragment to htmx and as a page of its own otherwise."""

from __future__ import annotations

from typing import Any

from flask import Response, make_response, render_template
from markupsafe import Markup

from ..model_store import models
from ..ui.htmx import wants_partial
from . import sections
from .applicants import Applicant
from .blueprint import loaded_model


def section_html(section: sections.Section, applicant: Applicant, view: Any) -> Markup:
    """The section's HTML for a view-model already built."""
    return Markup(render_template("credit/_section.html", section=section, view=view,
                                  applicant=applicant))


def render_section(section: sections.Section, applicant: Applicant,
                   args: dict[str, str] | None = None) -> tuple[Markup, Any, int]:
    """Build the section and render it: ``(html, view-model, status)``."""
    model = models().credit
    if section.needs_model and model is None:
        model = loaded_model()  # raises the 503 that says why
    view = section.build(sections.SectionInput(applicant, model, args or {}))
    return section_html(section, applicant, view), view, int(getattr(view, "status", 200))


def section_response(section: sections.Section, applicant: Applicant, html: Markup,
                     status: int = 200) -> Response:
    """The section alone for htmx, else a page holding it (with a link back to the file)."""
    if wants_partial():
        response = make_response(html, status)
    else:
        response = make_response(render_template("credit/section_page.html", section=section,
                                                 applicant=applicant, html=html), status)
    response.vary.add("HX-Request")
    return response
