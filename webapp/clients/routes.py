"""Find a client, the client page and its partials, the what-if, new applications.

Views stay thin: parse the request, call a service (``webapp/services``), render the page or
its partial (``webapp/htmx.render``).
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import func, select
from werkzeug.exceptions import NotFound, ServiceUnavailable

from ..auth.access import roles_required
from ..extensions import db
from ..htmx import render, wants_partial
from ..models import Client
from ..models_registry import models
from ..services import client_page
from ..services.client_search import ClientFilters, search_clients, typeahead
from ..services.explanations import explain, reasons
from ..services.records import client_columns, encode_record
from ..services.whatif import find_recourse, term_of, what_if
from ..templating import current_language
from .applicants import Applicant, draft_applicant, draft_token, stored_applicant
from .forms import ClientFilterForm, NewApplicationForm, WhatIfForm
from .recording import record_shown

bp = Blueprint("clients", __name__)

SECTIONS = ("identity", "decision", "reasons", "population", "neighbours", "bivariate",
            "whatif", "recourse")
#: Sections rendered with the page; the others load when scrolled into view.
EAGER_SECTIONS = ("identity", "decision", "reasons")


# --- finding a client -------------------------------------------------------------------

@bp.get("/")
@roles_required()
def search():
    """The search page: typeahead by ID and the filtered list (the list alone for htmx)."""
    form = ClientFilterForm(request.args, lang=current_language())
    status = 200
    if form.validate():
        page = search_clients(db.session, _filters(form), page=form.page.data or 1)
    else:
        page, status = None, 422
    return render("clients/search.html", "clients/_list.html", status=status, form=form,
                  page=page, query_args=_query_args(form))


def _filters(form: ClientFilterForm) -> ClientFilters:
    def share(value: float | None) -> float | None:
        return None if value is None else value / 100

    return ClientFilters(decision=form.decision.data or None,
                         probability_min=share(form.probability_min.data),
                         probability_max=share(form.probability_max.data),
                         contract_type=form.contract_type.data or None,
                         education=form.education.data or None,
                         family_status=form.family_status.data or None,
                         income_type=form.income_type.data or None,
                         sort=form.sort.data or "id")


def _query_args(form: ClientFilterForm) -> dict[str, str]:
    """The filters as query arguments (for pagination links), without empty ones."""
    return {name: str(request.args[name]) for name in request.args
            if name != "page" and name in form._fields and request.args[name]}


@bp.get("/clients/typeahead")
@roles_required()
def typeahead_results():
    """Up to 8 clients whose ID starts with what was typed (a fragment)."""
    text = request.args.get("sk_id_curr", "")[:20]
    matches = typeahead(db.session, text)
    return render("clients/typeahead_page.html", "clients/_typeahead.html", matches=matches,
                  text=text)


@bp.get("/clients/go")
@roles_required()
def go():
    """The search box without JavaScript: open the client, or say it does not exist."""
    text = request.args.get("sk_id_curr", "").strip()
    if not text.isdigit() or len(text) > 12:
        error = NotFound()
        error.pad_message = _("Saisissez un identifiant de dossier (chiffres uniquement).")
        raise error
    return redirect(url_for("clients.client_page", sk_id_curr=int(text)))


# --- the client page ----------------------------------------------------------------------

def _model() -> Any:
    model = models().credit
    if model is None:
        error = ServiceUnavailable()
        error.pad_message = _("Le modèle de crédit n'est pas chargé : la décision ne peut pas "
                              "être calculée pour le moment. Prévenez l'administrateur.")
        raise error
    return model


def _section_context(name: str, applicant: Applicant) -> tuple[dict[str, Any], int]:
    """What the partial ``clients/_<name>.html`` shows, and the status."""
    lang = current_language()
    if name == "identity":
        return {"identity": client_page.identity_card(applicant.record, lang)}, 200
    model = _model()
    explanation = explain(model, applicant.record)
    context: dict[str, Any] = {"explanation": explanation, "model": model}
    status = 200
    if name == "decision":
        context.update(client_page.decision_section(model, explanation, lang))
    elif name == "reasons":
        context.update(client_page.reasons_section(model, explanation, applicant.record, lang))
    elif name == "population":
        context.update(client_page.population_section(model, explanation, applicant.record,
                                                      lang))
    elif name == "neighbours":
        context.update(client_page.neighbours_section(model, explanation, applicant.record,
                                                      lang))
    elif name == "bivariate":
        choice, error = _scatter_choice(model, explanation)
        status = 422 if error else 200
        context.update(client_page.bivariate_section(model, explanation, applicant.record,
                                                     choice, lang), error=error)
    elif name == "whatif":
        context["form"] = _whatif_form(applicant.record)
    elif name == "recourse":
        context["recourse"] = find_recourse(model, applicant.record, lang)
    return context, status


def _scatter_choice(model: Any, explanation: Any):
    default = client_page.default_scatter_choice(model, explanation)
    available = set(client_page.scatter_features(model))
    x, y = request.args.get("x", default.x), request.args.get("y", default.y)
    if x not in available or y not in available:
        return default, _("Choisissez deux variables de la liste.")
    return client_page.ScatterChoice(x, y), None


def _whatif_form(record: dict[str, Any]) -> WhatIfForm:
    """The what-if form filled with the applicant's own terms."""
    data = {name: record.get(name) for name in WhatIfForm.FIELDS if name != "TERM"}
    term = term_of(record)
    data["TERM"] = round(term, 1) if term else None
    return WhatIfForm(formdata=None, data=data)


