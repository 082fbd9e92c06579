"""The final decision: once a review is decided, the reviewer's decision is what every view
shows first (decision card, list and its filter, typeahead, sheet, records, API), with the
model's beside it; after an admin edit, the model's decision of the new version applies again
and the page says so."""

from __future__ import annotations

import re

import pytest

from webapp.clients.final_decision import decision_status
from webapp.clients.models import Client, Review
from webapp.clients.reviews import decide_review, request_review
from webapp.clients.storage import decode_record

JUSTIFICATION = "Revenus complémentaires justifiés en agence, capacité de remboursement vérifiée."
HTMX = {"HX-Request": "true"}


@pytest.fixture
def overridden(db, model, fresh_client, user_emails):
    """A fresh client whose model decision an admin has just overridden: its ID."""
    from webapp.accounts.models import User

    sk_id = fresh_client()
    client = db.session.get(Client, sk_id)
    explanation = model.explain(decode_record(client.raw_record))
    advisor = db.session.query(User).filter_by(email=user_emails["advisor"]).one()
    admin = db.session.query(User).filter_by(email=user_emails["admin"]).one()
    review = request_review(db.session, client, advisor, "Le demandeur conteste.",
                            str(model.version), explanation, [])
    decide_review(db.session, review, admin, "override", JUSTIFICATION)
    db.session.commit()
    return sk_id


def _word(decision: str) -> str:
    return "Accordé" if decision == "accepted" else "Refusé"


def test_an_override_is_shown_first_everywhere(login_as, db, model, overridden, user_emails):
    client = db.session.get(Client, overridden)
    model_decision = model.explain(decode_record(client.raw_record)).decision
    final = "accepted" if model_decision == "refused" else "refused"
    assert client.final_decision == final and client.decision == model_decision
    browser = login_as("advisor")

    card = browser.get(f"/clients/{overridden}/sections/decision", headers=HTMX)
    html = card.get_data(as_text=True)
    verdict = re.search(r'data-testid="final-decision-card">(.*?)</p>', html, re.S).group(1)
    assert _word(final) in verdict and _word(model_decision) not in verdict
    assert "après réexamen humain" in verdict
    assert _word(model_decision) in re.search(r'data-testid="card-model-decision">(.*?)</dd>',
                                              html, re.S).group(1)
    assert JUSTIFICATION in html

    listed = browser.get("/", query_string={"decision": final,
                                            "page": _page_of(db, overridden, final)},
                         headers=HTMX).get_data(as_text=True)
    row = re.search(rf'href="/clients/{overridden}">.*?</tr>', listed, re.S).group(0)
    assert row.index(_word(final)) < row.index(f"(modèle : {_word(model_decision)})")
    other = browser.get("/", query_string={"decision": model_decision,
                                           "page": _page_of(db, overridden, model_decision)},
                        headers=HTMX).get_data(as_text=True)
    assert f'href="/clients/{overridden}"' not in other

    typed = browser.get("/clients/typeahead", query_string={"sk_id_curr": str(overridden)},
                        headers=HTMX).get_data(as_text=True)
    row = re.search(rf'href="/clients/{overridden}">.*?</li>', typed, re.S).group(0)
    assert row.index(_word(final)) < row.index(_word(model_decision))

    sheet = browser.get(f"/clients/{overridden}/fiche").get_data(as_text=True)
    shown = re.search(r'data-testid="sheet-final-decision">(.*?)</p>', sheet, re.S).group(1)
    assert _word(final) in shown
    assert "Demander" not in sheet and "a été réexaminé" in sheet
    assert user_emails["advisor"] in sheet


def _page_of(db, sk_id: int, decision: str) -> int:
    """The list page (25 a page, by ID) on which ``sk_id`` appears when filtered."""
    before = db.session.query(Client).filter(Client.final_decision == decision,
                                             Client.sk_id_curr < sk_id).count()
    return before // 25 + 1


