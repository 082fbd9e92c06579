"""Which database the tests run on: SQLite by default, PostgreSQL when asked (a pytest plugin,
loaded by ``tests/conftest.py``).

``PAD_TEST_DATABASE_URL`` (or ``--database-url``) names a PostgreSQL database whose role may
create databases, such as the one ``scripts/services.sh url`` prints. The session then
creates every database it needs on that server (the app's, and an empty one per migration
test), each under a fresh name, and drops them all at the end. Without it, each is a SQLite
file in pytest's temporary folder.

Tests that exercise the database carry the ``db`` marker; ``scripts/test.sh`` runs the whole
suite on SQLite, then the ``db`` tests on PostgreSQL. ``PAD_TEST_REDIS_URL`` names the Redis
server of the tests that need one (``redis_url``; skipped without it).
"""

from __future__ import annotations

import os
import secrets
import weakref
from collections.abc import Callable, Iterator

import pytest

DATABASE_URL_ENV = "PAD_TEST_DATABASE_URL"
REDIS_URL_ENV = "PAD_TEST_REDIS_URL"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--database-url", default=os.environ.get(DATABASE_URL_ENV) or None,
                     help="run the tests on this PostgreSQL server (a URL whose role may "
                          f"create databases; default ${DATABASE_URL_ENV}, else SQLite)")


def _server_url(config: pytest.Config):
    from sqlalchemy.engine import make_url

    given = config.getoption("--database-url")
    if not given:
        return None
    url = make_url(given)
    if url.get_backend_name() != "postgresql":
        raise pytest.UsageError(f"--database-url / {DATABASE_URL_ENV} must be a PostgreSQL "
                                f"URL (postgresql+psycopg://...), not {url.drivername}")
    return url


def pytest_configure(config: pytest.Config) -> None:
    url = _server_url(config)
    if url is None:
        return
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect():
            pass
    except Exception as exc:  # noqa: BLE001 - any failure means the server is unusable
        raise pytest.UsageError(
            f"cannot reach the test PostgreSQL at {url.render_as_string()}: {exc}\n"
            "Start it with `bash scripts/services.sh start`.") from exc
    finally:
        engine.dispose()


def pytest_report_header(config: pytest.Config) -> str:
    url = _server_url(config)
    if url is None:
        return "database: SQLite (a throwaway file per test database)"
    return (f"database: PostgreSQL at {url.host}:{url.port} (throwaway databases, "
            "created and dropped by this session)")


class _PostgresDatabases:
    """Creates fresh databases on one server and drops them all at the end, after closing
    the pooled connections of every engine that used them (the apps built on them)."""

    def __init__(self, url) -> None:
        from sqlalchemy import Engine, create_engine, event
        from sqlalchemy.pool import NullPool

        self.url = url
        self.admin = create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
        self.created: list[str] = []
        self.engines: weakref.WeakSet = weakref.WeakSet()
        event.listen(Engine, "engine_connect", self._track)

    def _track(self, connection) -> None:
        if connection.engine.url.database in self.created:
            self.engines.add(connection.engine)

    def create(self, label: str) -> str:
        name = f"pad_test_{label}_{os.getpid()}_{secrets.token_hex(3)}"
        with self.admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        return self.url.set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        from sqlalchemy import Engine, event

        event.remove(Engine, "engine_connect", self._track)
        for engine in list(self.engines):
            engine.dispose()
        # FORCE: a connection checked out and never returned would otherwise block the drop.
        with self.admin.connect() as connection:
            for name in self.created:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.admin.dispose()


@pytest.fixture(scope="session")
def database_backend(pytestconfig) -> str:
    """``"postgresql"`` or ``"sqlite"``: where this session's databases live."""
    return "sqlite" if _server_url(pytestconfig) is None else "postgresql"


@pytest.fixture(scope="session")
def make_database(pytestconfig, tmp_path_factory) -> Iterator[Callable[[str], str]]:
    """``make_database(label)`` → the URL of a new, empty database (dropped after the
    session on PostgreSQL; a file in pytest's temporary folder on SQLite)."""
    url = _server_url(pytestconfig)
    if url is None:
        def sqlite_file(label: str) -> str:
            return f"sqlite:///{tmp_path_factory.mktemp('db') / f'{label}.sqlite3'}"

        yield sqlite_file
        return
    databases = _PostgresDatabases(url)
    try:
        yield databases.create
    finally:
        databases.drop_all()


@pytest.fixture(scope="session")
def database_url(make_database) -> str:
    """The URL of the session app's database (empty until the app's migrations run)."""
    return make_database("app")


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The tests' Redis server (``PAD_TEST_REDIS_URL``), or the test is skipped."""
    url = os.environ.get(REDIS_URL_ENV)
    if not url:
        pytest.skip(f"no Redis for the tests: set {REDIS_URL_ENV} "
                    "(bash scripts/services.sh start prints one)")
    return url
