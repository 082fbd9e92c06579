"""``scripts/serve.py`` (what ``make run`` starts): gunicorn and a job worker in one command; a
worker that dies is started again; Ctrl-C stops both."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import flask_migrate
import pytest
from sqlalchemy import select

from tests.webapp.jobs.helpers import wait_until
from webapp.extensions import db
from webapp.jobs.models import Job

REPO = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (exited, not yet reaped by its parent) is not running
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture
def portal_settings(tmp_path, credit_artifacts):
    """A migrated SQLite database and the settings gunicorn, the worker and this test share."""
    from webapp import create_app

    config = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'portal.sqlite3'}",
              "PAD_ARTIFACTS_DIR": str(credit_artifacts),
              "PAD_QUEUE_FILE": str(tmp_path / "queue.sqlite3"),
              "PAD_JOBS_DIR": str(tmp_path / "jobs")}
    app = create_app({"TESTING": True, "PAD_LOAD_VISION": False, **config})
    with app.app_context():
        flask_migrate.upgrade()
    env = {**os.environ, "PAD_ENV": "testing", "SECRET_KEY": "tests-only-secret",
           "DATABASE_URL": config["SQLALCHEMY_DATABASE_URI"],
           **{k: v for k, v in config.items() if k != "SQLALCHEMY_DATABASE_URI"}}
    yield app, env, tmp_path
    with app.app_context():
        db.engine.dispose()


def test_one_command_serves_runs_jobs_and_stops_both_on_ctrl_c(portal_settings):
    app, env, folder = portal_settings
    port = _free_port()
    log = (folder / "serve.log").open("w+")
    supervisor = subprocess.Popen(
        [sys.executable, "scripts/serve.py", "--bind", f"127.0.0.1:{port}", "--threads", "2",
         "--grace", "20"], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        assert wait_until(lambda: _healthy(f"http://127.0.0.1:{port}/healthz"), timeout=120,
                          step=0.5), (folder / "serve.log").read_text()[-2000:]

        def scored() -> bool:  # the worker's first housekeeping queues the re-scoring
            with app.app_context():
                db.session.expire_all()
                job = db.session.scalar(select(Job).where(Job.kind == "rescore"))
                db.session.remove()
                return job is not None and job.status == "done"

        assert wait_until(scored, timeout=120, step=0.5), (folder / "serve.log").read_text()
        text = (folder / "serve.log").read_text()
        web_pid = int(re.search(r"gunicorn pid (\d+)", text).group(1))
        worker_pid = int(re.search(r"job worker pid (\d+)", text).group(1))

        os.kill(worker_pid, signal.SIGKILL)  # a worker that dies is started again
        assert wait_until(lambda: len(re.findall(r"job worker pid (\d+)",
                                                 (folder / "serve.log").read_text())) == 2,
                          timeout=30, step=0.2), (folder / "serve.log").read_text()[-2000:]
        worker_pid = int(re.findall(r"job worker pid (\d+)",
                                    (folder / "serve.log").read_text())[-1])
        assert wait_until(lambda: _alive(worker_pid), timeout=10)

        supervisor.send_signal(signal.SIGINT)  # Ctrl-C
        assert supervisor.wait(60) == 0
        assert not _alive(web_pid) and not _alive(worker_pid)
        assert not _healthy(f"http://127.0.0.1:{port}/healthz")
    finally:
        if supervisor.poll() is None:
            supervisor.kill()
            supervisor.wait()
        log.close()
