"""Shared fixtures: a small real credit model, the app on a throwaway SQLite database built
by the migrations, users of every role, and a seeded set of real applications.

- ``credit_artifacts``: a small real model trained once per session (about a minute), or the
  model folder named by ``PAD_TEST_ARTIFACTS_DIR`` (to iterate faster locally).
- ``app``: session-wide, schema from ``flask_migrate.upgrade()``; ``SEEDED_CLIENTS`` rows of
  ``application_test_sample.csv`` imported through the real import service.
- ``client``: an anonymous test client; ``login_as(role)``: a signed-in one.
- ``db``: the SQLAlchemy handle inside an app context.
"""

from __future__ import annotations

import contextvars
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest
from flask.testing import FlaskClient

os.environ.setdefault("PAD_ENV", "testing")
os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-not-for-production")

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
def app(tmp_path_factory, credit_artifacts, seed_csv):
    """The application on a throwaway database built by the Alembic migrations."""
    import flask_migrate

    from webapp import create_app
    from webapp.extensions import db as database
    from webapp.models_registry import models
    from webapp.services.client_import import import_applications
    from webapp.services.users import create_user

    db_path = tmp_path_factory.mktemp("db") / "portal.sqlite3"
    application = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}",
        "PAD_ARTIFACTS_DIR": str(credit_artifacts),
        "RATELIMIT_STORAGE_URI": "memory://",
    })
    application.test_client_class = IsolatedClient
    with application.app_context():
        flask_migrate.upgrade()
        for role, email in USERS.items():
            create_user(database.session, email, PASSWORD, role)
        database.session.commit()
        assert models().credit is not None, models().credit_error
        import_applications(database.session, seed_csv, models().credit)
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
        from webapp.extensions import db as database
        from webapp.models import User

        browser = app.test_client()
        with app.app_context():
            user = database.session.query(User).filter_by(email=USERS[role]).one()
            user_id = user.id
        with browser.session_transaction() as session:
            session["_user_id"] = str(user_id)
            session["_fresh"] = True
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
    from webapp.models import Client

    return [row[0] for row in db.session.query(Client.sk_id_curr)
            .filter(Client.source == "import:seed.csv").order_by(Client.sk_id_curr)]
