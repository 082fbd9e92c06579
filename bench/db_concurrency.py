"""A long import against readers: does anyone get "database is locked", or wait?

One process imports the 48,744 real applications. Meanwhile a reader process loops on what the
client list reads (a count and the first page by probability), and a recorder process loops on
what opening a client page writes (one decision record, committed). Both report how many of
their operations succeeded, how many were refused, and their latency, counting the operations
that ran, at least in part, while the import was writing (first INSERT to the last COMMIT).

Modes, in the same run:

- ``rollback``: SQLite as the app had it (rollback journal, pysqlite's 5 s busy timeout),
  the import in one transaction (``import_applications``, inserts in chunks of 2,000); the
  baseline.
- ``rollback-15s``: the rollback journal with the app's 15 s busy timeout (is the timeout
  alone enough?).
- ``wal``: the app's SQLite connections (``webapp.database.configure_engine``: WAL, 15 s busy
  timeout, foreign keys), the import still in one transaction.
- ``wal-staged``: the same connections, the import as the browser's import job runs it
  (``webapp.jobs.imports``: rows staged 2,000 per transaction, then one INSERT ... SELECT).
- ``postgresql``, ``postgresql-staged``: with ``--postgresql-url`` (a role that may create
  databases, such as the one ``scripts/services.sh url`` prints); a throwaway database is
  created and dropped for each.

Usage: ``python bench/db_concurrency.py [--rows 48744]
[--modes rollback,rollback-15s,wal,wal-staged] [--postgresql-url URL]``.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import secrets
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's webapp

from portal_common import BENCH_DIR, percentiles  # noqa: E402

from ml.config import credit_data_dir  # noqa: E402

SQLITE_MODES = ("rollback", "rollback-15s", "wal", "wal-staged")
PAUSE = 0.05  # between two operations of a reader: a busy portal, not a tight loop


def make_engine(mode: str, url: str):
    """The engine a process of ``mode`` uses (created in that process)."""
    from sqlalchemy import create_engine

    if mode == "rollback":
        return create_engine(url)  # pysqlite's default: timeout=5 s
    if mode == "rollback-15s":
        return create_engine(url, connect_args={"timeout": 15})
    from webapp.database import configure_engine

    engine = create_engine(url, pool_pre_ping=True)
    configure_engine(engine)  # the app's own settings (a no-op on PostgreSQL)
    return engine


def build_schema(mode: str, url: str) -> None:
    """The app's schema, by the migrations; the rollback modes then leave WAL."""
    os.environ.setdefault("PAD_ENV", "development")
    import flask_migrate
    from sqlalchemy import create_engine

    from webapp import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url,
                      "PAD_ARTIFACTS_DIR": str(BENCH_DIR / "no-models")})
    with app.app_context():
        flask_migrate.upgrade()
        app.extensions["sqlalchemy"].engine.dispose()
    if mode.startswith("rollback"):
        engine = create_engine(url)
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode=DELETE").scalar() == "delete"
        engine.dispose()


def _operate(kind: str, mode: str, url: str, ready, stop, results) -> None:
    """A reader (``kind="read"``) or a recorder (``"record"``) until ``stop`` is set."""
    from sqlalchemy import func, select
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.orm import Session

    from webapp.clients.decision_log import record_decision
    from webapp.clients.models import Client

    engine = make_engine(mode, url)
    done: list[tuple[float, float, bool]] = []  # (start, seconds, refused)
    ready.set()
    while not stop.is_set():
        started = time.time()
        refused = False
        with Session(engine) as session:
            try:
                if kind == "read":
                    session.scalar(select(func.count()).select_from(Client))
                    list(session.execute(select(Client.sk_id_curr, Client.probability)
                                         .order_by(Client.probability.desc()).limit(20)))
                else:
                    record_decision(session, user=None, action="explanation", sk_id_curr=None,
                                    application_version=None, model_version="bench",
                                    threshold=0.5, probability=0.1, decision="accepted")
                    session.commit()
            except OperationalError:
                session.rollback()
                refused = True
        done.append((started, time.time() - started, refused))
        time.sleep(PAUSE)
    engine.dispose()
    results.put((kind, done))


