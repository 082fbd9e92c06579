"""Fair lending, as advisors and applicants meet it: the applicant's sex never decides nor
explains (no reason, chart, neighbour feature, what-if field, recourse or API contribution
names it), the records keep which fields the model was kept from, and the model page shows
the price of fairness and the report per group."""

from __future__ import annotations

import json
import re

from ml.credit.fairness import flagged_groups
from webapp.clients.models import Client, DecisionRecord
from webapp.clients.storage import decode_record

HTMX = {"HX-Request": "true"}
PROTECTED_WORDS = ("Sexe", "Genre", "Homme", "Femme")


def test_the_served_model_cannot_see_the_protected_field(model):
    assert "CODE_GENDER" in model.protected
    assert not any("GENDER" in name for name in model.feature_names)
    assert "CODE_GENDER" not in model.reference.population_features
    assert "CODE_GENDER" not in model.reference.neighbour_features


def test_no_section_of_the_client_page_names_the_applicants_sex(login_as, db, seeded_ids):
    browser = login_as("advisor")
    for sk_id in seeded_ids[:12]:
        page = browser.get(f"/clients/{sk_id}").get_data(as_text=True)
        for section in ("population", "neighbours", "bivariate", "whatif", "recourse"):
            page += browser.get(f"/clients/{sk_id}/sections/{section}", headers=HTMX) \
                .get_data(as_text=True)
        page += browser.get(f"/clients/{sk_id}/fiche").get_data(as_text=True)
        main = page.split('<nav aria-label="Navigation principale">')[-1]
        for word in PROTECTED_WORDS:
            assert word not in main, (sk_id, word)


def test_changing_the_sex_changes_nothing_the_advisor_sees(login_as, db, model, seeded_ids):
    record = decode_record(db.session.get(Client, seeded_ids[4]).raw_record)
    as_man = model.explain(dict(record, CODE_GENDER="M"))
    as_woman = model.explain(dict(record, CODE_GENDER="F"))
    assert as_man.probability == as_woman.probability
    assert as_man.contributions == as_woman.contributions


def test_the_api_contributions_never_name_a_protected_field(client, model, seeded_ids, bearer):
    body = client.get(f"/api/v1/clients/{seeded_ids[0]}", headers=bearer).get_json()
    assert not set(body["contributions"]) & set(model.protected)
    assert all(reason["feature"] not in model.protected for reason in body["reasons"])


def test_decision_records_keep_the_protected_fields_of_the_model(login_as, db, seeded_ids):
    sk_id = seeded_ids[6]
    login_as("advisor").get(f"/clients/{sk_id}")
    record = db.session.query(DecisionRecord).filter_by(sk_id_curr=sk_id) \
        .order_by(DecisionRecord.id.desc()).first()
    assert json.loads(record.details)["protected_attributes"] == ["CODE_GENDER"]


def test_the_model_page_shows_the_price_and_the_report(login_as, model):
    page = login_as("advisor").get("/modele").get_data(as_text=True)
    assert "Équité des décisions" in page and "Le prix de l'équité" in page
    price = model.card["price_of_fairness"]
    assert f'{price["without_protected"]["n_features"]}' in page
    for title in ("Sexe", "Âge (par tranche)", "Situation familiale"):
        assert f">{title}</h3>" in page
    sentences = re.findall(r'data-testid="fairness-sentence">([^<]+)<', page)
    assert len(sentences) == 3 and all("quatre cinquièmes" in s for s in sentences)
    for key in ("code_gender", "age_band", "name_family_status"):
        assert f'id="fairness-{key}-ratio"' in page and f'id="fairness-{key}-threshold"' in page
    flagged = flagged_groups(model.fairness["report"])
    assert page.count("(signalé)") == sum(len(groups) for groups in flagged.values())


def test_the_model_page_in_english(login_as, csrf_token):
    browser = login_as("advisor")
    browser.post("/langue", data={"lang": "en", "csrf_token": csrf_token(browser, "/")})
    page = browser.get("/modele").get_data(as_text=True)
    assert "Fairness of the decisions" in page and "four-fifths" in page
