"""What-if: live scores for changed terms; hostile input gets a message and a 4xx, and the
stored record never changes."""

from __future__ import annotations

import re

import pytest

from webapp.clients.models import Client
from webapp.clients.storage import decode_record
from webapp.credit.whatif import term_of

GOOD = {"AMT_CREDIT": "500 000", "AMT_ANNUITY": "25 000", "TERM": "20",
        "AMT_GOODS_PRICE": "450 000", "AMT_INCOME_TOTAL": "150 000"}


@pytest.fixture
def advisor(login_as, csrf_token):
    browser = login_as("advisor")
    token = csrf_token(browser, "/")

    def post(sk_id, data, **headers):
        return browser.post(f"/clients/{sk_id}/what-if", data=data,
                            headers={"HX-Request": "true", "X-CSRFToken": token, **headers})

    return post


def _probability(html: str) -> float:
    text = re.search(r'data-testid="whatif-probability">([^<]+)<', html).group(1)
    return float(text.replace("%", "").replace("\u202f", "").replace(" ", "").replace("\xa0", "")
                 .replace(",", ".")) / 100


def test_whatif_scores_the_changed_terms(advisor, db, model, seeded_ids):
    sk_id = seeded_ids[5]
    record = decode_record(db.session.get(Client, sk_id).raw_record)
    response = advisor(sk_id, GOOD)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    changed = dict(record, AMT_CREDIT=500000.0, AMT_ANNUITY=25000.0, AMT_GOODS_PRICE=450000.0,
                   AMT_INCOME_TOTAL=150000.0)
    expected = model.explain(changed)
    assert _probability(html) == pytest.approx(expected.probability, abs=0.0006)
    word = "Accordé" if expected.decision == "accepted" else "Refusé"
    assert word in html
    assert "Dossier actuel" in html  # the change against the original


