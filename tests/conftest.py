"""Shared fixtures: a small real credit model, the app on a throwaway database built by the
migrations (SQLite, or PostgreSQL: ``tests/backends.py``), users of every role, and a seeded
set of real applications.

- ``credit_artifacts``: a small real model trained once per session (about a minute), or the
  model folder named by ``PAD_TEST_ARTIFACTS_DIR`` (to iterate faster locally).
- ``app``: session-wide, schema from ``flask_migrate.upgrade()``; ``SEEDED_CLIENTS`` rows of
  ``application_test_sample.csv`` imported through the real import service.
- ``client``: an anonymous test client; ``login_as(role)``: a signed-in one.
- ``db``: the SQLAlchemy handle inside an app context.
- ``tiny_vision_models``: both real image classifiers trained on a few photos, once.
- ``live_server``, ``browser``, ``page``: the session app on loopback and a real headless
  Chromium (Debian's) for the end-to-end tests (marked ``e2e``).

Each domain's stand-ins live in that domain's folder (``tests/webapp/vision/standins.py``).
"""

from __future__ import annotations

import contextvars
import os
import re
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest
from flask.testing import FlaskClient
from werkzeug.serving import make_server

os.environ.setdefault("PAD_ENV", "testing")
os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-not-for-production")

# The database backend (SQLite, or PostgreSQL with PAD_TEST_DATABASE_URL): tests/backends.py.
pytest_plugins = ("tests.backends",)

SEEDED_CLIENTS = 300
PASSWORD = "correct horse battery staple"
USERS = {"advisor": "advisor@example.com", "admin": "admin@example.com"}
_CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


class IsolatedClient(FlaskClient):
    """A test client whose every request gets its own app context (and so its own ``g``),
    as in production, even while a test holds an app context for the ``db`` fixture."""

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture(scope="session")
def credit_artifacts(tmp_path_factory) -> Path:
    """A real (small) credit model: trained once per session on a stratified subset."""
    configured = os.environ.get("PAD_TEST_ARTIFACTS_DIR")
    if configured:
        return Path(configured)
    from ml.credit.train import TrainConfig, train

    out = tmp_path_factory.mktemp("artifacts")
    train(None, out, TrainConfig(max_rows=3000, n_folds=2, search_trials=1, search_folds=2,
                                 importance_sample=300, max_rounds=200,
                                 early_stopping_rounds=20), progress=False)
    return out


@pytest.fixture(scope="session")
def seed_csv(tmp_path_factory) -> Path:
    """The first ``SEEDED_CLIENTS`` real applications awaiting a decision, as a CSV."""
    from ml.config import credit_data_dir

    source = credit_data_dir() / "application_test_sample.csv"
    path = tmp_path_factory.mktemp("seed") / "seed.csv"
    pd.read_csv(source, nrows=SEEDED_CLIENTS).to_csv(path, index=False)
    return path


@pytest.fixture(scope="session")
def app(credit_artifacts, seed_csv, database_url):
    """The application on a throwaway database built by the Alembic migrations."""
    import flask_migrate

    from webapp import create_app
    from webapp.accounts.service import create_user
    from webapp.clients.importing import import_applications
    from webapp.extensions import db as database
    from webapp.model_store import models

    application = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "PAD_ARTIFACTS_DIR": str(credit_artifacts),
        "RATELIMIT_STORAGE_URI": "memory://",
        # Jobs run at once in the thread that queues them; tests/jobs runs real workers.
        "PAD_QUEUE_IMMEDIATE": True,
    })
    application.test_client_class = IsolatedClient
    with application.app_context():
        flask_migrate.upgrade()
        for role, email in USERS.items():
            create_user(database.session, email, PASSWORD, role)
        database.session.commit()
        assert models().credit is not None, models().credit_error
        import_applications(database.session, seed_csv, models().credit)
        database.session.commit()
    return application


@pytest.fixture
def db(app) -> Iterator:
    """The database handle, inside an app context."""
    from webapp.extensions import db as database

    with app.app_context():
        yield database
        database.session.remove()


@pytest.fixture(scope="session")
def user_emails() -> dict[str, str]:
    """Role -> e-mail of the seeded users (password ``PASSWORD``)."""
    return dict(USERS)


