"""Decision records: every explanation shown leaves one append-only record, which admins
browse, filter and export, and which nothing can change or delete."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import delete, event, select, text, update
from sqlalchemy.exc import DatabaseError

from webapp.clients.decision_log import record_decision
from webapp.clients.models import AppendOnlyError, DecisionRecord

pytestmark = pytest.mark.db  # run on PostgreSQL too (scripts/test.sh)


def _records(db, sk_id):
    db.session.expire_all()
    return list(db.session.scalars(select(DecisionRecord).where(DecisionRecord.sk_id_curr == sk_id)
                                   .order_by(DecisionRecord.id)))


def test_opening_the_client_page_records_who_saw_what(advisor_browser, db, model, seeded_ids,
                                                       user_emails):
    browser, _ = advisor_browser
    sk_id = seeded_ids[40]
    before = len(_records(db, sk_id))
    html = browser.get(f"/clients/{sk_id}").get_data(as_text=True)
    rows = _records(db, sk_id)
    assert len(rows) == before + 1
    row = rows[-1]
    assert row.action == "explanation" and row.user_email == user_emails["advisor"]
    assert row.application_version == 1 and row.model_version == str(model.version)
    assert row.threshold == pytest.approx(model.threshold)
    assert row.decision in ("accepted", "refused")
    reasons = json.loads(row.reasons)
    assert reasons and all(r[:2] in ("− ", "+ ") for r in reasons)
    # the reasons recorded are the sentences the page showed
    first = reasons[0][2:].split(" : ")[0]
    assert first in html


def test_the_client_page_records_with_one_insert(app, advisor_browser, db, seeded_ids):
    from webapp.extensions import db as database

    browser, _ = advisor_browser
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            statements.append(statement)

    with app.app_context():
        engine = database.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert browser.get(f"/clients/{seeded_ids[41]}").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == 1 and "decision_records" in statements[0]


def test_what_if_and_sheet_are_recorded(advisor_browser, db, seeded_ids):
    browser, token = advisor_browser
    sk_id = seeded_ids[42]
    before = len(_records(db, sk_id))
    response = browser.post(f"/clients/{sk_id}/what-if", headers={"X-CSRFToken": token,
                                                                  "HX-Request": "true"},
                            data={"AMT_CREDIT": "20000", "AMT_ANNUITY": "2000", "TERM": "10",
                                  "AMT_GOODS_PRICE": "20000", "AMT_INCOME_TOTAL": "150000"})
    assert response.status_code == 200
    assert browser.get(f"/clients/{sk_id}/fiche").status_code == 200
    rows = _records(db, sk_id)[before:]
    assert [r.action for r in rows] == ["what_if", "sheet"]
    changes = json.loads(rows[0].details)["changes"]
    assert any(c["field"] == "AMT_CREDIT" for c in changes)


def test_an_invalid_what_if_records_nothing(advisor_browser, db, seeded_ids):
    browser, token = advisor_browser
    sk_id = seeded_ids[43]
    before = len(_records(db, sk_id))
    response = browser.post(f"/clients/{sk_id}/what-if", headers={"X-CSRFToken": token},
                            data={"AMT_CREDIT": "abc"})
    assert response.status_code == 422
    assert len(_records(db, sk_id)) == before


def test_records_cannot_be_changed_or_deleted_through_the_orm(db, seeded_ids):
    row = record_decision(db.session, user=None, action="explanation", sk_id_curr=seeded_ids[0],
                          application_version=1, model_version="m", threshold=0.5,
                          probability=0.2, decision="accepted", reasons=["+ x"])
    db.session.commit()
    row.decision = "refused"
    with pytest.raises(AppendOnlyError):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.get(DecisionRecord, row.id))
    with pytest.raises(AppendOnlyError):
        db.session.commit()
    db.session.rollback()
    with pytest.raises(AppendOnlyError):
        db.session.execute(update(DecisionRecord).values(decision="refused"))
    with pytest.raises(AppendOnlyError):
        db.session.execute(delete(DecisionRecord))
    db.session.rollback()
    assert db.session.get(DecisionRecord, row.id).decision == "accepted"


def test_the_database_refuses_raw_updates_and_deletes(db):
    for statement in ("UPDATE decision_records SET decision = 'refused'",
                      "DELETE FROM decision_records"):
        with pytest.raises(DatabaseError, match="append-only"):
            db.session.execute(text(statement))
        db.session.rollback()


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_no_route_changes_a_record(app, admin_browser, db, seeded_ids, method):
    browser, token = admin_browser
    browser.get(f"/clients/{seeded_ids[44]}")
    snapshot = db.session.execute(text("SELECT * FROM decision_records ORDER BY id")).all()
    record_id = snapshot[-1][0]
    for url in ("/admin/records", f"/admin/records/{record_id}", "/admin/records.csv",
                f"/admin/records/{record_id}/delete", f"/admin/records/{record_id}/edit"):
        response = browser.open(url, method=method, headers={"X-CSRFToken": token},
                                data={"decision": "refused"})
        assert response.status_code in (404, 405), url
    db.session.expire_all()
    assert db.session.execute(text("SELECT * FROM decision_records ORDER BY id")).all() \
        == snapshot
    # and no rule of the app names a record with a changing method
    for rule in app.url_map.iter_rules():
        if "record" in rule.rule:
            assert rule.methods <= {"GET", "HEAD", "OPTIONS"}, rule.rule


def test_admins_filter_the_records(admin_browser, advisor_browser, seeded_ids, user_emails):
    advisor, _ = advisor_browser
    sk_id = seeded_ids[45]
    advisor.get(f"/clients/{sk_id}")
    admin, _ = admin_browser
    html = admin.get(f"/admin/records?sk_id_curr={sk_id}&action=explanation").get_data(
        as_text=True)
    assert user_emails["advisor"] in html and f"{sk_id} (v1)" in html
    other = admin.get(f"/admin/records?sk_id_curr={sk_id}&action=sheet").get_data(as_text=True)
    assert f"{sk_id} (v1)" not in other
    partial = admin.get(f"/admin/records?user_email={user_emails['advisor']}",
                        headers={"HX-Request": "true"})
    assert partial.status_code == 200 and "<html" not in partial.get_data(as_text=True)


@pytest.mark.parametrize("query", ["sk_id_curr=abc", "sk_id_curr=-5", "date_from=2026-13-45",
                                   "action=drop_table", "date_from=2026-02-01&date_to=2026-01-01",
                                   "page=0"])
def test_bad_filters_get_a_message(admin_browser, query):
    admin, _ = admin_browser
    response = admin.get(f"/admin/records?{query}")
    assert response.status_code == 422
    assert "Certains filtres sont incorrects" in response.get_data(as_text=True)
    assert admin.get(f"/admin/records.csv?{query}").status_code == 422


def test_records_export_as_csv(admin_browser, advisor_browser, db, seeded_ids):
    advisor, _ = advisor_browser
    sk_id = seeded_ids[46]
    advisor.get(f"/clients/{sk_id}")
    record_decision(db.session, user=None, action="explanation", sk_id_curr=sk_id,
                    application_version=1, model_version="=HYPERLINK(\"http://x\")",
                    threshold=0.5, probability=0.1, decision="accepted")
    db.session.commit()
    admin, _ = admin_browser
    response = admin.get(f"/admin/records.csv?sk_id_curr={sk_id}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == 2 and {r["sk_id_curr"] for r in rows} == {str(sk_id)}
    assert rows[0]["action"] == "explanation" and json.loads(rows[0]["reasons"])
    assert rows[1]["model_version"].startswith("'=")  # no formula for the spreadsheet
