"""Hostile input over every route: no answer of 500 or more, no traceback in any body, and
the database unchanged by every refusal.

The cases are generated from the app: every rule of the URL map with each path argument
replaced by hostile values; every GET route with hostile query strings and headers; every
form the pages render (fields scraped from the HTML) posted with one hostile field at a time;
the JSON API with hostile bodies. Each family counts its cases and fails on the first list
of problems it finds (status, body, database digest). Run alone with ``-s`` to see the counts.
"""

from __future__ import annotations

import itertools
from collections import Counter

import pytest
from sqlalchemy import delete, func, select

from tests.webapp import hostile

_ADDRESSES = (f"10.{a}.{b}.{c}" for a, b, c in itertools.product(range(100, 200), range(256),
                                                                    range(1, 255)))
# Routes whose answer is a whole explained client page: a sample of the values suffices.
_COSTLY = ("credit.client_page", "credit.section", "credit.sheet", "credit.draft_page",
           "credit.draft_section", "credit.draft_sheet", "credit.model_page",
           "admin.records_csv", "vision.image_page", "vision.study_page")


class Probe:
    """Sends the cases, checks each answer, keeps the tally."""

    def __init__(self, app, engine, browsers) -> None:
        self.app, self.engine, self.browsers = app, engine, browsers
        self.baseline = hostile.database_fingerprint(engine)
        self.tally: Counter[str] = Counter()
        self.problems: list[str] = []

    def send(self, role: str, method: str, url: str, **kwargs) -> None:
        browser, token = self.browsers(role)
        kwargs.setdefault("environ_base", {"REMOTE_ADDR": next(_ADDRESSES)})
        if method == "POST" and "json" not in kwargs and "data" in kwargs \
                and kwargs.pop("with_csrf", True):
            kwargs["data"] = {"csrf_token": token, **kwargs["data"]}
        kwargs.pop("with_csrf", None)
        response = browser.open(url, method=method, **kwargs)
        body = response.get_data(as_text=True)
        sent = kwargs.get("data") or kwargs.get("query_string") or kwargs.get("headers") or ""
        label = f"{role} {method} {url[:120]!r} {str(sent)[:160]}"
        self.tally[f"{response.status_code // 100}xx"] += 1
        if role == "admin" and response.headers.get("Location", "").startswith("/login") \
                and not url.startswith(("/logout", "/login", "/langue")):
            self.problems.append(f"signed out, the case tested nothing: {label}")
        if response.status_code >= 500:
            self.problems.append(f"{response.status_code} {label}")
        if "Traceback (most recent call last)" in body or 'File "/' in body:
            self.problems.append(f"traceback {label}")
        after = hostile.database_fingerprint(self.engine)
        if response.status_code >= 400 and after != self.baseline:
            self.problems.append(f"database changed by a {response.status_code}: {label}")
        self.baseline = after

    def assert_clean(self, minimum: int) -> None:
        """No problem among this family's cases, and at least ``minimum`` of them."""
        total = sum(self.tally.values())
        print(f"\n{total} cases: {dict(sorted(self.tally.items()))}")
        problems, self.problems, self.tally = self.problems, [], Counter()
        assert not problems, "\n".join(problems[:30])
        assert total >= minimum


@pytest.fixture(scope="module")
def targets(app, user_emails):
    """Throwaway objects the valid parts of the URLs point at, so that a hostile request
    which succeeds changes nothing the other tests use."""
    from sqlalchemy import select

    from webapp.accounts.service import create_user
    from webapp.clients.models import Client, Review
    from webapp.clients.storage import decode_record, encode_record
    from webapp.credit.drafts import create_draft
    from webapp.extensions import db

    with app.app_context():
        admin = create_user(db.session, "hostile.admin@example.com", "hostile suite pass 42",
                            "admin")
        target = create_user(db.session, "hostile.target@example.com", "hostile suite pass 42",
                             "advisor")
        source = db.session.scalars(select(Client).order_by(Client.sk_id_curr)).first()
        record = dict(decode_record(source.raw_record), SK_ID_CURR=960_000_001)
        db.session.add(Client(sk_id_curr=960_000_001, raw_record=encode_record(record),
                              source="test:hostile"))
        db.session.flush()
        review = Review(sk_id_curr=960_000_001, application_version=1, applicant_view="x",
                        requested_by_id=target.id, model_decision="refused", status="pending")
        db.session.add(review)
        draft = create_draft(db.session, {"AMT_INCOME_TOTAL": 1.0e5, "AMT_CREDIT": 2.0e5,
                                          "AMT_ANNUITY": 1.0e4, "DAYS_BIRTH": -12000}, admin)
        db.session.commit()
        ids = {"sk_id_curr": 960_000_001, "user_id": target.id, "review_id": review.id,
               "job_id": 1, "token": draft.id, "section": "decision", "name": "x.jpg",
               "digest": "0" * 16}
        admin_id = admin.id
    return hostile.seed_values(ids), admin_id