@pytest.fixture(scope="session")
def password() -> str:
    """The seeded users' password."""
    return PASSWORD


@pytest.fixture
def model(app):
    """The credit model the app loaded."""
    return app.extensions["pad_models"].credit


@pytest.fixture
def client(app):
    """An anonymous browser."""
    return app.test_client()


@pytest.fixture
def login_as(app) -> Callable:
    """``login_as("advisor")`` → a test client signed in with that role."""

    def sign_in(role: str):
        from webapp.accounts.models import User
        from webapp.accounts.sessions import session_values
        from webapp.extensions import db as database

        browser = app.test_client()
        with app.app_context():
            user = database.session.query(User).filter_by(email=USERS[role]).one()
            values = session_values(user)
        with browser.session_transaction() as session:
            session.update(values)
        return browser

    return sign_in


@pytest.fixture
def csrf_token() -> Callable:
    """``csrf_token(browser)`` → a valid CSRF token for that browser's session."""

    def fetch(browser, url: str = "/login") -> str:
        page = browser.get(url, follow_redirects=True).get_data(as_text=True)
        match = _CSRF.search(page) or re.search(r'"X-CSRFToken": "([^"]+)"', page)
        assert match, "no CSRF token on the page"
        return match.group(1)

    return fetch


@pytest.fixture
def seeded_ids(db) -> list[int]:
    """IDs of the seeded clients, in order."""
    from webapp.clients.models import Client

    return [row[0] for row in db.session.query(Client.sk_id_curr)
            .filter(Client.source == "import:seed.csv").order_by(Client.sk_id_curr)]


# --- real models shared by several test folders ------------------------------------------

@pytest.fixture(scope="session")
def tiny_vision_models(tmp_path_factory) -> tuple[Path, dict]:
    """Both real classifiers trained for one epoch on 56 real photos (8 per class) and
    exported to ONNX, once per test session (tens of seconds): ``(folder, report)``. Shared by
    the serving tests and the end-to-end test over real models; skipped without the Flipkart
    data or the training dependencies."""
    import warnings

    import ml.vision  # noqa: F401  (sets KERAS_BACKEND=torch before keras loads)
    from ml.config import vision_data_dir

    pytest.importorskip("keras")
    pytest.importorskip("onnxruntime")
    from ml.vision import pipeline, train
    from ml.vision.data import CSV_NAME

    directory = vision_data_dir()
    if not (directory / CSV_NAME).is_file():
        pytest.skip("Flipkart data not available")
    out = tmp_path_factory.mktemp("vision-artifacts")
    config = train.TopConfig(epochs=1, head_epochs=2, vit_epochs=1, vit_mirror=False)
    with warnings.catch_warnings():
        # Keras 3.15's Variable.numpy() goes through an ``__array__`` without ``copy`` (numpy
        # 2.4 warns); torch's exporter warns about its own internals. Neither is ours to fix.
        warnings.filterwarnings("ignore", "__array__ implementation doesn't accept a copy "
                                "keyword", DeprecationWarning)
        warnings.filterwarnings("ignore", category=FutureWarning, module="torch")
        report = pipeline.run(directory, out, limit=8, config=config)
    return out, report


# --- a live server and a real browser (end-to-end tests) ---------------------------------



CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def live_server(app):
    """The app served on a free loopback port for the whole session."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium through Playwright (never `playwright install`)."""
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is missing: run scripts/ensure-chromium.sh")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh browser tab (own cookies). JavaScript errors and CSP violations are collected
    on ``page.errors`` (4xx answers the test provokes on purpose are not errors)."""
    context = browser.new_context(locale="fr-FR")
    tab = context.new_page()
    tab.errors = []

    def on_console(message) -> None:
        text = message.text
        expected = ("Failed to load resource" in text or "Response Status Error Code 4" in text)
        if message.type == "error" and not expected:
            tab.errors.append(text)

    tab.on("console", on_console)
    tab.on("pageerror", lambda e: tab.errors.append(str(e)))
    tab.set_default_timeout(15000)
    yield tab
    context.close()
