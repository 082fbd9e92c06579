"""Human review: an advisor records the applicant's view and asks for a review; an admin
confirms or overrides the decision with a justification; the client page shows the outcome.
Both steps are in the decision records."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from webapp.clients.models import DecisionRecord, Review

pytestmark = pytest.mark.db  # run on PostgreSQL too (scripts/test.sh)

VIEW = "Le demandeur a un nouveau CDI depuis mars ; ses revenus ont doublé."
JUSTIFICATION = "Contrat de travail et trois bulletins de salaire vérifiés : revenu confirmé."


def _ask(browser, token, sk_id, view=VIEW, htmx=True):
    headers = {"X-CSRFToken": token}
    if htmx:
        headers["HX-Request"] = "true"
    return browser.post(f"/clients/{sk_id}/review", data={"applicant_view": view},
                        headers=headers)


def _review(db, sk_id) -> Review:
    db.session.expire_all()
    return db.session.scalar(select(Review).where(Review.sk_id_curr == sk_id)
                             .order_by(Review.id.desc()))


def test_the_client_page_offers_a_review(advisor_browser, fresh_client):
    browser, _ = advisor_browser
    html = browser.get(f"/clients/{fresh_client()}").get_data(as_text=True)
    assert 'id="review"' in html and "Demander un réexamen humain" in html
    assert re.search(r'<label for="applicant_view">Point de vue du demandeur</label>', html)


def test_an_advisor_asks_and_an_admin_overrides(advisor_browser, admin_browser, db,
                                                fresh_client, user_emails):
    sk_id = fresh_client()
    browser, token = advisor_browser
    response = _ask(browser, token, sk_id)
    assert response.status_code == 200
    partial = response.get_data(as_text=True)
    assert "<html" not in partial and "en attente d'un administrateur" in partial
    review = _review(db, sk_id)
    assert review.status == "pending" and review.applicant_view == VIEW
    model_decision = review.model_decision

    admin, admin_token = admin_browser
    listing = admin.get("/admin/reviews").get_data(as_text=True)
    assert f"/admin/reviews/{review.id}" in listing
    page = admin.get(f"/admin/reviews/{review.id}").get_data(as_text=True)
    assert VIEW.replace("'", "&#39;") in page
    response = admin.post(f"/admin/reviews/{review.id}", headers={"X-CSRFToken": admin_token},
                          data={"outcome": "override", "justification": JUSTIFICATION})
    assert response.status_code == 303
    review = _review(db, sk_id)
    final = "accepted" if model_decision == "refused" else "refused"
    assert review.status == "overridden" and review.final_decision == final

    html = browser.get(f"/clients/{sk_id}").get_data(as_text=True)
    outcome = html[html.index('data-testid="review-outcome"'):]
    shown = {"accepted": "Accordé", "refused": "Refusé"}
    final_html = outcome[outcome.index('data-testid="final-decision"'):]
    assert shown[final] in final_html[:400] and "infirmée" in final_html[:600]
    model_html = outcome[outcome.index('data-testid="model-decision"'):]
    assert shown[model_decision] in model_html[:300]
    assert JUSTIFICATION in outcome

    actions = [r.action for r in db.session.scalars(
        select(DecisionRecord).where(DecisionRecord.sk_id_curr == sk_id))]
    assert "review_requested" in actions and "review_decided" in actions
    decided = db.session.scalar(select(DecisionRecord).where(
        DecisionRecord.sk_id_curr == sk_id, DecisionRecord.action == "review_decided"))
    assert decided.decision == final and decided.user_email == user_emails["admin"]
    assert JUSTIFICATION in decided.details


def test_a_review_without_htmx_redirects_to_the_page(advisor_browser, fresh_client, db):
    sk_id = fresh_client()
    browser, token = advisor_browser
    response = _ask(browser, token, sk_id, htmx=False)
    assert response.status_code == 303 and response.headers["Location"].endswith(
        f"/clients/{sk_id}#review")
    assert _review(db, sk_id).is_pending


@pytest.mark.parametrize("view", ["", "   \n  ", "x" * 4001])
def test_a_review_needs_the_applicants_view(advisor_browser, fresh_client, db, view):
    sk_id = fresh_client()
    browser, token = advisor_browser
    response = _ask(browser, token, sk_id, view=view)
    assert response.status_code == 422
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    assert _review(db, sk_id) is None


def test_a_second_request_while_pending_is_refused(advisor_browser, fresh_client, db):
    sk_id = fresh_client()
    browser, token = advisor_browser
    assert _ask(browser, token, sk_id).status_code == 200
    response = _ask(browser, token, sk_id, view="encore")
    assert response.status_code in (409, 200)
    reviews = db.session.scalars(select(Review).where(Review.sk_id_curr == sk_id)).all()
    assert len(reviews) == 1


def test_a_review_request_needs_csrf(advisor_browser, fresh_client, db):
    sk_id = fresh_client()
    browser, _ = advisor_browser
    response = browser.post(f"/clients/{sk_id}/review", data={"applicant_view": VIEW})
    assert response.status_code == 400
    assert _review(db, sk_id) is None


@pytest.mark.parametrize("data", [{"outcome": "override", "justification": "trop court"},
                                  {"outcome": "override", "justification": " " * 50},
                                  {"outcome": "maybe", "justification": JUSTIFICATION},
                                  {"justification": JUSTIFICATION},
                                  {"outcome": "confirm", "justification": "x" * 4001}])
def test_a_decision_needs_an_outcome_and_a_justification(advisor_browser, admin_browser,
                                                         fresh_client, db, data):
    sk_id = fresh_client()
    browser, token = advisor_browser
    _ask(browser, token, sk_id)
    review = _review(db, sk_id)
    admin, admin_token = admin_browser
    response = admin.post(f"/admin/reviews/{review.id}", data=data,
                          headers={"X-CSRFToken": admin_token})
    assert response.status_code == 422
    assert 'class="error"' in response.get_data(as_text=True)
    assert _review(db, sk_id).is_pending


def test_a_decided_review_cannot_be_decided_again(advisor_browser, admin_browser, fresh_client,
                                                  db):
    sk_id = fresh_client()
    browser, token = advisor_browser
    _ask(browser, token, sk_id)
    review = _review(db, sk_id)
    admin, admin_token = admin_browser
    url = f"/admin/reviews/{review.id}"
    assert admin.post(url, data={"outcome": "confirm", "justification": JUSTIFICATION},
                      headers={"X-CSRFToken": admin_token}).status_code == 303
    second = admin.post(url, data={"outcome": "override", "justification": JUSTIFICATION},
                        headers={"X-CSRFToken": admin_token})
    assert second.status_code == 409
    assert _review(db, sk_id).status == "confirmed"
    assert admin.get("/admin/reviews/999999").status_code == 404