@pytest.fixture(scope="module")
def probe(app, targets, vision_stub, csrf_token_for):
    """Browsers for each role (signed in afresh for every case: a hostile logout or password
    change must not silence the cases after it) and the prober."""
    from webapp.accounts.models import User
    from webapp.accounts.sessions import session_values
    from webapp.extensions import db
    from webapp.jobs.models import Job
    from webapp.jobs.queue import job_queue

    _valid, admin_id = targets
    config = {"PAD_VISION_GLOBAL_RATE_LIMIT": "100000 per minute"}
    saved = {key: app.config[key] for key in config}
    app.config.update(config)
    # The jobs a hostile post starts are recorded and wait for a worker, as on a server
    # whose worker is busy: a valid "train" post must not train a model in the test.
    queue = job_queue(app)
    queue.enqueue = lambda job_id: None
    with app.app_context():
        last_job = db.session.scalar(select(func.max(Job.id))) or 0
    cache: dict[str, tuple] = {}

    def browsers(role: str):
        browser = app.test_client()
        if role == "admin":
            with app.app_context():
                values = session_values(db.session.get(User, admin_id))
            with browser.session_transaction() as session:
                session.update(values)
        if role not in cache:
            cache[role] = csrf_token_for(browser)
        with browser.session_transaction() as session:
            session["csrf_token"] = cache[role][1]
        return browser, cache[role][0]

    with app.app_context():
        yield Probe(app, db.engine, browsers)
    app.config.update(saved)
    del queue.enqueue  # the class's method again
    with app.app_context():  # the waiting jobs would hold back the next tests' jobs
        db.session.execute(delete(Job).where(Job.id > last_job))
        db.session.commit()


@pytest.fixture(scope="module")
def vision_stub(app):
    from tests.webapp.vision.standins import install_stub_models

    return install_stub_models(app)


@pytest.fixture(scope="module")
def csrf_token_for(app):
    """A CSRF token and the session value it is signed against, for a browser."""
    import re

    def fetch(browser):
        page = browser.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page)
        if token is None:
            page = browser.get("/").get_data(as_text=True)
            token = re.search(r'"X-CSRFToken": "([^"]+)"', page)
        with browser.session_transaction() as session:
            raw = session["csrf_token"]
        return token.group(1), raw

    return fetch


