"""``/admin/records``: browse, filter and export the decision records (read only: no route
changes or deletes a record)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Response, request
from sqlalchemy.orm import Session

from ..accounts.access import roles_required
from ..clients.decision_log import RecordFilters, export_csv, parsed, search_records
from ..extensions import db
from ..ui.htmx import render
from .blueprint import bp
from .forms import RecordFilterForm


def _filters(form: RecordFilterForm) -> RecordFilters:
    return RecordFilters(user_email=(form.user_email.data or "").strip() or None,
                         sk_id_curr=form.sk_id_curr.data, action=form.action.data or None,
                         decision=form.decision.data or None, date_from=form.date_from.data,
                         date_to=form.date_to.data)


def _query_args(form: RecordFilterForm) -> dict[str, str]:
    return {name: str(request.args[name]) for name in request.args
            if name != "page" and name in form._fields and request.args[name]}


@bp.get("/records", endpoint="records")
@roles_required("admin")
def records_list():
    """The records, newest first, filtered (the table alone for htmx)."""
    form = RecordFilterForm(request.args)
    status, page = 200, None
    if form.validate():
        page = search_records(db.session, _filters(form), page=form.page.data or 1)
    else:
        status = 422
    return render("admin/records.html", "admin/_records_table.html", status=status, form=form,
                  page=page, parsed=parsed, query_args=_query_args(form))


@bp.get("/records.csv", endpoint="records_csv")
@roles_required("admin")
def records_csv():
    """The filtered records as a CSV file (streamed; formulas neutralised)."""
    form = RecordFilterForm(request.args)
    if not form.validate():
        return render("admin/records.html", "admin/_records_table.html", status=422, form=form,
                      page=None, parsed=parsed, query_args=_query_args(form))
    filters = _filters(form)
    engine = db.engine

    def rows():
        # Its own session: the stream outlives the request's app context.
        with Session(engine) as session:
            yield from export_csv(session, filters)

    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return Response(rows(),
                    content_type="text/csv; charset=utf-8",  # one charset (mimetype adds one)
                    headers={"Content-Disposition":
                             f'attachment; filename="decision-records-{stamp}.csv"',
                             "Cache-Control": "no-store"})
