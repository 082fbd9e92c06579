"""Scale-out: advisors browsing while an import of 48,744 applications and a portfolio
re-scoring run, on the embedded default and on two web nodes with PostgreSQL and Redis.

Setups, in the same run:

- ``embedded``: what ``make run`` starts (``scripts/serve.py``): one gunicorn process with
  threads, SQLite in WAL mode, the queue in a SQLite file, one job worker.
- ``scaled`` (with ``--postgresql-url`` and ``--redis-url``, e.g. from ``bash
  scripts/services.sh url``): two gunicorn "nodes" on two ports, PostgreSQL and Redis on
  loopback (queue and login limits), one job worker.

For each: a fresh database with ``--clients`` real applications, all marked as scored by
another model; ``--users`` advisors (threads, spread over the nodes) open a random client's
partials and post a what-if, pausing ``--think`` seconds between clients. After ``--warmup``
seconds (the baseline, measured in the same run), an admin uploads the 48,744-row file on the
first node (preview), confirms it on the last one, and starts the re-scoring there; every
node is asked for both jobs' progress each second.

Figures: the advisors' requests (ok, errors, p50/p95/max, per second) before and during the
jobs; each job's duration; the progress each node showed (is it increasing?).

Usage: ``python bench/scale_out.py [--clients 48744] [--users 32] [--think 1]
[--postgresql-url URL --redis-url URL] [--setups embedded,scaled]``.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's webapp

from db_concurrency import _postgresql_database  # noqa: E402
from portal_common import BENCH_DIR, percentiles  # noqa: E402

from ml.config import credit_data_dir  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
PARTIALS = ("identity", "decision", "reasons", "population", "neighbours", "recourse")
PASSWORD = "bench-password-123"
IMPORT_FIRST_ID = 20_000_001


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _prepare_database(url: str, clients: int, import_csv: Path) -> list[int]:
    """Schema, users, ``clients`` applications scored and marked stale; the import file."""
    import flask_migrate
    from sqlalchemy import select

    from webapp import create_app
    from webapp.accounts.service import create_user
    from webapp.clients.importing import import_applications
    from webapp.clients.models import Client
    from webapp.extensions import db
    from webapp.model_store import models

    source = pd.read_csv(credit_data_dir() / "application_test_sample.csv", low_memory=False)
    copies = []
    while sum(len(c) for c in copies) < clients:
        chunk = source.copy()
        chunk["SK_ID_CURR"] = range(1_000_000 + sum(len(c) for c in copies),
                                    1_000_000 + sum(len(c) for c in copies) + len(chunk))
        copies.append(chunk)
    base = BENCH_DIR / "scale-base.csv"
    pd.concat(copies).iloc[:clients].to_csv(base, index=False)
    imported = source.copy()
    imported["SK_ID_CURR"] = range(IMPORT_FIRST_ID, IMPORT_FIRST_ID + len(imported))
    imported.to_csv(import_csv, index=False)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "PAD_LOAD_VISION": False})
    with app.app_context():
        flask_migrate.upgrade()
        for email, role in (("admin@bench.example", "admin"), ("advisor@bench.example",
                                                                 "advisor")):
            create_user(db.session, email, PASSWORD, role)
        import_applications(db.session, base, models().credit)
        db.session.commit()
        ids = list(db.session.scalars(select(Client.sk_id_curr)))
        db.engine.dispose()
    base.unlink()
    return ids


def _mark_stale(url: str) -> None:
    from sqlalchemy import update

    from webapp import create_app
    from webapp.clients.models import Client
    from webapp.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "PAD_LOAD_VISION": False})
    with app.app_context():
        db.session.execute(update(Client).values(model_version="bench-previous-model")
                           .execution_options(synchronize_session=False))
        db.session.commit()
        db.engine.dispose()


def _wait_automatic_rescoring(url: str, timeout: float = 300) -> None:
    """The worker's first housekeeping scores the portfolio for the served model: wait."""
    from sqlalchemy import select

    from webapp import create_app
    from webapp.extensions import db
    from webapp.jobs.models import Job

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "PAD_LOAD_VISION": False})
    deadline = time.monotonic() + timeout
    with app.app_context():
        while time.monotonic() < deadline:
            db.session.expire_all()
            job = db.session.scalar(select(Job).where(Job.kind == "rescore"))
            db.session.commit()
            if job is not None and job.status in ("done", "failed"):
                break
            time.sleep(0.5)
        db.engine.dispose()


