"""End to end, in a real headless Chromium: an advisor asks for a human review, an admin
overrides the model; the final decision is then what comes first in all five places an
advisor looks (decision card, list and its filter, typeahead, printed sheet, records), and in
the JSON API, with the model's decision beside it."""

from __future__ import annotations

import re

import pytest

from tests.webapp.browsing import Watch, ask_for_review, override_review, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("fresh_login_limit")]

JUSTIFICATION = "Revenus complémentaires vérifiés en agence : capacité de remboursement confirmée."
WORD = {"accepted": "Accordé", "refused": "Refusé"}


def _first(text: str, *words: str) -> str:
    """Which of ``words`` comes first in ``text``."""
    found = {w: text.find(w) for w in words if w in text}
    assert found, (text, words)
    return min(found, key=found.get)


def test_after_an_override_the_final_decision_comes_first_everywhere(
        browser, live_server, db, fresh_client, user_emails, password):
    from webapp.clients.models import Client

    sk_id = fresh_client()
    stored = db.session.get(Client, sk_id)
    model_decision = stored.decision
    final = "accepted" if model_decision == "refused" else "refused"
    advisor = browser.new_context(locale="fr-FR").new_page()
    watch = Watch().attach(advisor)
    sign_in(advisor, live_server, user_emails["advisor"], password)
    ask_for_review(advisor, live_server, sk_id, "Le demandeur conteste la décision.")

    admin = browser.new_context(locale="fr-FR").new_page()
    sign_in(admin, live_server, user_emails["admin"], password)
    override_review(admin, live_server, sk_id, JUSTIFICATION)

    # 1. the decision card
    advisor.goto(f"{live_server}/clients/{sk_id}")
    card = advisor.get_by_test_id("final-decision-card").inner_text()
    assert WORD[final] in card and WORD[model_decision] not in card
    assert WORD[model_decision] in advisor.get_by_test_id("card-model-decision").inner_text()
    assert JUSTIFICATION in advisor.locator("#decision").inner_text()

    # 2. the list, filtered on the final decision (around this client's probability)
    share = round(100 * stored.probability, 1)
    advisor.goto(f"{live_server}/")
    advisor.get_by_label("Décision").select_option(label=WORD[final])
    advisor.get_by_label("Probabilité de défaut minimale (%)").fill(str(share - 0.1))
    advisor.get_by_label("Probabilité de défaut maximale (%)").fill(str(share + 0.1))
    advisor.get_by_role("button", name="Filtrer").click()
    row = advisor.locator("#client-list tr", has=advisor.get_by_role("link", name=str(sk_id)))
    row.wait_for()
    assert _first(row.inner_text(), WORD[final], WORD[model_decision]) == WORD[final]
    assert f"(modèle : {WORD[model_decision]})" in row.inner_text()

    # 3. the typeahead
    box = advisor.get_by_label("Identifiant du dossier (SK_ID_CURR)")
    box.fill(str(sk_id))
    item = advisor.locator("#typeahead-results li", has=advisor.get_by_role(
        "link", name=str(sk_id), exact=True))
    item.wait_for()
    assert _first(item.inner_text(), WORD[final], WORD[model_decision]) == WORD[final]

    # 4. the printed sheet: the final decision, the review's outcome, no offer of a review
    advisor.goto(f"{live_server}/clients/{sk_id}/fiche")
    assert WORD[final] in advisor.get_by_test_id("sheet-final-decision").inner_text()
    review_text = advisor.get_by_test_id("sheet-review").inner_text()
    assert "a été réexaminé" in review_text and "demander qu'une personne" not in review_text
    assert JUSTIFICATION in advisor.locator("main").inner_text()

    # 5. the records (the advisor's views just now were logged with the final decision)
    admin.goto(f"{live_server}/admin/records?sk_id_curr={sk_id}&action=sheet")
    logged = admin.locator("table.records tbody tr").first.inner_text()
    assert _first(logged, WORD[final], WORD[model_decision]) == WORD[final]

    # and the API: decision is the final one, model_decision the model's
    token = _token(db, user_emails["advisor"])
    body = advisor.request.get(f"{live_server}/api/v1/clients/{sk_id}",
                               headers={"Authorization": f"Bearer {token}"}).json()
    assert body["decision"] == final and body["model_decision"] == model_decision
    assert not watch.errors and not watch.server_errors, (watch.errors, watch.server_errors)
    advisor.context.close()
    admin.context.close()


def _token(db, email: str) -> str:
    from webapp.accounts.models import User
    from webapp.accounts.service import issue_token

    user = db.session.query(User).filter_by(email=email).one()
    token = issue_token(db.session, user)
    db.session.commit()
    return token


def test_the_sheet_speaks_the_applicants_language(browser, live_server, db, seeded_ids,
                                                  user_emails, password):
    from webapp.clients.models import Client

    # a refused application: the longest sheet (it says what could change the decision)
    sk_id = next(i for i in seeded_ids if db.session.get(Client, i).decision == "refused")
    page = browser.new_context(locale="fr-FR").new_page()
    sign_in(page, live_server, user_emails["advisor"], password)
    page.goto(f"{live_server}/clients/{sk_id}/fiche")
    assert page.evaluate("document.documentElement.lang") == "fr"
    page.get_by_role("link", name="English").click()
    page.wait_for_url(re.compile(r".*lang=en"))
    assert page.evaluate("document.documentElement.lang") == "en"
    text = page.locator("main").inner_text()
    assert "Your right to a human review" in text and "Prepared on" in text
    assert not re.search(r"\b(Refusé|Accordé|Dossier n°)\b", text)
    # printed, it holds on one A4 page (in both languages)
    for url in (page.url, page.url.replace("lang=en", "lang=fr")):
        page.goto(url)
        page.emulate_media(media="print")
        pdf = page.pdf(format="A4", print_background=False)
        assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 1, url
    # the advisor's own pages stay in French
    page.goto(f"{live_server}/")
    assert page.evaluate("document.documentElement.lang") == "fr"
    page.context.close()
