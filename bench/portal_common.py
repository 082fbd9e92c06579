"""Shared by the portal benchmarks: a database of N clients (the real applications replicated
under new IDs), built with the migrations and the real import service."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pandas as pd

# This checkout's packages first (the shared virtualenv's editable install may point at
# another checkout), for every benchmark that imports this module.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ml.config import credit_data_dir  # noqa: E402

BENCH_DIR = Path(__file__).resolve().parent / "out"


def build_database(n_clients: int, db_path: Path, url: str | None = None) -> Path:
    """Create ``db_path`` (once) with ``n_clients`` applications; returns it. ``url``: build
    that database instead (PostgreSQL)."""
    os.environ.setdefault("PAD_ENV", "development")
    os.environ["DATABASE_URL"] = url or f"sqlite:///{db_path}"
    import flask_migrate

    from webapp import create_app
    from webapp.clients.importing import import_applications
    from webapp.extensions import db
    from webapp.model_store import models

    app = create_app()
    with app.app_context():
        from sqlalchemy import func, select

        from webapp.clients.models import Client

        flask_migrate.upgrade()
        have = db.session.scalar(select(func.count()).select_from(Client)) or 0
        if have >= n_clients:
            return db_path
        source = pd.read_csv(credit_data_dir() / "application_test_sample.csv",
                             low_memory=False)
        copies, next_id = [], 1_000_000 + have
        while sum(len(c) for c in copies) < n_clients - have:
            chunk = source.copy()
            chunk["SK_ID_CURR"] = range(next_id, next_id + len(chunk))
            next_id += len(chunk)
            copies.append(chunk)
        frame = pd.concat(copies).iloc[: n_clients - have]
        BENCH_DIR.mkdir(exist_ok=True)
        csv = BENCH_DIR / "replicated.csv"
        frame.to_csv(csv, index=False)
        started = time.perf_counter()
        report = import_applications(db.session, csv, models().credit)
        db.session.commit()  # the import service leaves the transaction to its caller
        print(f"imported {report.inserted} clients in {time.perf_counter() - started:.1f} s")
        csv.unlink()
    return db_path


def percentiles(values: list[float]) -> str:
    """``p50 / p95 / max`` in milliseconds."""
    import numpy as np

    ms = np.array(values) * 1000
    return (f"p50 {np.percentile(ms, 50):6.1f} ms  p95 {np.percentile(ms, 95):6.1f} ms  "
            f"max {ms.max():6.1f} ms  (n={len(ms)})")


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MB (Linux ``/proc``), 0 when it is gone."""
    status = Path(f"/proc/{pid}/status")
    if not status.exists():
        return 0.0
    for line in status.read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def child_pids(pid: int) -> list[int]:
    """The direct children of a process (gunicorn's workers)."""
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []
