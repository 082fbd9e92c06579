"""Fixtures of the job tests: a "web process" (an app in this process) and real job workers
(``python -m webapp.jobs`` subprocesses) on a new database, with the queue in a SQLite file or
in Redis (``PAD_TEST_REDIS_URL``; skipped without it)."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from flask import Flask

from tests.webapp.jobs.helpers import FIRST_ID, IMPORT_ROWS, TEST_LEASE_SECONDS

REPO = Path(__file__).resolve().parents[3]


@dataclass
class Portal:
    """A web process (``app``, in this process) and the settings its workers share."""

    app: Flask
    config: dict
    env: dict[str, str]


def _queue_settings(backend: str, request, tmp: Path) -> dict:
    if backend == "redis":
        return {"REDIS_URL": request.getfixturevalue("redis_url"),
                "PAD_QUEUE_NAME": f"pad-test-{secrets.token_hex(4)}"}
    return {"PAD_QUEUE_FILE": str(tmp / "queue.sqlite3")}


@pytest.fixture(params=["sqlite", "redis"])
def portal(request, make_database, credit_artifacts, tmp_path) -> Iterator[Portal]:
    """An app on a new migrated database whose jobs go to real workers, through a SQLite queue
    or Redis (both, parametrised)."""
    yield from _portal(request.param, request, make_database, credit_artifacts, tmp_path)


@pytest.fixture
def sqlite_portal(request, make_database, credit_artifacts, tmp_path) -> Iterator[Portal]:
    """The same, with the embedded queue only."""
    yield from _portal("sqlite", request, make_database, credit_artifacts, tmp_path)


def _portal(backend, request, make_database, credit_artifacts, tmp_path) -> Iterator[Portal]:
    import flask_migrate

    from webapp import create_app
    from webapp.extensions import db

    config = {"SQLALCHEMY_DATABASE_URI": make_database(f"jobs_{backend}"),
              "PAD_ARTIFACTS_DIR": str(credit_artifacts),
              "PAD_JOBS_DIR": str(tmp_path / "jobs"),
              "PAD_JOB_LEASE_SECONDS": TEST_LEASE_SECONDS,
              **_queue_settings(backend, request, tmp_path)}
    app = create_app({"TESTING": True, **config})
    with app.app_context():
        flask_migrate.upgrade()
    env = {**os.environ, "PAD_ENV": "testing", "SECRET_KEY": "tests-only-secret",
           "DATABASE_URL": config["SQLALCHEMY_DATABASE_URI"],
           "PAD_WORKER_THREADS": "1",
           **{key: str(value) for key, value in config.items()
              if key != "SQLALCHEMY_DATABASE_URI"}}
    yield Portal(app, config, env)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def start_worker() -> Iterator[Callable[[Portal], subprocess.Popen]]:
    """``start_worker(portal)`` → a job worker process for that portal (stopped after)."""
    started: list[subprocess.Popen] = []

    def start(portal: Portal) -> subprocess.Popen:
        process = subprocess.Popen([sys.executable, "-m", "webapp.jobs", "--nice", "0"],
                                   cwd=REPO, env=portal.env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, text=True)
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in started:
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr:
            process.stderr.close()


@pytest.fixture(scope="session")
def import_csv(tmp_path_factory) -> Path:
    """``IMPORT_ROWS`` real applications under new IDs (from ``FIRST_ID``)."""
    from ml.config import credit_data_dir

    frame = pd.read_csv(credit_data_dir() / "application_test_sample.csv", nrows=IMPORT_ROWS,
                        low_memory=False)
    frame["SK_ID_CURR"] = range(FIRST_ID, FIRST_ID + len(frame))
    path = tmp_path_factory.mktemp("jobs-import") / "applications.csv"
    frame.to_csv(path, index=False)
    return path
