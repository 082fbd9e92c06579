"""End to end, in a real headless Chromium: an advisor asks for a human review, an admin
overrides the decision, the advisor sees the final decision; then an accessibility scan
(axe-core) of the admin pages."""

from __future__ import annotations

import re

import pytest

from tests.webapp.browsing import ask_for_review, override_review, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("fresh_login_limit")]

JUSTIFICATION = "Justificatifs de revenus vérifiés en agence : capacité de remboursement confirmée."


def test_advisor_asks_for_a_review_and_sees_the_admins_decision(browser, live_server,
                                                                user_emails, password,
                                                                seeded_ids):
    target = seeded_ids[150]
    advisor = browser.new_context(locale="fr-FR").new_page()
    sign_in(advisor, live_server, user_emails["advisor"], password)
    advisor.goto(f"{live_server}/clients/{target}")
    model_verdict = re.search(r"Accordé|Refusé", advisor.locator("#decision .verdict")
                              .inner_text()).group(0)
    ask_for_review(advisor, live_server, target,
                   "Le demandeur conteste : ses revenus ont augmenté depuis la demande.")

    admin = browser.new_context(locale="fr-FR").new_page()
    sign_in(admin, live_server, user_emails["admin"], password)
    override_review(admin, live_server, target, JUSTIFICATION)
    assert "Réexamen du dossier" in admin.locator(".flashes").inner_text()

    advisor.reload()
    outcome = advisor.get_by_test_id("review-outcome")
    outcome.wait_for()
    final = advisor.get_by_test_id("final-decision").inner_text()
    other = "Accordé" if model_verdict == "Refusé" else "Refusé"
    assert other in final and "infirmée" in final
    assert model_verdict in advisor.get_by_test_id("model-decision").inner_text()
    assert JUSTIFICATION in advisor.get_by_test_id("justification").inner_text()
    advisor.context.close()
    admin.context.close()


@pytest.mark.parametrize("path", ["/admin/", "/admin/clients", "/admin/clients/{id}",
                                  "/admin/clients/{id}/edit", "/admin/clients/{id}/delete",
                                  "/admin/import", "/admin/users", "/admin/records",
                                  "/admin/reviews", "/clients/{id}#review"])
def test_no_serious_accessibility_violation_in_admin_pages(page, live_server, user_emails,
                                                            password, seeded_ids, path):
    from axe_playwright_python.sync_playwright import Axe

    sign_in(page, live_server, user_emails["admin"], password)
    page.goto(live_server + path.format(id=seeded_ids[0]))
    page.wait_for_load_state("networkidle")
    results = Axe().run(page)
    serious = [v for v in results.response["violations"]
               if v["impact"] in ("serious", "critical")]
    assert not serious, [(v["id"], v["help"], [n["target"] for n in v["nodes"][:3]])
                         for v in serious]
    assert not page.errors, page.errors
