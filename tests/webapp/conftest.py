"""Fixtures of the web tests: a throwaway client (a copy of a seeded application under a new
ID) that a test may edit or delete without disturbing the others."""

from __future__ import annotations

import itertools

import pytest

_NEXT_ID = itertools.count(970_000_001)


@pytest.fixture
def fresh_login_limit(app):
    """Tests that sign in often start with the login limits' counts at zero (failed
    attempts made by earlier tests on the same accounts do not carry over)."""
    from webapp.extensions import limiter

    with app.app_context():
        limiter.reset()


@pytest.fixture
def fresh_client(db, seeded_ids):
    """``fresh_client()`` → the ID of a new client (a copy of a seeded one), removed after."""
    from webapp.clients.models import ApplicationVersion, Client, Review
    from webapp.clients.storage import decode_record, encode_record

    created: list[int] = []

    def make(source_index: int = -1) -> int:
        source = db.session.get(Client, seeded_ids[source_index])
        sk_id = next(_NEXT_ID)
        record = dict(decode_record(source.raw_record), SK_ID_CURR=sk_id)
        copy = Client(sk_id_curr=sk_id, raw_record=encode_record(record),
                      probability=source.probability, decision=source.decision,
                      final_decision=source.final_decision,
                      model_version=source.model_version, source="test:fresh",
                      **{c: getattr(source, c) for c in (
                          "contract_type", "gender", "income_type", "education",
                          "family_status", "housing_type", "children", "income_total",
                          "credit_amount", "annuity", "goods_price", "days_birth")})
        db.session.add(copy)
        db.session.commit()
        created.append(sk_id)
        return sk_id

    yield make
    db.session.rollback()
    for sk_id in created:
        db.session.query(ApplicationVersion).filter_by(sk_id_curr=sk_id).delete()
        db.session.query(Review).filter_by(sk_id_curr=sk_id).delete()
        db.session.query(Client).filter_by(sk_id_curr=sk_id).delete()
    db.session.commit()


@pytest.fixture
def admin_browser(login_as, csrf_token):
    """A signed-in admin and a CSRF token for its session: ``(browser, token)``."""
    browser = login_as("admin")
    return browser, csrf_token(browser, "/")


@pytest.fixture
def advisor_browser(login_as, csrf_token):
    """A signed-in advisor and a CSRF token for its session: ``(browser, token)``."""
    browser = login_as("advisor")
    return browser, csrf_token(browser, "/")


@pytest.fixture(scope="module")
def bearer(app, user_emails):
    """The ``Authorization`` header of an advisor's API token."""
    from webapp.accounts.models import User
    from webapp.accounts.service import issue_token
    from webapp.extensions import db

    with app.app_context():
        user = db.session.query(User).filter_by(email=user_emails["advisor"]).one()
        token = issue_token(db.session, user)
        db.session.commit()
    return {"Authorization": f"Bearer {token}"}