def _client_page(applicant: Applicant):
    """The page: the eager sections rendered in place (the same partials htmx fetches)."""
    sections: dict[str, Markup] = {}
    contexts: dict[str, dict[str, Any]] = {}
    model_error = None
    for name in EAGER_SECTIONS:
        try:
            context, _status = _section_context(name, applicant)
        except ServiceUnavailable as exc:
            model_error = getattr(exc, "pad_message", None)
            break
        contexts[name] = context
        sections[name] = Markup(render_template(f"clients/_{name}.html", applicant=applicant,
                                                section=name, **context))
    if "reasons" in contexts:
        shown = contexts["reasons"]
        record_shown(applicant, "explanation", shown["model"], shown["explanation"],
                     shown["against"], shown["in_favour"])
    review_panel = None
    if not applicant.is_draft:
        from .review_routes import review_panel_html

        review_panel = review_panel_html(applicant, can_request=model_error is None)
    response = make_response(render_template(
        "clients/client.html", applicant=applicant, sections=sections, review=review_panel,
        lazy=[s for s in SECTIONS if s not in EAGER_SECTIONS], model_error=model_error))
    response.vary.add("HX-Request")
    return response


@bp.get("/clients/<int:sk_id_curr>", endpoint="client_page")
@roles_required()
def client_page_view(sk_id_curr: int):
    """The whole client page (the first sections rendered, the others loaded by htmx)."""
    return _client_page(stored_applicant(sk_id_curr))


def _section(applicant: Applicant, name: str):
    if name not in SECTIONS:
        abort(404)
    context, status = _section_context(name, applicant)
    if name in ("decision", "reasons"):  # an explanation opened on its own
        against, in_favour = (context["against"], context["in_favour"]) if name == "reasons" \
            else reasons(context["model"], context["explanation"], applicant.record,
                         current_language())
        record_shown(applicant, "explanation", context["model"], context["explanation"],
                     against, in_favour, {"section": name})
    return render("clients/section_page.html", f"clients/_{name}.html", status=status,
                  applicant=applicant, section=name, **context)


@bp.get("/clients/<int:sk_id_curr>/sections/<section>")
@roles_required()
def section(sk_id_curr: int, section: str):
    """One section of the client page, as an htmx partial (a page without htmx)."""
    return _section(stored_applicant(sk_id_curr), section)


def _whatif(applicant: Applicant):
    model = _model()
    form = WhatIfForm()
    lang = current_language()
    if not form.validate():
        return render("clients/whatif_page.html", "clients/_whatif_result.html", status=422,
                      applicant=applicant, form=form, result=None, oob=wants_partial())
    changes = {name: getattr(form, name).data for name in WhatIfForm.FIELDS}
    term_driven = request.headers.get("HX-Trigger-Name") == "TERM"
    result = what_if(model, applicant.record, changes, term_driven=term_driven, lang=lang)
    record_shown(applicant, "what_if", model, result.changed, result.against, result.in_favour,
                 {"changes": [{"field": c.field, "before": c.before, "after": c.after}
                              for c in result.changes],
                  "original_probability": result.original.probability,
                  "original_decision": result.original.decision})
    new_term = term_of(result.record)
    return render("clients/whatif_page.html", "clients/_whatif_result.html", applicant=applicant,
                  form=form, result=result, term_driven=term_driven,
                  new_term=round(new_term, 1) if new_term else None,
                  new_annuity=result.record.get("AMT_ANNUITY"), oob=wants_partial())


@bp.post("/clients/<int:sk_id_curr>/what-if")
@roles_required()
def whatif(sk_id_curr: int):
    """Score the changed terms against the original; nothing is saved."""
    return _whatif(stored_applicant(sk_id_curr))


def _sheet(applicant: Applicant):
    lang = current_language()
    model = _model()
    explanation = explain(model, applicant.record)
    context = client_page.decision_section(model, explanation, lang)
    context.update(client_page.reasons_section(model, explanation, applicant.record, lang))
    record_shown(applicant, "sheet", model, explanation, context["against"],
                 context["in_favour"])
    return render_template("clients/sheet.html", applicant=applicant, explanation=explanation,
                           identity=client_page.identity_card(applicant.record, lang),
                           recourse=find_recourse(model, applicant.record, lang),
                           explanation_model_version=model.version, **context)


@bp.get("/clients/<int:sk_id_curr>/fiche")
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
        token = draft_token(form.to_record())
        return redirect(url_for("clients.draft_page", token=token), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template("clients/new_application.html", form=form), status


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
    """Store the draft as a new client (next free ID) with its score."""
    applicant = draft_applicant(token)
    model = models().credit
    explanation = explain(model, applicant.record) if model is not None else None
    next_id = (db.session.scalar(select(func.max(Client.sk_id_curr))) or 100000) + 1
    record = dict(applicant.record, SK_ID_CURR=next_id)
    client = Client(sk_id_curr=next_id, raw_record=encode_record(record),
                    probability=explanation.probability if explanation else None,
                    decision=explanation.decision if explanation else None,
                    model_version=str(model.version) if model is not None else None,
                    source=f"form:{current_user.email}"[:200], **client_columns(record))
    db.session.add(client)
    db.session.commit()
    flash(_("Dossier %(id)s enregistré.", id=next_id), "info")
    return redirect(url_for("clients.client_page", sk_id_curr=next_id), code=303)


from . import review_routes  # noqa: E402,F401  (the review views, on this blueprint)
