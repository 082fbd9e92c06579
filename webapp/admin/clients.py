"""``/admin/clients``: list, search, view, edit (a new version, re-scored) and delete the
stored applications. Edits carry the version they were made on: a stale one is refused."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ml.credit.labels import field_label

from ..accounts.access import roles_required
from ..clients.editing import (
    EDITABLE_FIELDS,
    ConcurrentEditError,
    UnchangedError,
    delete_client,
    form_values,
    history,
    parse_edit,
    update_client,
)
from ..clients.models import Client
from ..clients.search import ClientFilters, search_clients, typeahead
from ..clients.storage import decode_record
from ..extensions import db
from ..i18n import current_language
from ..model_store import models
from ..ui.htmx import render
from .blueprint import bp
from .forms import ConfirmForm


def _client_or_404(sk_id_curr: int) -> Client:
    client = db.session.get(Client, sk_id_curr)
    if client is None:
        abort(404)
    return client


def _digits(text: str, longest: int) -> bool:
    """ASCII digits only (``"²".isdigit()`` is true, but ``int("²")`` fails), not too many."""
    return 0 < len(text) <= longest and text.isascii() and text.isdigit()


def _expected_version() -> int | None:
    text = (request.form.get("version") or "").strip()
    return int(text) if _digits(text, 9) else None


@bp.get("/clients", endpoint="clients")
@roles_required("admin")
def clients_list():
    """Every client, by ID; a search by the start of the ID (the table alone for htmx)."""
    query = request.args.get("q", "").strip()[:20]
    page_number = request.args.get("page", "1")
    page_number = int(page_number) if _digits(page_number, 6) else 1
    matches = page = None
    status = 200
    if query:
        if _digits(query, 20):
            matches = typeahead(db.session, query, limit=50)
        else:
            status = 422
    else:
        page = search_clients(db.session, ClientFilters(), page=page_number, per_page=50)
    return render("admin/clients.html", "admin/_clients_table.html", status=status, q=query,
                  matches=matches, page=page)


@bp.get("/clients/<client_id:sk_id_curr>", endpoint="client")
@roles_required("admin")
def client_view(sk_id_curr: int):
    """One client: the raw fields, the versions with their scores, edit and delete."""
    client = _client_or_404(sk_id_curr)
    record = decode_record(client.raw_record)
    lang = current_language()
    fields = [(name, field_label(name, lang), record.get(name)) for name in EDITABLE_FIELDS]
    return render_template("admin/client.html", client=client, fields=fields,
                           versions=history(db.session, client))


def _edit_page(client: Client, values: dict[str, str], errors: dict[str, str], version: int,
               status: int = 200, conflict: bool = False):
    lang = current_language()
    fields = [(name, field_label(name, lang)) for name in EDITABLE_FIELDS]
    return render_template("admin/client_edit.html", client=client, fields=fields,
                           values=values, errors=errors, version=version,
                           conflict=conflict), status


@bp.route("/clients/<client_id:sk_id_curr>/edit", methods=["GET", "POST"],
          endpoint="client_edit")
@roles_required("admin")
def client_edit(sk_id_curr: int):
    """Edit the raw fields; saving creates a new version and re-scores it."""
    client = _client_or_404(sk_id_curr)
    if request.method == "GET":
        return _edit_page(client, form_values(decode_record(client.raw_record)), {},
                          client.version)
    submitted = {name: request.form.get(name, "") for name in EDITABLE_FIELDS}
    expected = _expected_version()
    if expected is None:
        return _edit_page(client, submitted, {}, client.version, 400, conflict=True)
    if expected != client.version:  # stale: say so before judging the fields
        return _edit_page(client, submitted, {}, expected, 409, conflict=True)
    record, errors = parse_edit(submitted, decode_record(client.raw_record))
    if errors:
        return _edit_page(client, submitted, errors, expected, 422)
    try:
        snapshot = update_client(db.session, client, record, expected, models().credit,
                                 current_user.email)
        db.session.commit()
    except ConcurrentEditError:
        db.session.rollback()
        fresh = _client_or_404(sk_id_curr)
        return _edit_page(fresh, submitted, {}, expected, 409, conflict=True)
    except UnchangedError:
        db.session.rollback()
        flash(_("Aucune modification : rien n'a été enregistré, la version %(version)s reste "
                "en vigueur.", version=client.version), "info")
        return redirect(url_for("admin.client", sk_id_curr=sk_id_curr), code=303)
    flash(_("Dossier %(id)s enregistré : version %(version)s, score recalculé.",
            id=sk_id_curr, version=snapshot.version), "info")
    return redirect(url_for("admin.client", sk_id_curr=sk_id_curr), code=303)


@bp.route("/clients/<client_id:sk_id_curr>/delete", methods=["GET", "POST"],
          endpoint="client_delete")
@roles_required("admin")
def client_delete(sk_id_curr: int):
    """Ask for confirmation, then delete the client (its decision records stay)."""
    client = _client_or_404(sk_id_curr)
    form = ConfirmForm()
    if request.method == "GET":
        return render_template("admin/client_delete.html", client=client, form=form,
                               error=None)
    expected = _expected_version()
    try:
        if expected is None:
            raise ConcurrentEditError(client.version)
        delete_client(db.session, client, expected)
        db.session.commit()
    except ConcurrentEditError:
        db.session.rollback()
        fresh = _client_or_404(sk_id_curr)
        error = _("Le dossier a été modifié depuis l'affichage de cette page : vérifiez-le "
                  "puis confirmez de nouveau. Rien n'a été supprimé.")
        return render_template("admin/client_delete.html", client=fresh, form=form,
                               error=error), 409
    flash(_("Dossier %(id)s supprimé.", id=sk_id_curr), "info")
    return redirect(url_for("admin.clients"), code=303)