def test_changing_the_term_recomputes_the_instalment(advisor, seeded_ids):
    response = advisor(seeded_ids[5], dict(GOOD, TERM="40"), **{"HX-Trigger-Name": "TERM"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    annuity = re.search(r'id="whatif-AMT_ANNUITY"[^>]*value="(\d+)"', html, re.S)
    assert annuity and int(annuity.group(1)) == 12500  # 500 000 / 40
    assert 'hx-swap-oob="true"' in html


def test_changing_the_instalment_recomputes_the_term(advisor, seeded_ids):
    html = advisor(seeded_ids[5], dict(GOOD, AMT_ANNUITY="50000"),
                   **{"HX-Trigger-Name": "AMT_ANNUITY"}).get_data(as_text=True)
    term = re.search(r'id="whatif-TERM"[^>]*value="([^"]+)"', html, re.S)
    assert term and term.group(1) == "10"


HOSTILE = [
    ("AMT_CREDIT", "", "obligatoire"),
    ("AMT_CREDIT", "abc", "Saisissez un nombre"),
    ("AMT_CREDIT", "-500000", "Entre"),
    ("AMT_CREDIT", "1e308", "Saisissez un nombre"),
    ("AMT_CREDIT", "999999999999999999999", "Entre"),
    ("AMT_ANNUITY", "0", "Entre"),
    ("AMT_ANNUITY", "NaN", "Saisissez un nombre"),
    ("AMT_ANNUITY", "inf", "Saisissez un nombre"),
    ("TERM", "-3", "Entre"),
    ("AMT_GOODS_PRICE", "<script>alert(1)</script>", "Saisissez un nombre"),
    ("AMT_INCOME_TOTAL", "1; DROP TABLE clients", "Saisissez un nombre"),
    ("AMT_INCOME_TOTAL", "9" * 5000, "Saisissez un nombre"),
]


@pytest.mark.parametrize("field, value, message", HOSTILE)
def test_hostile_input_gets_a_message_next_to_the_field(advisor, db, seeded_ids, field, value,
                                                        message):
    sk_id = seeded_ids[6]
    before = db.session.get(Client, sk_id).raw_record
    response = advisor(sk_id, dict(GOOD, **{field: value}))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    error = re.search(rf'<p class="error" id="whatif-{field}-error"[^>]*>([^<]*)</p>', html)
    assert error and message in error.group(1)
    assert "<script>alert" not in html
    db.session.expire_all()
    assert db.session.get(Client, sk_id).raw_record == before


def test_missing_fields_altogether(advisor, seeded_ids):
    response = advisor(seeded_ids[6], {})
    assert response.status_code == 422
    assert response.get_data(as_text=True).count("obligatoire") == 5


def test_whatif_without_javascript_renders_a_page(login_as, csrf_token, seeded_ids):
    browser = login_as("advisor")
    response = browser.post(f"/clients/{seeded_ids[5]}/what-if",
                            data=dict(GOOD, csrf_token=csrf_token(browser, "/")))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" in html and "Résultat de la simulation" in html
    bad = browser.post(f"/clients/{seeded_ids[5]}/what-if",
                       data=dict(GOOD, AMT_CREDIT="x", csrf_token=csrf_token(browser, "/")))
    assert bad.status_code == 422
    assert 'id="whatif-AMT_CREDIT-error">Saisissez un nombre' in bad.get_data(as_text=True)


def test_form_starts_from_the_applicants_terms(login_as, db, seeded_ids):
    sk_id = seeded_ids[5]
    record = decode_record(db.session.get(Client, sk_id).raw_record)
    html = login_as("advisor").get(f"/clients/{sk_id}/sections/whatif",
                                   headers={"HX-Request": "true"}).get_data(as_text=True)
    credit = re.search(r'id="whatif-AMT_CREDIT"[^>]*value="([^"]+)"', html, re.S).group(1)
    assert float(credit.replace(",", ".")) == pytest.approx(record["AMT_CREDIT"])
    term = re.search(r'id="whatif-TERM"[^>]*value="([^"]+)"', html, re.S).group(1)
    assert float(term.replace(",", ".")) == pytest.approx(term_of(record), abs=0.06)
    for name in ("AMT_CREDIT", "AMT_ANNUITY", "TERM", "AMT_GOODS_PRICE", "AMT_INCOME_TOTAL"):
        assert f'<label for="whatif-{name}">' in html


def _field(html: str, name: str) -> str:
    return re.search(rf'id="whatif-{name}"[^>]*value="([^"]*)"', html, re.S).group(1)


def test_a_typed_term_is_applied_on_enter_or_the_button(advisor, seeded_ids):
    """No HX-Trigger-Name (Enter, or the button): the term typed drives the instalment,
    because it is the one that differs from what the page showed."""
    shown = {"shown_TERM": "20", "shown_AMT_ANNUITY": "25000"}
    html = advisor(seeded_ids[5], dict(GOOD, TERM="40", **shown)).get_data(as_text=True)
    assert _field(html, "AMT_ANNUITY") == "12500"  # 500 000 / 40, swapped out of band
    assert 'id="whatif-shown-TERM" name="shown_TERM" value="40"' in html
    assert "40" in re.search(r"Durée \(nombre d&#39;échéances\)</th>(.*?)</tr>", html,
                             re.S).group(1)
    # a typed instalment drives the term instead
    html = advisor(seeded_ids[5], dict(GOOD, AMT_ANNUITY="50000", **shown)).get_data(
        as_text=True)
    assert _field(html, "TERM") == "10"


def test_without_javascript_the_page_keeps_what_was_typed(login_as, csrf_token, seeded_ids):
    browser = login_as("advisor")
    response = browser.post(f"/clients/{seeded_ids[5]}/what-if",
                            data=dict(GOOD, TERM="40", shown_TERM="20",
                                      shown_AMT_ANNUITY="25000",
                                      csrf_token=csrf_token(browser, "/")))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" in html
    assert _field(html, "TERM") == "40" and _field(html, "AMT_ANNUITY") == "12500"
    assert _field(html, "AMT_CREDIT") == "500 000"  # as typed
    assert 'id="whatif-gauge"' in html and 'id="whatif-waterfall"' in html


def test_english_pages_use_a_decimal_point(login_as, csrf_token, db, seeded_ids):
    browser = login_as("advisor")
    browser.post("/langue", data={"lang": "en", "csrf_token": csrf_token(browser, "/")})
    sk_id = next(i for i in seeded_ids if not float(term_of(
        decode_record(db.session.get(Client, i).raw_record)) or 0).is_integer())
    html = browser.get(f"/clients/{sk_id}/sections/whatif",
                       headers={"HX-Request": "true"}).get_data(as_text=True)
    term = _field(html, "TERM")
    assert "," not in term and "." in term
