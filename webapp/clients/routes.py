"""Find a client: the typeahead on the ID, the search box without JavaScript, and the
filtered list (the client page itself is the ``credit`` package's)."""

from __future__ import annotations

from flask import Blueprint, redirect, request, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import NotFound

from ..accounts.access import roles_required
from ..extensions import db
from ..i18n import current_language
from ..ui.htmx import render
from .forms import ClientFilterForm
from .search import ClientFilters, search_clients, typeahead

bp = Blueprint("clients", __name__)


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
    if not (text.isascii() and text.isdigit()) or len(text) > 12:
        error = NotFound()
        error.pad_message = _("Saisissez un identifiant de dossier (chiffres uniquement).")
        raise error
    return redirect(url_for("credit.client_page", sk_id_curr=int(text)))