class Browser:
    """A signed-in session (cookies valid on every node: one SECRET_KEY)."""

    def __init__(self, base: str, email: str):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        page = self.opener.open(base + "/login", timeout=60).read().decode()
        token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page)
        self.opener.open(base + "/login", urllib.parse.urlencode(
            {"email": email, "password": PASSWORD, "csrf_token": token.group(1)}).encode(),
            timeout=60)
        home = self.opener.open(base + "/", timeout=60).read().decode()
        self.csrf = re.search(r'"X-CSRFToken": "([^"]+)"', home).group(1)
        self.cookie = "; ".join(f"{c.name}={c.value}" for c in self.jar)

    def request(self, url: str, data: bytes | None = None, headers: dict | None = None,
                timeout: float = 60) -> tuple[int, str, str]:
        """(status, body, final URL); redirects followed."""
        request = urllib.request.Request(url, data=data, headers={
            "Cookie": self.cookie, "X-CSRFToken": self.csrf, **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, response.read().decode(), response.geturl()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace"), url


def _multipart(path: Path, csrf: str) -> tuple[bytes, str]:
    boundary = secrets.token_hex(12)
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n"
            f"{csrf}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"{path.name}\"\r\nContent-Type: text/csv\r\n\r\n").encode()
    return head + path.read_bytes() + f"\r\n--{boundary}--\r\n".encode(), \
        f"multipart/form-data; boundary={boundary}"


def _advisors(nodes: list[str], browser: Browser, ids: list[int], users: int, think: float,
              stop: threading.Event, results: list) -> list[threading.Thread]:
    lock = threading.Lock()

    def advisor(index: int) -> None:
        rng = random.Random(index)
        base = nodes[index % len(nodes)]
        headers = {"HX-Request": "true"}
        while not stop.is_set():
            sk_id = rng.choice(ids)
            calls = [(f"/clients/{sk_id}/sections/{name}", None) for name in PARTIALS]
            calls.append((f"/clients/{sk_id}/what-if", urllib.parse.urlencode(
                {"AMT_CREDIT": str(rng.randint(50, 200) * 5000), "AMT_ANNUITY": "25000",
                 "TERM": "20", "AMT_GOODS_PRICE": "450000",
                 "AMT_INCOME_TOTAL": "150000"}).encode()))
            for path, body in calls:
                started = time.time()
                try:
                    status, _, _ = browser.request(base + path, body, headers, timeout=30)
                    error = None if status == 200 else f"HTTP {status}"
                except Exception as exc:  # noqa: BLE001 - every failure counts
                    error = type(exc).__name__
                with lock:
                    results.append((started, time.time() - started, error))
            if think > 0:
                stop.wait(min(rng.expovariate(1 / think), 4 * think))

    threads = [threading.Thread(target=advisor, args=(i,), daemon=True) for i in range(users)]
    for thread in threads:
        thread.start()
    return threads


def _job_state(admin: Browser, base: str, job_id: int) -> tuple[str, int]:
    _, html, _ = admin.request(f"{base}/admin/jobs/{job_id}", headers={"HX-Request": "true"})
    status = re.search(r'data-status="(\w+)"', html)
    value = re.search(r'<progress max="\d+" value="(\d+)"', html)
    done = re.search(r"(\d[\d\s\u202f\xa0]*) (?:dossiers importés|clients, modèle)", html)
    number = value.group(1) if value else (re.sub(r"\D", "", done.group(1)) if done else "0")
    return (status.group(1) if status else "?"), int(number or 0)


def run_setup(name: str, args, url: str, env: dict, nodes_ports: list[int]) -> list[str]:
    """One setup, from a fresh database to its figures."""
    import_csv = BENCH_DIR / "scale-import.csv"
    ids = _prepare_database(url, args.clients, import_csv)
    nodes = [f"http://127.0.0.1:{port}" for port in nodes_ports]
    processes = []
    if name == "embedded":
        processes.append(subprocess.Popen(
            [sys.executable, "scripts/serve.py", "--bind", f"127.0.0.1:{nodes_ports[0]}",
             "--workers", "1", "--threads", str(args.threads)], cwd=REPO, env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    else:
        for port in nodes_ports:
            processes.append(subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "--workers", "1", "--threads",
                 str(args.threads), "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
                 "wsgi:app"], cwd=REPO, env=env))
        processes.append(subprocess.Popen([sys.executable, "-m", "webapp.jobs"], cwd=REPO,
                                          env=env, stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL))
    lines = []
    try:
        for base in nodes:
            for _ in range(240):
                try:
                    urllib.request.urlopen(base + "/healthz", timeout=10)
                    break
                except OSError:
                    time.sleep(0.5)
        _wait_automatic_rescoring(url)
        _mark_stale(url)
        advisor = Browser(nodes[0], "advisor@bench.example")
        admin = Browser(nodes[-1], "admin@bench.example")
        results: list = []
        stop = threading.Event()
        threads = _advisors(nodes, advisor, ids, args.users, args.think, stop, results)
        time.sleep(args.warmup)
        window_start = time.time()
        body, content_type = _multipart(import_csv, admin.csrf)
        started = time.time()
        status, html, _ = admin.request(nodes[0] + "/admin/import", body,
                                        {"Content-Type": content_type}, timeout=300)
        preview = time.time() - started
        token = re.search(r'/admin/import/([0-9a-f]{32})"', html)
        assert status == 200 and token, (status, html[-500:])
        status, _, job_url = admin.request(f"{nodes[-1]}/admin/import/{token.group(1)}",
                                           urllib.parse.urlencode({"csrf_token": admin.csrf})
                                           .encode())
        import_job = int(job_url.rstrip("/").rsplit("/", 1)[1])
        status, _, job_url = admin.request(f"{nodes[-1]}/admin/jobs/rescore",
                                           urllib.parse.urlencode({"csrf_token": admin.csrf})
                                           .encode())
        rescore_job = int(job_url.rstrip("/").rsplit("/", 1)[1])
        seen: dict[tuple[int, str], list[tuple[float, str, int]]] = {}
        ended: dict[int, float] = {}
        deadline = time.time() + args.timeout
        while len(ended) < 2 and time.time() < deadline:
            for job_id in (import_job, rescore_job):
                for base in nodes:
                    state, done = _job_state(admin, base, job_id)
                    seen.setdefault((job_id, base), []).append((time.time(), state, done))
                    if state in ("done", "failed"):
                        ended.setdefault(job_id, time.time())
            time.sleep(1)
        window_end = time.time()
        time.sleep(2)
        stop.set()
        for thread in threads:
            thread.join(60)
        before = [r for r in results if r[0] < window_start]
        during = [r for r in results if window_start <= r[0] <= window_end]
        lines.append(f"== {name}: {len(nodes)} web node(s) x 1 gunicorn process x "
                     f"{args.threads} threads, 1 job worker, {len(ids)} clients, "
                     f"{args.users} advisors (think {args.think} s)")
        for label, rows, seconds in (("before the jobs", before, args.warmup),
                                     ("during the jobs", during, window_end - window_start)):
            ok = [d for _, d, e in rows if e is None]
            errors = [e for _, _, e in rows if e is not None]
            lines.append(f"  advisors {label}: {len(ok)} ok, {len(errors)} errors, "
                         f"{len(ok) / max(seconds, 1e-9):.1f} req/s | "
                         f"{percentiles(ok) if ok else '-'}"
                         + (f" | first errors: {errors[:3]}" if errors else ""))
        lines.append(f"  import preview (48,744 rows, node 1): {preview:.1f} s")
        for label, job_id in (("import", import_job), ("re-scoring", rescore_job)):
            states = seen.get((job_id, nodes[0]), [])
            running = [t for t, s, _ in states if s == "running"]
            first = running[0] if running else window_start
            final = states[-1] if states else (0, "?", 0)
            lines.append(f"  {label} job {job_id}: {final[1]}, {final[2]} rows, ~"
                         f"{ended.get(job_id, window_end) - first:.0f} s running")
            for base in nodes:
                values = [d for _, s, d in seen.get((job_id, base), []) if s == "running"]
                rising = values == sorted(values) and len(set(values)) > 1
                lines.append(f"    progress seen on {base}: {len(values)} polls while running,"
                             f" {len(set(values))} distinct values, "
                             f"{'increasing' if rising else 'NOT increasing'}"
                             f" ({values[:1]} ... {values[-1:]})")
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGINT if name == "embedded" else signal.SIGTERM)
        for process in processes:
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
        import_csv.unlink(missing_ok=True)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=48_744)
    parser.add_argument("--users", type=int, default=32)
    parser.add_argument("--think", type=float, default=1.0)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--warmup", type=float, default=20)
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--setups", default="embedded,scaled")
    parser.add_argument("--postgresql-url", default=None)
    parser.add_argument("--redis-url", default=None)
    args = parser.parse_args()
    os.environ.setdefault("PAD_ENV", "development")
    BENCH_DIR.mkdir(exist_ok=True)
    common = {**os.environ, "PAD_ENV": "development",
              "SECRET_KEY": "bench-secret-the-same-on-every-node"}
    print(f"load average before: {os.getloadavg()[0]:.2f} ({os.cpu_count()} cores)",
          flush=True)
    for name in [s for s in args.setups.split(",") if s]:
        drop = None
        if name == "embedded":
            path = BENCH_DIR / "scale-embedded.sqlite3"
            for leftover in BENCH_DIR.glob("scale-embedded.sqlite3*"):
                leftover.unlink()
            url = f"sqlite:///{path}"
            queue = BENCH_DIR / "scale-queue.sqlite3"
            queue.unlink(missing_ok=True)
            env = {**common, "DATABASE_URL": url, "PAD_QUEUE_FILE": str(queue),
                   "PAD_JOBS_DIR": str(BENCH_DIR / "jobs")}
            ports = [_free_port()]
        else:
            if not (args.postgresql_url and args.redis_url):
                print("scaled: skipped (give --postgresql-url and --redis-url)")
                continue
            url, drop = _postgresql_database(args.postgresql_url)
            redis_base = args.redis_url.rsplit("/", 1)[0]
            env = {**common, "DATABASE_URL": url, "REDIS_URL": args.redis_url,
                   "PAD_QUEUE_NAME": f"pad-bench-{secrets.token_hex(3)}",
                   "RATELIMIT_STORAGE_URI": f"{redis_base}/1",
                   "PAD_JOBS_DIR": str(BENCH_DIR / "jobs")}
            ports = [_free_port(), _free_port()]
        try:
            for line in run_setup(name, args, url, env, ports):
                print(line, flush=True)
        finally:
            if drop:
                drop()
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
