"""Re-scoring a stored portfolio: issue 14's target is 300,000 clients in at most 60 s on two
cores.

Marks every client of the benchmark database (``portal_common.build_database``, the real
applications replicated under new IDs) as scored by another model, then runs the re-scoring
job itself (``webapp.jobs.rescore``, what a worker runs) in this process, once per
``--processes`` value (the processes that decode and score while this one reads and writes).
Meanwhile a recorder process writes one decision record every 50 ms, as opening client pages
does: how long does a writer wait for the job's chunks?

Baseline, in the same run: the client page's path, one applicant per call
(``CreditModel.explain`` on the decoded record), timed on a sample and extrapolated.

Figures: wall-clock and CPU seconds (this process and the pool's), clients per second, the
recorder's latency, and the load average (the machine is shared: CPU seconds are what a
quiet machine would need at most).

``--postgresql-url`` (a role that may create databases: ``scripts/services.sh url``) runs the
same on a throwaway PostgreSQL database, built and dropped by the run.

Usage: ``python bench/rescore.py [--clients 300000] [--processes 1,2]
[--baseline-sample 2000] [--chunk 5000] [--postgresql-url URL]``.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's webapp

from portal_common import BENCH_DIR, build_database, percentiles  # noqa: E402

PAUSE = 0.05


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _record(url: str, ready, stop, results) -> None:
    """Write a decision record every ``PAUSE`` seconds until ``stop``; report latencies."""
    from sqlalchemy import create_engine
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.orm import Session

    from webapp.clients.decision_log import record_decision
    from webapp.database import configure_engine

    engine = create_engine(url)
    configure_engine(engine)
    done: list[tuple[float, bool]] = []
    ready.set()
    while not stop.is_set():
        started = time.perf_counter()
        with Session(engine) as session:
            try:
                record_decision(session, user=None, action="explanation", sk_id_curr=None,
                                application_version=None, model_version="bench",
                                threshold=0.5, probability=0.1, decision="accepted")
                session.commit()
                refused = False
            except OperationalError:
                session.rollback()
                refused = True
        done.append((time.perf_counter() - started, refused))
        time.sleep(PAUSE)
    engine.dispose()
    results.put(done)


def _mark_stale(app) -> int:
    from sqlalchemy import update

    from webapp.clients.models import Client
    from webapp.extensions import db

    with app.app_context():
        result = db.session.execute(update(Client).values(model_version="bench-stale")
                                    .execution_options(synchronize_session=False))
        db.session.commit()
        return result.rowcount


def _run(app, url: str) -> tuple[dict, list[tuple[float, bool]]]:
    from webapp.extensions import db
    from webapp.jobs.kinds import KINDS
    from webapp.jobs.models import Job
    from webapp.jobs.rescore import record_rescore
    from webapp.jobs.runner import run_job
    from webapp.model_store import models

    context = mp.get_context("spawn")
    ready, stop, results = context.Event(), context.Event(), context.Queue()
    recorder = context.Process(target=_record, args=(url, ready, stop, results))
    recorder.start()
    ready.wait(120)
    with app.app_context():
        job = record_rescore(db.session, str(models().credit.version), "bench")
        db.session.commit()
        job_id = job.id
    cpu, started = _cpu(), time.perf_counter()
    run_job(app, job_id, KINDS)
    wall, cpu = time.perf_counter() - started, _cpu() - cpu
    stop.set()
    recorded = results.get(timeout=120)
    recorder.join(30)
    with app.app_context():
        job = db.session.get(Job, job_id)
        outcome = {"status": job.status, "done": job.done, "message": job.message,
                   "wall": wall, "cpu": cpu}
    return outcome, recorded


def _baseline(app, sample: int) -> float:
    """Seconds per client through the client page's path (decode + explain)."""
    from sqlalchemy import select

    from webapp.clients.models import Client
    from webapp.clients.storage import decode_record
    from webapp.extensions import db
    from webapp.model_store import models

    with app.app_context():
        ids = db.session.scalars(select(Client.sk_id_curr)).all()
        chosen = random.Random(0).sample(list(ids), min(sample, len(ids)))
        blobs = [db.session.get(Client, sk_id).raw_record for sk_id in chosen]
        model = models().credit
        started = time.perf_counter()
        for blob in blobs:
            model.explain(decode_record(blob))
        return (time.perf_counter() - started) / len(blobs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=300_000)
    parser.add_argument("--processes", default="1,2")
    parser.add_argument("--baseline-sample", type=int, default=2000)
    parser.add_argument("--postgresql-url", default=None)
    parser.add_argument("--chunk", type=int, default=None,
                        help="clients per transaction (default: the job's RESCORE_CHUNK)")
    args = parser.parse_args()
    if args.chunk:
        from webapp.jobs import rescore

        rescore.RESCORE_CHUNK = args.chunk
    os.environ.setdefault("PAD_ENV", "development")
    BENCH_DIR.mkdir(exist_ok=True)
    drop = None
    if args.postgresql_url:
        from db_concurrency import _postgresql_database

        url, drop = _postgresql_database(args.postgresql_url)
        build_database(args.clients, BENCH_DIR / "unused", url=url)
    else:
        db_path = build_database(args.clients, BENCH_DIR / f"portal-{args.clients}.sqlite3")
        url = f"sqlite:///{db_path}"
    try:
        _measure(args, url)
    finally:
        if drop:
            drop()


def _measure(args, url: str) -> None:
    """The baseline, then the job once per number of scoring processes."""
    from webapp import create_app
    from webapp.jobs import rescore

    print(f"load average before: {os.getloadavg()[0]:.2f} ({os.cpu_count()} cores); "
          f"{rescore.RESCORE_CHUNK} clients per transaction")
    per_client = _baseline(create_app({"SQLALCHEMY_DATABASE_URI": url,
                                       "PAD_LOAD_VISION": False}), args.baseline_sample)
    print(f"baseline, one explain() per client ({args.baseline_sample} sampled): "
          f"{per_client * 1000:.2f} ms per client -> {per_client * args.clients:.0f} s for "
          f"{args.clients} clients")
    for processes in [int(p) for p in args.processes.split(",") if p]:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "PAD_LOAD_VISION": False,
                          "PAD_RESCORE_PROCESSES": processes})
        stale = _mark_stale(app)
        outcome, recorded = _run(app, url)
        served = [seconds for seconds, refused in recorded if not refused]
        refused = sum(1 for _, r in recorded if r)
        print(f"re-scoring job, {processes} scoring process(es): {outcome['done']} of {stale} "
              f"clients in {outcome['wall']:.1f} s wall, {outcome['cpu']:.1f} s CPU "
              f"({outcome['done'] / outcome['wall']:.0f} clients/s; "
              f"{per_client * outcome['done'] / outcome['wall']:.0f}x the baseline), "
              f"status {outcome['status']}")
        print(f"  decision records written meanwhile: {len(served)} ok, {refused} refused | "
              f"{percentiles(served) if served else '-'}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
