"""A new credit model is served without a restart: every process looks at ``CURRENT`` and
loads the folder it names (keeping the last model when that folder is unusable), and the
housekeeping queues the re-scoring of the portfolio with it, once."""

from __future__ import annotations

import json
import shutil

import flask_migrate
import pytest
from sqlalchemy import select

from webapp.clients.importing import import_applications
from webapp.clients.models import Client
from webapp.extensions import db
from webapp.jobs.queue import dispatch
from webapp.jobs.rescore import ensure_scored
from webapp.model_store import models

pytestmark = pytest.mark.db


def _copy_model(source, root, version: str, format_version: int | None = None) -> None:
    folder = root / version
    shutil.copytree(source, folder)
    card = json.loads((folder / "model_card.json").read_text())
    card["version"] = version
    if format_version is not None:
        card["format_version"] = format_version
    (folder / "model_card.json").write_text(json.dumps(card))


@pytest.fixture
def two_models(credit_artifacts, tmp_path):
    """An artifacts folder with models ``credit-a`` (current), ``credit-b`` and an unreadable
    ``credit-old-format``."""
    from ml.credit.artifacts import resolve, set_current

    source = resolve(credit_artifacts / "credit")
    root = tmp_path / "artifacts" / "credit"
    root.mkdir(parents=True)
    _copy_model(source, root, "credit-a")
    _copy_model(source, root, "credit-b")
    _copy_model(source, root, "credit-old-format", format_version=1)
    set_current(root, "credit-a")
    return root


def test_a_new_current_model_is_served_and_the_portfolio_rescored(two_models, make_database,
                                                                   seed_csv):
    from ml.credit.artifacts import set_current
    from webapp import create_app

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": make_database("pickup"),
                      "PAD_ARTIFACTS_DIR": str(two_models.parent),
                      "PAD_MODEL_CHECK_SECONDS": 0, "PAD_QUEUE_IMMEDIATE": True,
                      "PAD_LOAD_VISION": False})
    browser = app.test_client()
    with app.app_context():
        flask_migrate.upgrade()
        import_applications(db.session, seed_csv, models().credit)
        db.session.commit()
        assert models().credit.version == "credit-a"
        first = ensure_scored(db.session)  # nothing to re-score, but now recorded for a
        assert first is not None and dispatch(db.session, first)
        assert ensure_scored(db.session) is None

        set_current(two_models, "credit-b")
        health = browser.get("/healthz").get_json()
        assert health["models"]["credit"]["version"] == "credit-b"
        job = ensure_scored(db.session)
        assert job is not None and job.model_version == "credit-b"
        assert dispatch(db.session, job)
        db.session.expire_all()
        versions = set(db.session.scalars(select(Client.model_version)))
        assert versions == {"credit-b"} and job.done > 0
        assert ensure_scored(db.session) is None  # one re-scoring per model

        set_current(two_models, "credit-old-format")  # unreadable: b stays in service
        health = browser.get("/healthz").get_json()
        assert health["models"]["credit"]["version"] == "credit-b"
        assert health["models"]["credit"]["loaded"] is True
        db.session.remove()
        db.engine.dispose()
