"""Pages with charts in a real Chromium: time from navigation until every chart is drawn, first
and repeat visit, and the bytes transferred, against the former plotly.js asset in the same run.

Starts gunicorn twice on loopback with the same database and models: the baseline serves the
whole plotly.js of the ``plotly`` package, uncompressed (``PAD_PLOTLY_BUNDLE=full``, the asset
before issue 11); the current one serves the portal's partial bundle, gzip-compressed under a
content-hashed URL cached for a year. For each page, ``--runs`` first visits (a fresh browser
profile holding only the session cookie: nothing cached, nothing compiled) and as many repeat
visits (same profile) are timed:

- ``drawn``: from the start of navigation until every chart container of the page holds a
  drawn chart (measured in the page: ``performance.now()`` at the first check that sees them
  all drawn; checks every 10 ms);
- for the client page, ``all sections``: the page is scrolled to the bottom as soon as it
  loads, and the time runs until every lazily loaded section is in and its charts drawn;
- ``kB``: bytes received for the visit (compressed sizes, headers included), from Chromium's
  network events.

Each is measured on loopback and again on an emulated 10 Mbit/s branch-office line (20 ms of
latency). Medians are printed.

Usage: ``python bench/page_load.py [--clients 2000] [--runs 3] [--port 8021]``. Needs
Debian's chromium (``/usr/bin/chromium``) and the trained models in ``artifacts/``.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # this checkout's webapp, whatever the editable install says
sys.path.insert(0, str(Path(__file__).resolve().parent))
from portal_common import BENCH_DIR, build_database  # noqa: E402

EMAIL, PASSWORD = "bench-pages@example.com", "bench pages password 11"
BRANCH_LINE = {"offline": False, "latency": 20, "downloadThroughput": 10e6 / 8,
               "uploadThroughput": 10e6 / 8}
DRAWN_JS = """() => { const boxes = document.querySelectorAll('[data-chart]');
  const busy = document.querySelectorAll('[aria-busy="true"]').length;
  if (!boxes.length || busy && window.__padWantAll) return null;
  for (const box of boxes) { if (!box.querySelector('svg.main-svg')) return null; }
  return performance.now(); }"""


def _serve(port: int, env: dict[str, str]) -> subprocess.Popen:
    command = [str(REPO / ".venv/bin/gunicorn"), "--workers", "2", "--bind",
               f"127.0.0.1:{port}", "wsgi:app"]
    server = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("gunicorn did not start")


def _stop(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=30)


def _visit(page, url: str, want_all: bool, cdp) -> tuple[float, float]:
    """Navigate to ``url``; ``(milliseconds until drawn, kB received)``."""
    received = []

    def count(event) -> None:
        received.append(event["encodedDataLength"])

    cdp.on("Network.loadingFinished", count)
    page.goto(url, wait_until="commit")
    deadline = time.monotonic() + 60
    drawn = None
    while drawn is None:
        try:
            if want_all:
                page.evaluate("window.__padWantAll = true; "
                              "window.scrollTo(0, document.body.scrollHeight)")
            drawn = page.evaluate(DRAWN_JS)
        except Exception:  # noqa: BLE001 (the document is being replaced: try again)
            drawn = None
        if time.monotonic() > deadline:
            raise SystemExit(f"charts never all drawn on {url}")
        if drawn is None:
            page.wait_for_timeout(10)
    page.wait_for_load_state("networkidle")
    cdp.remove_listener("Network.loadingFinished", count)
    return drawn, sum(received) / 1024


def _sign_in(browser, base: str) -> dict:
    """The cookies of a signed-in advisor (each measured profile starts from them)."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{base}/login")
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_url(f"{base}/")
    state = context.storage_state()
    context.close()
    return state


def _measure(browser, base: str, pages: list[tuple[str, str, bool]], runs: int,
             line: dict | None) -> dict[tuple[str, str], list[tuple[float, float]]]:
    """Each page's first visit in a fresh browser profile (nothing cached, nothing compiled),
    then its repeat visit in the same profile; ``runs`` times."""
    results: dict[tuple[str, str], list[tuple[float, float]]] = {}
    signed_in = _sign_in(browser, base)  # once: the login form is rate-limited
    for _ in range(runs):
        for name, path, want_all in pages:
            context = browser.new_context(viewport={"width": 1366, "height": 900},
                                          storage_state=signed_in)
            page = context.new_page()
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            if line:
                cdp.send("Network.emulateNetworkConditions", line)
            for visit in ("first", "repeat"):
                results.setdefault((name, visit), []).append(
                    _visit(page, base + path, want_all, cdp))
            context.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--port", type=int, default=8021)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    BENCH_DIR.mkdir(exist_ok=True)
    db_path = BENCH_DIR / f"pages-{args.clients}.sqlite3"
    build_database(args.clients, db_path)
    env = {**os.environ, "PAD_ENV": "development", "DATABASE_URL": f"sqlite:///{db_path}",
           "FLASK_APP": "wsgi:app", "PAD_RATELIMIT_STORAGE_URI": "memory://"}
    subprocess.run([str(REPO / ".venv/bin/flask"), "users", "create", EMAIL, "--role",
                    "advisor", "--password-stdin"], cwd=REPO, env=env, input=PASSWORD + "\n",
                   text=True, capture_output=True)
    import sqlite3

    with sqlite3.connect(db_path) as connection:
        sk_id = connection.execute("SELECT MIN(sk_id_curr) FROM clients").fetchone()[0]
    pages = [("client", f"/clients/{sk_id}", False),
             ("client, all sections", f"/clients/{sk_id}", True),
             ("section page", f"/clients/{sk_id}/sections/population", False),
             ("model", "/modele", False),
             ("study", "/image/etude", False)]
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; "
          f"{args.runs} runs; medians", flush=True)
    table = {}
    with sync_playwright() as playwright, tempfile.TemporaryDirectory():
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                             args=["--no-sandbox", "--disable-gpu"])
        for label, bundle in (("baseline (full plotly.js, uncompressed)", "full"),
                              ("partial bundle, gzip, immutable", "partial")):
            server = _serve(args.port, {**env, "PAD_PLOTLY_BUNDLE": bundle})
            try:
                for line_name, line in (("loopback", None), ("10 Mbit/s", BRANCH_LINE)):
                    table[(label, line_name)] = _measure(browser, f"http://127.0.0.1:{args.port}",
                                                         pages, args.runs, line)
            finally:
                _stop(server)
        browser.close()
    for (label, line_name), results in table.items():
        print(f"\n{label} — {line_name}")
        print(f"  {'page':22} {'visit':7} {'drawn (ms)':>11} {'kB':>8}")
        for (name, visit), samples in results.items():
            ms = statistics.median(s[0] for s in samples)
            kb = statistics.median(s[1] for s in samples)
            print(f"  {name:22} {visit:7} {ms:11.0f} {kb:8.0f}")
    print(f"\nload average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
