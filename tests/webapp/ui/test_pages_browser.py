"""End to end, in a real headless Chromium: every page, in French and in English, on a
desktop (1366 px) and a phone (390 px): after scrolling to the bottom, every chart container
holds a drawn chart, the console shows no error, no answer is a server error, and the page
is no wider than the window. One blank chart fails the run."""

from __future__ import annotations

import pytest

from tests.webapp.browsing import Watch, choose_language, problems, settle, sign_in
from tests.webapp.vision import standins

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("fresh_login_limit")]

#: (name, who, path); {id}: a stored client, {draft}: an unsaved application's token.
PAGES = [
    ("login", None, "/login"),
    ("search", "advisor", "/"),
    ("client", "advisor", "/clients/{id}"),
    ("sheet", "advisor", "/clients/{id}/fiche"),
    ("new", "advisor", "/applications/new"),
    ("draft", "advisor", "/applications/draft/{draft}"),
    ("draft-sheet", "advisor", "/applications/draft/{draft}/fiche"),
    ("section", "advisor", "/clients/{id}/sections/reasons"),
    ("model", "advisor", "/modele"),
    ("image", None, "/image"),
    ("study", None, "/image/etude"),
    ("admin", "admin", "/admin/"),
    ("admin-clients", "admin", "/admin/clients"),
    ("admin-client", "admin", "/admin/clients/{id}"),
    ("admin-edit", "admin", "/admin/clients/{id}/edit"),
    ("admin-delete", "admin", "/admin/clients/{id}/delete"),
    ("admin-users", "admin", "/admin/users"),
    ("admin-records", "admin", "/admin/records"),
    ("admin-reviews", "admin", "/admin/reviews"),
    ("admin-import", "admin", "/admin/import"),
    ("admin-jobs", "admin", "/admin/jobs"),
]


@pytest.fixture(scope="module")
def draft(app, seeded_ids_module, user_emails):
    """The id of an unsaved application (a copy of a seeded one, stored server-side)."""
    from webapp.accounts.models import User
    from webapp.clients.models import Client
    from webapp.clients.storage import decode_record
    from webapp.credit.drafts import create_draft
    from webapp.extensions import db

    with app.app_context():
        record = decode_record(db.session.get(Client, seeded_ids_module[2]).raw_record)
        record.pop("SK_ID_CURR", None)
        author = db.session.query(User).filter_by(email=user_emails["advisor"]).one()
        created = create_draft(db.session, record, author)
        db.session.commit()
        return created.id


@pytest.fixture(scope="module")
def finished_job(app, user_emails):
    """A finished re-scoring with its long model name and message, so that the jobs page
    has a full row to fit on a phone."""
    from webapp.extensions import db
    from webapp.jobs.messages import message
    from webapp.jobs.models import Job
    from webapp.jobs.runner import now

    with app.app_context():
        version = "credit-20261202-081634-3c7b473e"
        job = Job(kind="rescore", status="done", total=1200, done=1200, model_version=version,
                  created_by=user_emails["admin"], started_at=now(), finished_at=now(),
                  message=message("rescored", scored=1200, version=version))
        db.session.add(job)
        db.session.commit()
        return job.id


@pytest.fixture(scope="module")
def seeded_ids_module(app):
    from webapp.clients.models import Client
    from webapp.extensions import db

    with app.app_context():
        return [row[0] for row in db.session.query(Client.sk_id_curr)
                .filter(Client.source == "import:seed.csv").order_by(Client.sk_id_curr)]


@pytest.mark.parametrize("width", [1366, 390])
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_page_draws_every_chart_and_fits_the_screen(browser, live_server, app, user_emails,
                                                          password, seeded_ids_module, draft,
                                                          finished_job, lang, width):
    standins.install_stub_models(app)
    height = 900 if width > 600 else 844
    tabs = {}
    for who in ("advisor", "admin", None):
        context = browser.new_context(viewport={"width": width, "height": height},
                                      locale="fr-FR")
        tab = context.new_page()
        tab.set_default_timeout(20000)
        if who:
            sign_in(tab, live_server, user_emails[who], password)
        choose_language(tab, live_server, lang)
        tabs[who] = (tab, Watch().attach(tab))
    found = []
    for name, who, path in PAGES:
        tab, watch = tabs[who]
        tab.goto(live_server + path.format(id=seeded_ids_module[0], draft=draft))
        if name == "image":  # classify the first photo of the gallery
            tab.locator("button[name=gallery]").first.click()
            tab.get_by_test_id("vision-result").wait_for()
        settle(tab)
        assert tab.evaluate("document.documentElement.lang") == lang, name
        found += problems(tab, watch, name)
    for tab, _watch in tabs.values():
        tab.context.close()
    assert not found, "\n".join(found)
