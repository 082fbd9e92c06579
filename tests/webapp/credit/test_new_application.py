"""A new application: the same page without a database record until saved."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from webapp.clients.models import Client

pytestmark = pytest.mark.db  # run on PostgreSQL too (scripts/test.sh)

FORM = {"NAME_CONTRACT_TYPE": "Cash loans", "CODE_GENDER": "F", "AGE": "38",
        "CNT_CHILDREN": "1", "CNT_FAM_MEMBERS": "3", "NAME_FAMILY_STATUS": "Married",
        "NAME_EDUCATION_TYPE": "Higher education", "NAME_INCOME_TYPE": "Working",
        "NAME_HOUSING_TYPE": "House / apartment", "FLAG_OWN_CAR": "N",
        "FLAG_OWN_REALTY": "Y", "EMPLOYMENT_YEARS": "6,5", "AMT_INCOME_TOTAL": "180 000",
        "AMT_CREDIT": "675 000", "AMT_ANNUITY": "32 000", "AMT_GOODS_PRICE": "675 000",
        "EXT_SOURCE_2": "0,6", "EXT_SOURCE_3": ""}


@pytest.fixture
def advisor(login_as, csrf_token):
    browser = login_as("advisor")
    browser.token = csrf_token(browser, "/applications/new")
    return browser


def _count(db):
    return db.session.scalar(select(func.count()).select_from(Client))


def test_new_application_shows_the_client_page_without_saving(advisor, db, model):
    before = _count(db)
    response = advisor.post("/applications/new", data=dict(FORM, csrf_token=advisor.token))
    assert response.status_code == 303
    page = advisor.get(response.headers["Location"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Nouvelle demande (non enregistrée)" in html
    expected = model.explain({"AMT_INCOME_TOTAL": 180000, "AMT_CREDIT": 675000,
                              "AMT_ANNUITY": 32000, "AMT_GOODS_PRICE": 675000,
                              "DAYS_BIRTH": -round(38 * 365.25),
                              "DAYS_EMPLOYED": -round(6.5 * 365.25), "CNT_CHILDREN": 1,
                              "CNT_FAM_MEMBERS": 3, "NAME_CONTRACT_TYPE": "Cash loans",
                              "CODE_GENDER": "F", "NAME_FAMILY_STATUS": "Married",
                              "NAME_EDUCATION_TYPE": "Higher education",
                              "NAME_INCOME_TYPE": "Working",
                              "NAME_HOUSING_TYPE": "House / apartment", "FLAG_OWN_CAR": "N",
                              "FLAG_OWN_REALTY": "Y", "EXT_SOURCE_2": 0.6})
    shown = re.search(r'data-testid="probability">([^<]+)<', html).group(1)
    assert float(shown.replace("%", "").replace(",", ".").strip()) == pytest.approx(
        expected.probability * 100, abs=0.051)
    assert _count(db) == before


def test_saving_a_draft_creates_the_client(advisor, db):
    location = advisor.post("/applications/new",
                            data=dict(FORM, csrf_token=advisor.token)).headers["Location"]
    before = _count(db)
    saved = advisor.post(location + "/save", data={"csrf_token": advisor.token})
    assert saved.status_code == 303
    new_id = int(saved.headers["Location"].rsplit("/", 1)[1])
    assert _count(db) == before + 1
    client = db.session.get(Client, new_id)
    assert client.credit_amount == 675000 and client.decision in ("accepted", "refused")


@pytest.mark.parametrize("field, value", [
    ("AGE", ""), ("AGE", "12"), ("AGE", "quarante"), ("AMT_CREDIT", "-1"),
    ("AMT_INCOME_TOTAL", "1e400"), ("AMT_ANNUITY", "999999999999"),
    ("CNT_CHILDREN", "-2"), ("EXT_SOURCE_2", "1,5"), ("NAME_CONTRACT_TYPE", "Mortgage"),
    ("CNT_FAM_MEMBERS", "1"),  # fewer people than the applicant and her child
])
def test_hostile_input_gets_a_message_and_a_422(advisor, db, field, value):
    before = _count(db)
    response = advisor.post("/applications/new",
                            data=dict(FORM, **{field: value}, csrf_token=advisor.token))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'id="{field}-error"' in html
    assert 'aria-invalid="true"' in html
    assert _count(db) == before


def test_a_tampered_draft_is_a_404(advisor):
    location = advisor.post("/applications/new",
                            data=dict(FORM, csrf_token=advisor.token)).headers["Location"]
    assert advisor.get(location[:-3] + "xyz").status_code == 404


def test_a_draft_url_carries_nothing_of_the_applicant(advisor):
    """Drafts are stored server-side: the URL holds an unguessable id, not a readable token."""
    import base64
    import zlib

    location = advisor.post("/applications/new",
                            data=dict(FORM, csrf_token=advisor.token)).headers["Location"]
    token = location.rsplit("/", 1)[1]
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)
    raw = base64.urlsafe_b64decode(token + "=")
    for attempt in (raw, ):
        assert b"675000" not in attempt
        with pytest.raises(zlib.error):
            zlib.decompress(attempt)


def test_saving_a_draft_twice_opens_the_same_client(advisor, db):
    location = advisor.post("/applications/new",
                            data=dict(FORM, csrf_token=advisor.token)).headers["Location"]
    before = _count(db)
    first = advisor.post(location + "/save", data={"csrf_token": advisor.token})
    again = advisor.post(location + "/save", data={"csrf_token": advisor.token})
    assert first.status_code == again.status_code == 303
    assert first.headers["Location"] == again.headers["Location"]
    assert "déjà enregistrée" in advisor.get(again.headers["Location"]).get_data(as_text=True)
    assert _count(db) == before + 1


def test_an_expired_draft_is_gone(advisor, db):
    from datetime import UTC, datetime, timedelta

    from webapp.credit.drafts import DRAFT_MAX_AGE, Draft

    location = advisor.post("/applications/new",
                            data=dict(FORM, csrf_token=advisor.token)).headers["Location"]
    draft = db.session.get(Draft, location.rsplit("/", 1)[1])
    draft.created_at = datetime.now(UTC) - DRAFT_MAX_AGE - timedelta(minutes=1)
    db.session.commit()
    response = advisor.get(location)
    assert response.status_code == 404 and "a expiré" in response.get_data(as_text=True)
    assert advisor.post(location + "/save",
                        data={"csrf_token": advisor.token}).status_code == 404