def run_mode(mode: str, url: str, csv: Path, rows: int) -> dict:
    """Import ``csv`` in this process while a reader and a recorder run in two others."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from webapp.clients.importing import import_applications

    build_schema(mode, url)
    context = mp.get_context("spawn")
    stop, results = context.Event(), context.Queue()
    workers, readies = [], []
    for kind in ("read", "record"):
        ready = context.Event()
        worker = context.Process(target=_operate, args=(kind, mode, url, ready, stop, results))
        worker.start()
        workers.append(worker)
        readies.append(ready)
    for ready in readies:
        ready.wait(120)
    window: dict[str, float] = {}

    def _first_insert(connection, cursor, statement, *args) -> None:
        if statement.startswith("INSERT INTO clients"):  # clients or clients_staging
            window.setdefault("first_insert", time.time())  # the writing starts

    if mode.endswith("-staged"):
        engine = _staged_import(url, csv, _first_insert)
    else:
        engine = make_engine(mode, url)
        event.listen(engine, "before_cursor_execute", _first_insert)
        bar = tqdm(total=rows, desc=f"{mode}: import", unit="row", leave=False)
        with Session(engine) as session:
            import_applications(session, csv, None, progress=bar.update)
            session.commit()
        bar.close()
    window["commit"] = time.time()
    time.sleep(0.5)
    stop.set()
    done = dict(results.get(timeout=120) for _ in workers)
    for worker in workers:
        worker.join(30)
    engine.dispose()
    return {"window": window, **done}


def _staged_import(url: str, csv: Path, on_statement):
    """The import job itself (``webapp.jobs.imports.run_import``), run in this process."""
    from sqlalchemy import event

    from webapp import create_app
    from webapp.extensions import db
    from webapp.jobs.imports import record_import, store_upload
    from webapp.jobs.kinds import KINDS
    from webapp.jobs.models import Job
    from webapp.jobs.runner import run_job

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "PAD_LOAD_VISION": False,
                      "PAD_ARTIFACTS_DIR": str(BENCH_DIR / "no-models"),
                      "PAD_JOBS_DIR": str(BENCH_DIR / "jobs")})
    with app.app_context():
        upload = store_upload(db.session, secrets.token_hex(16), csv.name, csv, 0, "bench")
        job = record_import(db.session, upload, "bench")
        db.session.commit()
        job_id, engine = job.id, db.engine
    event.listen(engine, "before_cursor_execute", on_statement)
    run_job(app, job_id, KINDS)
    with app.app_context():
        job = db.session.get(Job, job_id)
        assert job.status == "done", job.message
    return engine


def _summary(operations: list[tuple[float, float, bool]], window: dict[str, float]) -> str:
    """The operations that ran, at least in part, while the write transaction was open."""
    during = [(s, d, r) for s, d, r in operations
              if s <= window["commit"] and s + d >= window["first_insert"]]
    refused = [d for _, d, r in during if r]
    served = [d for _, d, r in during if not r]
    text = f"{len(served):4d} ok, {len(refused):3d} refused"
    if served:
        text += f" | ok: {percentiles(served)}"
    if refused:
        text += f" | refused after {min(refused):.1f}-{max(refused):.1f} s"
    return text


def _postgresql_database(server_url: str) -> tuple[str, Callable[[], None]]:
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool

    url = make_url(server_url)
    name = f"pad_bench_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return url.set(database=name).render_as_string(hide_password=False), drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=48_744)
    parser.add_argument("--modes", default=",".join(SQLITE_MODES))
    parser.add_argument("--postgresql-url", default=None)
    args = parser.parse_args()
    modes = [m for m in args.modes.split(",") if m]
    if args.postgresql_url:
        modes += ["postgresql", "postgresql-staged"]
    BENCH_DIR.mkdir(exist_ok=True)
    csv = BENCH_DIR / "concurrency-import.csv"
    pd.read_csv(credit_data_dir() / "application_test_sample.csv", nrows=args.rows,
                low_memory=False).to_csv(csv, index=False)
    print(f"load average before: {os.getloadavg()[0]:.2f} ({os.cpu_count()} cores)")
    lines = []
    for mode in modes:
        drop = None
        if mode.startswith("postgresql"):
            url, drop = _postgresql_database(args.postgresql_url)
        else:
            path = BENCH_DIR / f"concurrency-{mode}.sqlite3"
            for leftover in path.parent.glob(path.name + "*"):
                leftover.unlink()
            url = f"sqlite:///{path}"
        try:
            outcome = run_mode(mode, url, csv, args.rows)
        finally:
            if drop:
                drop()
        window = outcome["window"]
        held = window["commit"] - window["first_insert"]
        lines.append(f"{mode:>17}: writing {held:5.1f} s"
                     f"\n{'':>19}reads   {_summary(outcome['read'], window)}"
                     f"\n{'':>19}records {_summary(outcome['record'], window)}")
        print(lines[-1], flush=True)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    csv.unlink()
    for path in BENCH_DIR.glob("concurrency-*.sqlite3*"):
        path.unlink()


if __name__ == "__main__":
    main()
