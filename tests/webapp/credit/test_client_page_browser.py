"""End to end, in a real headless Chromium: an advisor's minute with an applicant, using the
keyboard only, then an accessibility scan (axe-core) of the main pages."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.e2e


def _sign_in(page, live_server, user_emails, password):
    page.goto(f"{live_server}/login")
    page.get_by_label("Adresse e-mail").fill(user_emails["advisor"])
    page.get_by_label("Mot de passe").fill(password)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server}/")


def test_advisor_finds_a_client_and_runs_a_what_if(page, live_server, user_emails, password,
                                                   seeded_ids):
    _sign_in(page, live_server, user_emails, password)
    target = seeded_ids[12]
    box = page.get_by_label("Identifiant du dossier (SK_ID_CURR)")
    box.focus()
    page.keyboard.type(str(target)[:5], delay=30)
    link = page.locator("#typeahead-results").get_by_role("link", name=str(target), exact=True)
    link.wait_for()
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server}/clients/{target}")
    decision = page.locator("#decision")
    assert re.search(r"Accordé|Refusé", decision.inner_text())
    # the gauge and the waterfall were drawn by plotly.js
    page.locator("#decision-gauge .main-svg").first.wait_for()
    page.locator("#reasons-waterfall .main-svg").first.wait_for()
    original = page.get_by_test_id("probability").inner_text()

    # the what-if section loads when scrolled to; halve the credit amount
    page.locator("#whatif").scroll_into_view_if_needed()
    amount = page.get_by_label("Montant du crédit (€)")
    amount.wait_for()
    amount.fill("")
    amount.type("20000", delay=20)
    outcome = page.get_by_test_id("whatif-outcome")
    outcome.wait_for()
    text = outcome.inner_text()
    assert re.search(r"Accordé|Refusé", text)
    assert original in text  # the change against the original
    new_probability = page.get_by_test_id("whatif-probability").inner_text()
    assert new_probability.endswith("%")

    # hostile input: a message next to the field, nothing breaks
    amount.fill("abc")
    page.locator("#whatif-AMT_CREDIT-error").get_by_text("Saisissez un nombre").wait_for()
    assert not page.errors, page.errors


@pytest.mark.parametrize("path", ["/login", "/", "/clients/{id}", "/modele"])
def test_no_serious_accessibility_violation(page, live_server, user_emails, password,
                                            seeded_ids, path):
    from axe_playwright_python.sync_playwright import Axe

    if path != "/login":
        _sign_in(page, live_server, user_emails, password)
    page.goto(live_server + path.format(id=seeded_ids[0]))
    page.wait_for_load_state("networkidle")
    if "{id}" in path:  # scroll down so that every lazy section loads
        for _ in range(10):
            page.mouse.wheel(0, 4000)
            page.wait_for_timeout(150)
            if page.locator("section[aria-busy='true']").count() == 0:
                break
        page.wait_for_load_state("networkidle")
        assert page.locator("section[aria-busy='true']").count() == 0
        page.locator("#recourse-title").wait_for()
    results = Axe().run(page)
    serious = [v for v in results.response["violations"]
               if v["impact"] in ("serious", "critical")]
    assert not serious, [(v["id"], v["help"], [n["target"] for n in v["nodes"][:3]])
                         for v in serious]
    assert not page.errors, page.errors


def _term_client(db, seeded_ids) -> int:
    """A seeded client whose term is not a whole number (so that 40 is a change)."""
    from webapp.clients.models import Client
    from webapp.clients.storage import decode_record
    from webapp.credit.whatif import term_of

    for sk_id in seeded_ids[20:]:
        term = term_of(decode_record(db.session.get(Client, sk_id).raw_record))
        if term and abs(term - 40) > 2:
            return sk_id
    raise AssertionError("no seeded client with a term far from 40")


def _open_whatif(page, live_server, sk_id):
    page.goto(f"{live_server}/clients/{sk_id}")
    page.locator("#whatif").scroll_into_view_if_needed()
    term = page.get_by_label("Durée (nombre d'échéances)")
    term.wait_for()
    return term


@pytest.mark.parametrize("how", ["enter", "button"])
def test_the_whatif_keeps_a_typed_term(page, live_server, user_emails, password, db,
                                       seeded_ids, how):
    """Type 40 in "Durée" and press Enter (or click "Simuler") at once: the term stays 40,
    the instalment follows, and the decision, gauge and waterfall of the simulation redraw."""
    sk_id = _term_client(db, seeded_ids)
    _sign_in(page, live_server, user_emails, password)
    term = _open_whatif(page, live_server, sk_id)
    amount = page.get_by_label("Montant du crédit (€)").input_value()
    term.fill("40")
    if how == "enter":
        term.press("Enter")
    else:
        page.get_by_role("button", name="Simuler").click()
    outcome = page.get_by_test_id("whatif-outcome")
    outcome.wait_for()
    page.wait_for_load_state("networkidle")
    assert term.input_value() == "40"
    annuity = float(page.get_by_label("Montant de l'échéance (€)").input_value())
    assert annuity == pytest.approx(float(amount.replace(",", ".")) / 40, abs=1)
    assert re.search(r"Durée \(nombre d'échéances\)\s+[\d,]+\s+40", outcome.inner_text())
    for chart in ("whatif-gauge", "whatif-waterfall"):
        page.locator(f"#{chart} .main-svg").first.wait_for()
    assert not page.errors, page.errors


def test_the_whatif_works_without_javascript(browser, live_server, user_emails, password, db,
                                             seeded_ids):
    sk_id = _term_client(db, seeded_ids)
    context = browser.new_context(locale="fr-FR", java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server}/login")
    page.get_by_label("Adresse e-mail").fill(user_emails["advisor"])
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    page.goto(f"{live_server}/clients/{sk_id}")
    page.locator("#whatif").get_by_role("link", name="Afficher cette section").click()
    page.get_by_label("Durée (nombre d'échéances)").fill("40")
    page.get_by_role("button", name="Simuler").click()
    outcome = page.get_by_test_id("whatif-outcome")
    assert re.search(r"Durée \(nombre d'échéances\)\s+[\d,]+\s+40", outcome.inner_text())
    assert page.get_by_label("Durée (nombre d'échéances)").input_value() == "40"
    # the data tables stand in for the charts
    assert outcome.locator("details.chart-data table").count() == 2
    context.close()


def test_the_drawn_waterfall_adds_up_to_the_probability_shown(page, live_server, user_emails,
                                                              password, seeded_ids):
    _sign_in(page, live_server, user_emails, password)
    for sk_id in seeded_ids[30:33]:
        page.goto(f"{live_server}/clients/{sk_id}")
        page.locator("#reasons-waterfall .main-svg").first.wait_for()
        trace = page.evaluate("document.getElementById('reasons-waterfall').data[0]")
        shown = page.get_by_test_id("probability").inner_text()
        card = float(shown.replace("%", "").replace("\xa0", "").replace(",", "."))
        tenths = round(trace["x"][0] * 10) + sum(round(x * 10) for x in trace["x"][1:-1])
        assert tenths == round(card * 10)
        # the total bar, as plotly.js drew it, ends on the card's probability
        labels = page.evaluate("Array.from(document.querySelectorAll("
                               "'#reasons-waterfall .bartext')).map(t => t.textContent)")
        assert labels[-1] == shown and labels[0].endswith("%")
    assert not page.errors, page.errors
