"""32 simulated advisors against gunicorn on loopback: errors, latency, memory per worker.

Starts gunicorn (``--workers 2``, one per core) on the benchmark database built by
``portal_latency.py`` (or builds it), signs in once, then each simulated advisor loops for
``--seconds``: open a random client's partials (identity, decision, reasons, population,
neighbours, recourse) and post a what-if. Prints the error count, latency percentiles per
endpoint and overall, and the resident memory of each worker.

Usage: ``python bench/portal_load.py [--clients 300000] [--users 32] [--seconds 60]
[--think 2] [--workers 2] [--threads 4]``. ``--workers 1 --threads 8`` is what ``make run``
starts (one process: the in-memory login limit counts every attempt). ``--think`` is the mean
pause after each client, as an advisor reads the page; without it the run measures saturation
(latency = advisors / throughput).
Target (issue 3): 0 errors, p95 ≤ 150 ms.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from pathlib import Path

from portal_common import BENCH_DIR, build_database, child_pids, percentiles, rss_mb

REPO = Path(__file__).resolve().parent.parent
PARTIALS = ("identity", "decision", "reasons", "population", "neighbours", "recourse")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=300_000)
    parser.add_argument("--users", type=int, default=32)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--think", type=float, default=0.0,
                        help="mean pause (s, exponential) after each client an advisor opens; "
                             "0 = no pause: a saturation test, not a human pace")
    args = parser.parse_args()
    BENCH_DIR.mkdir(exist_ok=True)
    db_path = build_database(args.clients, BENCH_DIR / f"portal-{args.clients}.sqlite3")

    os.environ["DATABASE_URL"] = f"sqlite:///{db_path}"
    from sqlalchemy import select

    from webapp import create_app
    from webapp.accounts.models import User
    from webapp.accounts.service import create_user
    from webapp.clients.models import Client
    from webapp.extensions import db

    app = create_app()
    with app.app_context():
        if db.session.scalar(select(User).where(User.email == "bench@example.com")) is None:
            create_user(db.session, "bench@example.com", "bench-password-123", "advisor")
            db.session.commit()
        ids = db.session.scalars(select(Client.sk_id_curr)).all()

    env = dict(os.environ, PAD_ENV="development", DATABASE_URL=f"sqlite:///{db_path}")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", str(args.workers), "--threads",
         str(args.threads),
         "--bind", f"127.0.0.1:{args.port}", "--log-level", "warning", "wsgi:app"],
        cwd=REPO, env=env)
    base = f"http://127.0.0.1:{args.port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=10)
                break
            except OSError:  # not up yet (URLError, refused, timed out)
                time.sleep(0.5)
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        page = opener.open(base + "/login").read().decode()
        token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
        opener.open(base + "/login", urllib.parse.urlencode(
            {"email": "bench@example.com", "password": "bench-password-123",
             "csrf_token": token}).encode())
        home = opener.open(base + "/").read().decode()
        csrf = re.search(r'"X-CSRFToken": "([^"]+)"', home).group(1)
        cookie = "; ".join(f"{c.name}={c.value}" for c in jar)

        timings: dict[str, list[float]] = defaultdict(list)
        errors: list[str] = []
        lock = threading.Lock()
        deadline = time.time() + args.seconds

        def advisor(seed: int) -> None:
            rng = random.Random(seed)
            headers = {"Cookie": cookie, "HX-Request": "true", "X-CSRFToken": csrf}
            while time.time() < deadline:
                sk_id = rng.choice(ids)
                calls = [(name, f"/clients/{sk_id}/sections/{name}", None) for name in PARTIALS]
                form = {"AMT_CREDIT": str(rng.randint(50, 200) * 5000), "AMT_ANNUITY": "25000",
                        "TERM": "20", "AMT_GOODS_PRICE": "450000",
                        "AMT_INCOME_TOTAL": "150000"}
                calls.append(("what-if", f"/clients/{sk_id}/what-if",
                              urllib.parse.urlencode(form).encode()))
                for name, path, body in calls:
                    request = urllib.request.Request(base + path, data=body, headers=headers)
                    started = time.perf_counter()
                    try:
                        with urllib.request.urlopen(request, timeout=30) as response:
                            response.read()
                            ok = response.status == 200
                    except Exception as exc:  # noqa: BLE001 - every failure counts
                        ok, name = False, f"{name}: {exc}"
                    elapsed = time.perf_counter() - started
                    with lock:
                        if ok:
                            timings[name].append(elapsed)
                        else:
                            errors.append(name)
                if args.think > 0:
                    time.sleep(min(rng.expovariate(1 / args.think), 4 * args.think))

        threads = [threading.Thread(target=advisor, args=(i,)) for i in range(args.users)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        workers = child_pids(server.pid)
        total = [t for values in timings.values() for t in values]
        print(f"{args.users} advisors, {args.seconds} s, think time {args.think} s, gunicorn "
              f"{args.workers} workers x {args.threads} threads, {len(ids)} clients "
              f"(load average {os.getloadavg()[0]:.2f})")
        print(f"requests: {len(total)} ok, {len(errors)} errors "
              f"({len(total) / args.seconds:.0f} req/s)")
        for name, values in sorted(timings.items()):
            print(f"  {name:11s} {percentiles(values)}")
        print(f"  {'all':11s} {percentiles(total)}")
        for pid in workers:
            print(f"worker {pid}: {rss_mb(pid):.0f} MB resident")
        if errors:
            print("first errors:", errors[:5])
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