def _rules(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint != "static":
            yield rule


def _is_public(app, rule) -> bool:
    from webapp.accounts.access import access_rule

    return access_rule(app, rule.endpoint)[0] == "public"


def test_hostile_path_arguments(app, probe, targets):
    valid, _ = targets
    for rule in _rules(app):
        for name in hostile.path_arguments(rule.rule):
            for value in hostile.HOSTILE_PATH_VALUES:
                url = hostile.fill_rule(rule.rule, valid, (name, value))
                for method in sorted(rule.methods & {"GET", "POST"}):
                    probe.send("admin", method, url, data={} if method == "POST" else None)
    probe.assert_clean(minimum=300)


def test_hostile_query_strings(app, probe, targets):
    valid, _ = targets
    names = set(hostile.QUERY_NAMES)
    for rule in _rules(app):
        if "GET" not in rule.methods:
            continue
        url = hostile.fill_rule(rule.rule, valid)
        values = hostile.HOSTILE_VALUES[::5] if rule.endpoint in _COSTLY \
            else hostile.HOSTILE_VALUES
        page = probe.browsers("admin")[0].get(url).get_data(as_text=True)
        fields = {f for form in hostile.scrape_forms(page, url) if form.method == "GET"
                  for f in form.fields}
        for value in values:
            query = {name: value for name in names | fields}
            for role in ("admin", "anonymous") if _is_public(app, rule) else ("admin",):
                probe.send(role, "GET", url, query_string=query)
    probe.assert_clean(minimum=600)


def test_hostile_headers(app, probe, targets):
    valid, _ = targets
    for rule in _rules(app):
        if "GET" not in rule.methods or rule.endpoint in _COSTLY:
            continue
        url = hostile.fill_rule(rule.rule, valid)
        for headers in hostile.HOSTILE_HEADERS:
            probe.send("admin", "GET", url, headers=headers)
    probe.assert_clean(minimum=300)


def _forms_by_action(app, probe, valid) -> dict[str, dict[str, str]]:
    """Every form the GET pages render, by the path it posts to."""
    forms: dict[str, dict[str, str]] = {}
    for role in ("admin", "anonymous"):
        browser = probe.browsers(role)[0]
        for rule in _rules(app):
            if "GET" not in rule.methods or rule.endpoint in ("assets.plotly_js",
                                                              "vision.gallery_photo"):
                continue
            url = hostile.fill_rule(rule.rule, valid)
            page = browser.get(url, follow_redirects=True).get_data(as_text=True)
            for form in hostile.scrape_forms(page, url):
                if form.method == "POST":
                    forms.setdefault(form.action.split("?")[0], {}).update(form.fields)
    return forms


def test_hostile_form_fields(app, probe, targets):
    valid, _ = targets
    forms = _forms_by_action(app, probe, valid)
    posted = 0
    for rule in _rules(app):
        if "POST" not in rule.methods or rule.rule.startswith("/api/v1/score"):
            continue
        url = hostile.fill_rule(rule.rule, valid)
        template = {k: v for k, v in forms.get(url, {}).items() if k != "csrf_token"}
        if rule.endpoint == "admin.user_create":
            template.update(email="hostile.new@example.com", password="a fine long passphrase")
        fields = sorted(template) + ["unexpected"]
        public_vision = rule.endpoint.startswith("vision.") and _is_public(app, rule)
        role = "anonymous" if public_vision or rule.endpoint.startswith("accounts.login") \
            else "admin"
        values = hostile.HOSTILE_VALUES if len(fields) <= 20 else hostile.HOSTILE_VALUES[::8]
        for name in fields:
            for value in values:
                probe.send(role, "POST", url, data={**template, name: value})
                posted += 1
        probe.send(role, "POST", url, data=template, with_csrf=False)  # no CSRF token
    assert posted >= 500
    probe.assert_clean(minimum=500)


def test_hostile_uploads(app, probe):
    """Files that are not photos, or not CSV files, posted where a file is expected."""
    bodies = [b"", b"\x00" * 100, b"GIF89a" + b"\x00" * 50, b"%PDF-1.7", b"<svg onload=x>",
              b"\xff\xd8\xff" + b"\x00" * 20, b"\x89PNG\r\n\x1a\n" + b"\xff" * 40,
              b"SK_ID_CURR\n" + b"9" * 30 + b"\n"]
    for body in bodies:
        for url, role, field in (("/image", "anonymous", "photo"),
                                 ("/api/v1/vision/classify", "anonymous", "photo"),
                                 ("/image/evaluer", "admin", "archive"),
                                 ("/admin/import", "admin", "file")):
            import io

            probe.send(role, "POST", url, data={field: (io.BytesIO(body), "x.csv")},
                       content_type="multipart/form-data")
    probe.assert_clean(minimum=32)


def test_hostile_json_bodies(app, probe):
    from webapp.api.openapi import openapi_document

    with app.app_context():
        from webapp.accounts.models import User
        from webapp.accounts.service import issue_token
        from webapp.extensions import db

        token = issue_token(db.session, db.session.query(User).filter_by(
            email="hostile.admin@example.com").one())
        db.session.commit()
    probe.baseline = hostile.database_fingerprint(probe.engine)  # the token just issued
    fields = list(openapi_document()["components"]["schemas"]["Application"]["properties"])
    for _name, body in hostile.hostile_json_bodies(fields[:40]):
        probe.send("anonymous", "POST", "/api/v1/score", data=body,
                   headers={"Authorization": f"Bearer {token}",
                            "Content-Type": "application/json"}, with_csrf=False)
    probe.assert_clean(minimum=200)
