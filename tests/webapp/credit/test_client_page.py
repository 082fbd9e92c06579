"""The client page: each section shows what the model says, in French, with its data."""

from __future__ import annotations

import math
import re

import pytest

from webapp.clients.models import Client
from webapp.clients.storage import decode_record
from webapp.credit.explanations import reasons

SECTIONS = ("identity", "decision", "reasons", "population", "neighbours", "bivariate",
            "whatif", "recourse")


def _record(db, sk_id_curr):
    return decode_record(db.session.get(Client, sk_id_curr).raw_record)


def _french_number(text: str) -> float:
    return float(text.replace("\u202f", "").replace("\xa0", "").replace(" ", "")
                 .replace(",", ".").replace("−", "-"))


def test_page_shows_identity_decision_and_reasons(login_as, db, model, seeded_ids):
    sk_id = seeded_ids[0]
    page = login_as("advisor").get(f"/clients/{sk_id}").get_data(as_text=True)
    record = _record(db, sk_id)
    explanation = model.explain(record)
    assert f"Dossier {sk_id}" in page
    assert "Montant du crédit" in page and "Revenu annuel déclaré" in page
    word = "Accordé" if explanation.decision == "accepted" else "Refusé"
    icon = "✓" if explanation.decision == "accepted" else "✕"
    assert f'<span aria-hidden="true">{icon}</span> {word}' in page
    shown = re.search(r'data-testid="probability">([^<]+)<', page).group(1)
    assert _french_number(shown.replace("%", "")) == pytest.approx(
        explanation.probability * 100, abs=0.051)
    assert "du seuil de" in page  # the distance to the threshold, in words


def test_reasons_quote_the_applicants_values(login_as, db, model, seeded_ids):
    sk_id = seeded_ids[2]
    record = _record(db, sk_id)
    against, in_favour = reasons(model, model.explain(record), record)
    assert 0 < len(against) <= 4 and 0 < len(in_favour) <= 4
    page = login_as("advisor").get(f"/clients/{sk_id}/sections/reasons",
                                   headers={"HX-Request": "true"}).get_data(as_text=True)
    for reason in against + in_favour:
        assert f"{reason.label} : {reason.value}" in page.replace("&#39;", "'")


def test_the_waterfall_adds_up_to_the_probability_shown(login_as, db, model, seeded_ids):
    """The bars are in percentage points, from the average client's probability to the one
    the decision card prints; they add up exactly, keep the contributions' signs and order."""
    import html as markup
    import json

    browser = login_as("advisor")
    for sk_id in seeded_ids[3:8]:
        explanation = model.explain(_record(db, sk_id))
        page = browser.get(f"/clients/{sk_id}").get_data(as_text=True)
        figure = re.search(r'id="reasons-waterfall"[^>]* data-figure="([^"]*)"', page).group(1)
        trace = json.loads(markup.unescape(figure))["data"][0]
        assert trace["measure"][0] == "absolute" and trace["measure"][-1] == "total"
        start, bars = trace["x"][0], trace["x"][1:-1]
        card = _french_number(re.search(r'data-testid="probability">([^<]+)<', page)
                              .group(1).replace("%", ""))
        # in tenths of a point, the numbers add up exactly to the card's probability
        assert round(start * 10) + sum(round(b * 10) for b in bars) == round(card * 10)
        assert start == pytest.approx(100 / (1 + math.exp(-explanation.base_value)), abs=0.05)
        # the last label is the card's probability, the first the average client's
        assert trace["text"][-1] == re.search(r'data-testid="probability">([^<]+)<',
                                              page).group(1)
        ranked = sorted(explanation.contributions.values(), key=abs, reverse=True)
        for bar, contribution in zip(bars[:10], ranked[:10], strict=True):
            assert bar == 0 or (bar > 0) == (contribution > 0)
        assert "log-odds" not in page


@pytest.mark.parametrize("section", SECTIONS)
def test_every_section_is_a_partial_and_a_page(login_as, seeded_ids, section):
    browser = login_as("advisor")
    url = f"/clients/{seeded_ids[0]}/sections/{section}"
    partial = browser.get(url, headers={"HX-Request": "true"})
    assert partial.status_code == 200
    assert "HX-Request" in partial.headers["Vary"]
    assert "<html" not in partial.get_data(as_text=True)
    assert f'id="{section}"' in partial.get_data(as_text=True)
    page = browser.get(url)
    assert page.status_code == 200 and "<html" in page.get_data(as_text=True)


def test_every_chart_has_a_summary_and_a_data_table(login_as, seeded_ids):
    browser = login_as("advisor")
    for section in ("decision", "reasons", "population", "neighbours", "bivariate"):
        html = browser.get(f"/clients/{seeded_ids[0]}/sections/{section}",
                           headers={"HX-Request": "true"}).get_data(as_text=True)
        charts = re.findall(r'<div class="plot" id="([^"]+)" data-chart', html)
        assert charts, section
        for chart_id in charts:
            assert f'id="{chart_id}-summary"' in html
        assert html.count("<table") >= len(charts)


