"""Helpers of the end-to-end tests that look at a page as a person does: sign in, pick the
language, scroll until every lazily loaded section is in, then say what a person would see
wrong (a blank chart, a console error, a server error, a page wider than the screen)."""

from __future__ import annotations

from dataclasses import dataclass, field

#: Every chart container, and whether plotly.js drew a chart in it.
CHARTS_JS = """() => Array.from(document.querySelectorAll('[data-chart]')).map(
    node => ({id: node.id, drawn: !!node.querySelector('svg.main-svg')}))"""
OVERFLOW_JS = "() => document.documentElement.scrollWidth - window.innerWidth"


def sign_in(page, live_server: str, email: str, password: str) -> None:
    """Sign in through the login form (the page then shows the search page)."""
    page.goto(f"{live_server}/login")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(password)
    page.locator("input[name=password]").press("Enter")
    page.wait_for_url(f"{live_server}/")


def choose_language(page, live_server: str, lang: str) -> None:
    """Switch the session's language with the header's button, if it is not ``lang``."""
    if not page.url.startswith(live_server):
        page.goto(f"{live_server}/login")
    if page.evaluate("document.documentElement.lang") != lang:
        page.locator("form.lang-switch button").click()
        page.wait_for_load_state("load")
        wait_until(page, f"document.documentElement.lang === '{lang}'")


def wait_until(page, expression: str, timeout_ms: int = 20000) -> bool:
    """Poll ``expression`` from here (``page.wait_for_function`` would evaluate a string in
    the page, which its Content-Security-Policy rightly refuses and logs as an error)."""
    for _ in range(timeout_ms // 100):
        if page.evaluate(expression):
            return True
        page.wait_for_timeout(100)
    return False


def settle(page, timeout_ms: int = 20000) -> None:
    """Scroll to the bottom until no section is still loading, then wait until every chart
    container holds a drawn chart (or the timeout passes: the caller reports the blanks)."""
    page.wait_for_load_state("networkidle")
    for _ in range(40):
        page.mouse.wheel(0, 1500)
        page.wait_for_timeout(60)
        at_bottom = page.evaluate(
            "window.scrollY + window.innerHeight >= document.body.scrollHeight - 2")
        if at_bottom and not page.locator("[aria-busy='true']").count():
            break
    page.wait_for_load_state("networkidle")
    wait_until(page, "Array.from(document.querySelectorAll('[data-chart]'))"
                     ".every(n => n.querySelector('svg.main-svg'))", timeout_ms)


@dataclass
class Watch:
    """What the page said while a test looked at it: console errors, responses >= 500."""

    errors: list[str] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)

    def attach(self, page) -> Watch:
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error"
                and "status of 4" not in m.text else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("response", lambda r: self.server_errors.append(f"{r.status} {r.url}")
                if r.status >= 500 else None)
        return self


def problems(page, watch: Watch, name: str) -> list[str]:
    """What a person would see wrong on the page now, one line each (empty: nothing)."""
    found = []
    charts = page.evaluate(CHARTS_JS)
    blank = [c["id"] for c in charts if not c["drawn"]]
    if blank:
        found.append(f"{name}: blank charts {blank}")
    overflow = page.evaluate(OVERFLOW_JS)
    if overflow > 0:
        found.append(f"{name}: {overflow} px wider than the window")
    found += [f"{name}: console: {e}" for e in watch.errors]
    found += [f"{name}: server error: {e}" for e in watch.server_errors]
    watch.errors.clear()
    watch.server_errors.clear()
    return found


def ask_for_review(page, live_server: str, sk_id: int, view: str) -> None:
    """On the client page, the advisor writes the applicant's view and asks for a review."""
    page.goto(f"{live_server}/clients/{sk_id}")
    page.get_by_label("Point de vue du demandeur").fill(view)
    page.get_by_role("button", name="Demander un réexamen humain").click()
    page.get_by_test_id("review-pending").wait_for()


def override_review(page, live_server: str, sk_id: int, justification: str) -> None:
    """An admin opens the client's pending review and overrides the model's decision."""
    page.goto(f"{live_server}/admin/reviews")
    page.get_by_role("link", name=f"Dossier {sk_id}").first.click()
    page.get_by_label("Infirmer la décision du modèle").check()
    page.get_by_label("Justification écrite").fill(justification)
    page.get_by_role("button", name="Enregistrer la décision").click()
    page.wait_for_url(f"{live_server}/admin/reviews")

