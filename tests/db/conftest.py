"""Fixtures of the database tests: apps on new, empty databases (SQLite, or PostgreSQL with
``PAD_TEST_DATABASE_URL``), without the credit model the web tests train."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask


@pytest.fixture(scope="session")
def no_artifacts(tmp_path_factory):
    """An empty artifacts folder: the apps of these tests load no model."""
    return tmp_path_factory.mktemp("no-artifacts")


@pytest.fixture
def empty_app(make_database, no_artifacts) -> Callable[[str], Flask]:
    """``empty_app(label)`` → an app on a new, empty database (no migration run yet)."""
    from webapp import create_app

    def build(label: str = "empty") -> Flask:
        return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": make_database(label),
                           "PAD_ARTIFACTS_DIR": str(no_artifacts)})

    return build


@pytest.fixture(scope="module")
def migrated_app(make_database, no_artifacts) -> Iterator[Flask]:
    """An app whose database the migrations brought to head (shared by a module's tests)."""
    import flask_migrate

    from webapp import create_app
    from webapp.extensions import db

    application = create_app({"TESTING": True,
                              "SQLALCHEMY_DATABASE_URI": make_database("migrated"),
                              "PAD_ARTIFACTS_DIR": str(no_artifacts)})
    with application.app_context():
        flask_migrate.upgrade()
    yield application
    with application.app_context():
        db.engine.dispose()