def test_neighbours_state_their_default_rate(login_as, db, model, seeded_ids):
    sk_id = seeded_ids[4]
    explanation = model.explain(_record(db, sk_id))
    _, target, _, _ = model.reference.neighbours(explanation.features, 50)
    html = login_as("advisor").get(f"/clients/{sk_id}/sections/neighbours",
                                   headers={"HX-Request": "true"}).get_data(as_text=True)
    assert f"Parmi les {len(target)} clients au profil le plus proche" in html
    defaults = int(target.sum())
    verb = "a fait défaut" if defaults == 1 else "ont fait défaut"  # agreement
    assert f", {defaults} {verb}" in html


def test_bivariate_uses_the_chosen_features_and_rejects_unknown_ones(login_as, model,
                                                                     seeded_ids):
    from webapp.credit.sections.comparisons import scatter_features

    x, y = scatter_features(model)[:2]
    browser = login_as("advisor")
    url = f"/clients/{seeded_ids[0]}/sections/bivariate"
    html = browser.get(url, query_string={"x": y, "y": x},
                       headers={"HX-Request": "true"}).get_data(as_text=True)
    assert f'<option value="{y}" selected>' in html
    bad = browser.get(url, query_string={"x": "<script>", "y": x},
                      headers={"HX-Request": "true"})
    assert bad.status_code == 422 and "<script>" not in bad.get_data(as_text=True)


def test_recourse_for_a_refused_client_is_accepted_when_applied(app, db, model, seeded_ids):
    from webapp.credit.whatif import find_recourse

    found = 0
    for sk_id in seeded_ids[:120]:
        record = _record(db, sk_id)
        if model.explain(record).decision != "refused":
            continue
        recourse = find_recourse(model, record)
        if recourse is None:
            continue
        changed = dict(record, AMT_CREDIT=recourse.credit, AMT_ANNUITY=recourse.annuity)
        if recourse.goods_price is not None:
            changed["AMT_GOODS_PRICE"] = recourse.goods_price
        assert model.explain(changed).decision == "accepted"
        assert "serait accordée" in recourse.sentence
        found += 1
        if found >= 3:
            break
    assert found, "no refused client with a recourse among the first 120"


def test_unknown_client_is_a_friendly_404(login_as):
    browser = login_as("advisor")
    response = browser.get("/clients/999999999")
    assert response.status_code == 404
    assert "Aucun dossier ne porte l&#39;identifiant 999999999" in response.get_data(
        as_text=True)
    partial = browser.get("/clients/999999999/sections/decision",
                          headers={"HX-Request": "true"})
    assert partial.status_code == 404 and "<html" not in partial.get_data(as_text=True)
    assert browser.get("/clients/go?sk_id_curr=abc").status_code == 422


def test_explanation_sheet_is_printable(login_as, seeded_ids):
    html = login_as("advisor").get(f"/clients/{seeded_ids[0]}/fiche").get_data(as_text=True)
    assert 'media="print"' in html and "Explication de la décision" in html
    assert "data-print" in html


def test_model_page(login_as, model):
    html = login_as("advisor").get("/modele").get_data(as_text=True)
    for chart_id in ("model-importance", "model-roc", "model-cost", "model-calibration"):
        assert f'<div class="plot" id="{chart_id}" data-chart' in html
    assert model.version in html
    assert "Matrice de confusion" in html


def test_recourse_section_says_it_in_one_sentence(login_as, csrf_token, db, model,
                                                  seeded_ids):
    from webapp.credit.whatif import find_recourse

    browser = login_as("advisor")
    for sk_id in seeded_ids[:150]:
        record = _record(db, sk_id)
        if model.explain(record).decision == "refused" and find_recourse(model, record):
            break
    else:
        pytest.skip("no refused client with a recourse among the seeded ones")
    url = f"/clients/{sk_id}/sections/recourse"
    html = browser.get(url, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "la demande serait accordée" in html and "30 %" in html
    browser.post("/langue", data={"lang": "en", "csrf_token": csrf_token(browser, "/")})
    english = browser.get(url, headers={"HX-Request": "true"})
    assert english.status_code == 200
    assert "the application would be accepted" in english.get_data(as_text=True)


def test_reasons_agree_with_their_direction(app, db, model, seeded_ids):
    """No missing value in the applicant's favour; no reason whose value, among all clients,
    clearly points the other way (the rule of explanations.is_listed)."""
    from webapp.credit.explanations import context, population_direction

    with app.test_request_context():
        for sk_id in seeded_ids[:60]:
            record = _record(db, sk_id)
            explanation = model.explain(record)
            against, in_favour = reasons(model, explanation, record)
            for reason in in_favour:
                assert reason.value != "non renseigné", (sk_id, reason.sentence)
            for reason in against + in_favour:
                seen = population_direction(model, reason.feature, explanation, record)
                assert seen in (None, reason.direction), (sk_id, reason.sentence)
            listed = {r.feature for r in against + in_favour}
            said = {r.context for r in against + in_favour}
            # what was left out was left out for a reason, not for lack of candidates
            for name, value in sorted(explanation.contributions.items(),
                                      key=lambda kv: -abs(kv[1]))[:3]:
                direction = "against" if value > 0 else "for"
                if name not in listed and value:
                    missing = math.isnan(explanation.features.get(name, 0.0))
                    assert (direction == "for" and missing) or population_direction(
                        model, name, explanation, record) not in (None, direction) \
                        or context(model, name, explanation, record) in said, name
