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