def test_the_api_gives_the_final_decision_and_the_models(client, db, overridden, app,
                                                         user_emails):
    from webapp.accounts.models import User
    from webapp.accounts.service import issue_token

    user = db.session.query(User).filter_by(email=user_emails["advisor"]).one()
    token = issue_token(db.session, user)
    db.session.commit()
    body = client.get(f"/api/v1/clients/{overridden}",
                      headers={"Authorization": f"Bearer {token}"}).get_json()
    stored = db.session.get(Client, overridden)
    assert body["decision"] == stored.final_decision != body["model_decision"]
    assert body["model_decision"] == stored.decision


def test_the_decision_log_records_the_final_decision(login_as, db, overridden):
    from webapp.clients.models import DecisionRecord

    login_as("advisor").get(f"/clients/{overridden}")
    record = db.session.query(DecisionRecord).filter_by(
        sk_id_curr=overridden, action="explanation").order_by(DecisionRecord.id.desc()).first()
    stored = db.session.get(Client, overridden)
    assert record.decision == stored.final_decision
    assert f'"model_decision": "{stored.decision}"' in record.details


def test_after_an_edit_the_models_decision_applies_again(login_as, db, model, overridden):
    from webapp.clients.editing import update_client

    client = db.session.get(Client, overridden)
    record = decode_record(client.raw_record)
    update_client(db.session, client, dict(record, AMT_INCOME_TOTAL=record["AMT_INCOME_TOTAL"]
                                           + 1000), client.version, model, "admin@example.com")
    db.session.commit()
    client = db.session.get(Client, overridden)
    assert client.final_decision == client.decision
    status = decision_status(db.session, overridden, client.version, client.decision)
    assert not status.by_review and status.outdated_review is not None
    html = login_as("advisor").get(f"/clients/{overridden}/sections/decision",
                                   headers=HTMX).get_data(as_text=True)
    assert 'data-testid="outdated-review"' in html
    assert "applique de nouveau, jusqu'à un nouveau réexamen" in html


def test_the_migration_back_fills_the_final_decision(app, tmp_path):
    """0004 on a database that already holds an overridden review."""
    import flask_migrate
    from sqlalchemy import create_engine, text

    from webapp import create_app

    path = tmp_path / "old.sqlite3"
    old = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
                      "PAD_ARTIFACTS_DIR": app.config["PAD_ARTIFACTS_DIR"]})
    with old.app_context():
        flask_migrate.upgrade(revision="0002")
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO users (id, email, password_hash, role, active, created_at) VALUES "
            "(1, 'a@b.c', 'x', 'admin', 1, '2026-01-01')"))
        for sk_id, version in ((1, 1), (2, 2), (3, 1)):
            connection.execute(text(
                "INSERT INTO clients (sk_id_curr, raw_record, decision, source, imported_at, "
                "version) VALUES (:id, x'00', 'refused', 'test', '2026-01-01', :v)"),
                {"id": sk_id, "v": version})
        # client 1: overridden on its version; 2: overridden on an older version; 3: none
        for sk_id in (1, 2):
            connection.execute(text(
                "INSERT INTO reviews (sk_id_curr, application_version, applicant_view, "
                "requested_by_id, requested_at, model_decision, status, final_decision) "
                "VALUES (:id, 1, 'v', 1, '2026-01-01', 'refused', 'overridden', 'accepted')"),
                {"id": sk_id})
    with old.app_context():
        flask_migrate.upgrade()
    with engine.connect() as connection:
        rows = dict(connection.execute(text("SELECT sk_id_curr, final_decision FROM clients"))
                    .all())
    engine.dispose()
    assert rows == {1: "accepted", 2: "refused", 3: "refused"}


def test_a_pending_review_changes_nothing(db, model, fresh_client, user_emails):
    from webapp.accounts.models import User

    sk_id = fresh_client()
    client = db.session.get(Client, sk_id)
    advisor = db.session.query(User).filter_by(email=user_emails["advisor"]).one()
    request_review(db.session, client, advisor, "Le demandeur conteste.", str(model.version),
                   model.explain(decode_record(client.raw_record)), [])
    db.session.commit()
    assert db.session.query(Review).filter_by(sk_id_curr=sk_id).one().is_pending
    assert db.session.get(Client, sk_id).final_decision == client.decision
