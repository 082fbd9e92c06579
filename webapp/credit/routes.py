"""The client page and its sections, the what-if, the explanation sheet, new applications.

Views stay thin: they find the applicant, call a section builder or a service, and render.
Every section goes through :func:`render_section`, whether it comes with the page, is swapped
in by htmx or is opened on its own URL (one render path, ``credit/_section.html``).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from babel.dates import format_date
from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from werkzeug.exceptions import NotFound

from ..accounts.access import roles_required
from ..clients.final_decision import decision_status
from ..clients.reviews import latest_review
from ..extensions import db
from ..i18n import LANGUAGES, current_language
from ..model_store import models
from ..ui.htmx import render, wants_partial
from . import sections
from .applicants import Applicant, draft_applicant, stored_applicant
from .blueprint import bp, loaded_model
from .drafts import DraftIdTaken, create_draft, load_draft, save_draft
from .explanations import explain, reasons
from .forms import NewApplicationForm, WhatIfForm
from .rendering import render_section, section_response
from .sections.decision import decision_view, reasons_view
from .sections.terms import WhatIfView
from .shown import log_shown
from .whatif import find_recourse, what_if


def _client_page(applicant: Applicant):
    """The page: eager sections rendered in place, the others as placeholders that load
    themselves when scrolled into view (the same wrapper, the same partials)."""
    model = models().credit
    parts: list[tuple[sections.Section, Markup | None]] = []
    logged = False
    for section in sections.sections_for(applicant):
        if section.needs_model and model is None:
            continue
        if not section.eager:
            parts.append((section, None))
            continue
        html, _view, _status = render_section(section, applicant)
        parts.append((section, html))
        logged = logged or section.logged
    if logged and model is not None:
        _log_explanation(applicant, "explanation", model)
    model_error = None if model is not None else _(
        "Le modèle de crédit n'est pas chargé : la décision ne peut pas être calculée pour le "
        "moment. Prévenez l'administrateur.")
    response = make_response(render_template("credit/client.html", applicant=applicant,
                                             parts=parts, model_error=model_error))
    response.vary.add("HX-Request")
    return response


def _log_explanation(applicant: Applicant, action: str, model,
                     details: dict[str, Any] | None = None) -> None:
    explanation = explain(model, applicant.record)
    against, in_favour = reasons(model, explanation, applicant.record)
    log_shown(applicant, action, model, explanation, against, in_favour, details)


@bp.get("/clients/<client_id:sk_id_curr>", endpoint="client_page")
@roles_required()
def client_page_view(sk_id_curr: int):
    """The whole client page (the first sections rendered, the others loaded by htmx)."""
    return _client_page(stored_applicant(sk_id_curr))


def _section(applicant: Applicant, name: str):
    section = sections.get(name)
    if section is None or section not in sections.sections_for(applicant):
        raise NotFound()
    html, _view, status = render_section(section, applicant, request.args.to_dict())
    if section.logged:  # an explanation opened on its own
        _log_explanation(applicant, "explanation", loaded_model(), {"section": name})
    return section_response(section, applicant, html, status)


@bp.get("/clients/<client_id:sk_id_curr>/sections/<section>")
@roles_required()
def section(sk_id_curr: int, section: str):
    """One section of the client page, as an htmx partial (a page without htmx)."""
    return _section(stored_applicant(sk_id_curr), section)


def _whatif(applicant: Applicant):
    """Score what was typed; the instalment or the term, whichever the advisor did not
    change, follows the other (``term_driven``), with JavaScript or without."""
    model = loaded_model()
    form = WhatIfForm()
    if not form.validate():
        return render("credit/whatif_page.html", "credit/sections/_whatif_result.html",
                      status=422, applicant=applicant, view=WhatIfView(form),
                      oob=wants_partial())
    changes = {name: getattr(form, name).data for name in WhatIfForm.FIELDS}
    term_driven = form.term_driven(request.headers.get("HX-Trigger-Name"))
    result = what_if(model, applicant.record, changes, term_driven=term_driven)
    log_shown(applicant, "what_if", model, result.changed, result.against, result.in_favour,
              {"changes": [{"field": c.field, "before": c.before, "after": c.after}
                           for c in result.changes],
               "original_probability": result.original.probability,
               "original_decision": result.original.decision})
    form.show_derived(result.record, term_driven)
    charts = (replace(decision_view(model, result.changed).gauge, id="whatif-gauge"),
              replace(reasons_view(model, result.changed, result.record).waterfall,
                      id="whatif-waterfall"))
    return render("credit/whatif_page.html", "credit/sections/_whatif_result.html",
                  applicant=applicant, view=WhatIfView(form, result, *charts),
                  term_driven=term_driven, oob=wants_partial())


@bp.post("/clients/<client_id:sk_id_curr>/what-if")
@roles_required()
def whatif(sk_id_curr: int):
    """Score the changed terms against the original; nothing is saved."""
    return _whatif(stored_applicant(sk_id_curr))


def _sheet(applicant: Applicant):
    """The applicant's sheet, in the applicant's language (``?lang=fr|en``, else the page's):
    date, advisor, final decision and review outcome, reasons, what could change the decision,
    the right to a human review."""
    model = loaded_model()
    language = request.args.get("lang")
    language = language if language in LANGUAGES else current_language()
    explanation = explain(model, applicant.record)
    status = decision_status(db.session, applicant.sk_id_curr, applicant.version,
                             explanation.decision)
    review = None if applicant.is_draft else latest_review(db.session, applicant.sk_id_curr)
    with force_locale(language):
        decision = decision_view(model, explanation, status)
        why = reasons_view(model, explanation, applicant.record)
        recourse = find_recourse(model, applicant.record) \
            if status.final == "refused" else None
        log_shown(applicant, "sheet", model, explanation, why.against, why.in_favour,
                  {"language": language})
        html = render_template("credit/sheet.html", applicant=applicant,
                               explanation=explanation, decision=decision, reasons=why,
                               status=status, review=review, recourse=recourse,
                               model_version=model.version, language=language,
                               today=format_date(date.today(), "long", locale=language),
                               advisor=current_user.email)
    response = make_response(html)
    response.headers["Content-Language"] = language
    return response


@bp.get("/clients/<client_id:sk_id_curr>/fiche")
@roles_required()
def sheet(sk_id_curr: int):
    """The one-page explanation sheet for the applicant (print stylesheet)."""
    return _sheet(stored_applicant(sk_id_curr))


# --- new applications (drafts) -------------------------------------------------------------

@bp.route("/applications/new", methods=["GET", "POST"])
@roles_required()
def new_application():
    """Enter an applicant who is not in the database; see the same page, unsaved."""
    form = NewApplicationForm(lang=current_language())
    if form.validate_on_submit():
        draft = create_draft(db.session, form.to_record(), current_user)
        db.session.commit()
        return redirect(url_for("credit.draft_page", token=draft.id), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template("credit/new_application.html", form=form), status


@bp.get("/applications/draft/<token>")
@roles_required()
def draft_page(token: str):
    """The client page of an unsaved application."""
    return _client_page(draft_applicant(token))


@bp.get("/applications/draft/<token>/sections/<section>")
@roles_required()
def draft_section(token: str, section: str):
    """One section of an unsaved application's page."""
    return _section(draft_applicant(token), section)


@bp.post("/applications/draft/<token>/what-if")
@roles_required()
def draft_whatif(token: str):
    """What-if on an unsaved application."""
    return _whatif(draft_applicant(token))


@bp.get("/applications/draft/<token>/fiche")
@roles_required()
def draft_sheet(token: str):
    """Explanation sheet of an unsaved application."""
    return _sheet(draft_applicant(token))


@bp.post("/applications/draft/<token>/save")
@roles_required()
def draft_save(token: str):
    """Store the draft as a new client (next free ID) with its score; saving it again (a
    double click, two advisors) opens the client it became instead of a duplicate."""
    draft_applicant(token)  # 404 when unknown or expired
    for _attempt in range(5):
        try:
            saved = save_draft(db.session, load_draft(db.session, token), models().credit,
                               current_user)
            db.session.commit()
            break
        except DraftIdTaken:  # another application took that ID at the same moment
            db.session.rollback()
    else:  # imports kept taking the next ID: nothing saved, the draft stays; say "retry"
        abort(503)
    if saved.created:
        flash(_("Dossier %(id)s enregistré.", id=saved.sk_id_curr), "info")
    else:
        flash(_("Cette demande est déjà enregistrée : dossier %(id)s.", id=saved.sk_id_curr),
              "info")
    return redirect(url_for("credit.client_page", sk_id_curr=saved.sk_id_curr), code=303)


from . import model_routes, review_routes  # noqa: E402,F401  (their views, on this blueprint)
