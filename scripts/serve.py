"""The portal in one command: gunicorn and a job worker, started and stopped together.

``make run`` calls it. It starts ``gunicorn wsgi:app`` and ``python -m webapp.jobs`` (the job
worker: imports, re-scoring, training), each in its own session so that Ctrl-C reaches only
this supervisor, which then stops both in order: SIGTERM to each (gunicorn finishes the
requests in flight; the worker gives its running jobs back, see ``webapp.jobs.worker``),
SIGKILL after ``--grace`` seconds or at a second Ctrl-C. A worker that dies is started again
(after 1, 2, 4 ... up to 30 s); when gunicorn stops, everything stops, with its exit status.

Usage: ``python scripts/serve.py [--bind 127.0.0.1:8000] [--workers 1] [--threads 8]
[--job-threads 2] [--no-worker]``; other gunicorn options after ``--``.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MAX_BACKOFF = 30.0


def _log(message: str) -> None:
    print(f"[serve] {message}", file=sys.stderr, flush=True)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bind", default="127.0.0.1:8000")
    parser.add_argument("--workers", type=int, default=1,
                        help="gunicorn processes (default 1: one process, so that the "
                             "in-memory login limit counts every attempt)")
    parser.add_argument("--threads", type=int, default=8, help="threads per gunicorn process")
    parser.add_argument("--job-threads", type=int, default=None,
                        help="jobs the worker runs at once (default $PAD_WORKER_THREADS, 2)")
    parser.add_argument("--no-worker", action="store_true",
                        help="gunicorn only (workers run elsewhere, e.g. with REDIS_URL)")
    parser.add_argument("--grace", type=float, default=35.0,
                        help="seconds to wait for both to stop before killing them")
    parser.add_argument("--access-log", action="store_true", help="gunicorn's access log")
    parser.add_argument("gunicorn_args", nargs="*", help="more gunicorn options (after --)")
    return parser


def _gunicorn(args: argparse.Namespace) -> list[str]:
    command = [sys.executable, "-m", "gunicorn", "--workers", str(args.workers),
               "--threads", str(args.threads), "--bind", args.bind]
    if args.access_log:
        command += ["--access-logfile", "-"]
    return [*command, *args.gunicorn_args, "wsgi:app"]


def _worker(args: argparse.Namespace) -> list[str]:
    command = [sys.executable, "-m", "webapp.jobs"]
    if args.job_threads:
        command += ["--threads", str(args.job_threads)]
    return command


def _start(command: list[str]) -> subprocess.Popen:
    # A session of its own: the terminal's Ctrl-C reaches the supervisor only.
    return subprocess.Popen(command, cwd=REPO, start_new_session=True)


def _stop(processes: list[subprocess.Popen], grace: float, hurry) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    while any(p.poll() is None for p in processes) and time.monotonic() < deadline \
            and not hurry():
        time.sleep(0.1)
    for process in processes:
        if process.poll() is None:
            _log(f"pid {process.pid} did not stop: killed")
            process.kill()
            process.wait()


def main(argv: list[str] | None = None) -> int:
    """Run until Ctrl-C, SIGTERM or gunicorn's end; returns the exit status."""
    args = _parser().parse_args(argv)
    signals: list[int] = []

    def on_signal(signum: int, frame) -> None:
        signals.append(signum)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    web = _start(_gunicorn(args))
    worker = None if args.no_worker else _start(_worker(args))
    _log(f"gunicorn pid {web.pid} on http://{args.bind}"
         + ("" if worker is None else f", job worker pid {worker.pid}") + "; Ctrl-C stops both")
    backoff, restart_at, worker_since = 1.0, None, time.monotonic()
    status = 0
    while not signals:
        now = time.monotonic()
        if web.poll() is not None:
            status = web.returncode
            _log(f"gunicorn stopped (status {status})")
            break
        if worker is not None and worker.poll() is not None:
            if restart_at is None:
                _log(f"job worker stopped (status {worker.returncode}); restarting in "
                     f"{backoff:.0f} s")
                restart_at = now + backoff
            elif now >= restart_at:
                worker, worker_since, restart_at = _start(_worker(args)), now, None
                _log(f"job worker pid {worker.pid}")
                backoff = min(backoff * 2, MAX_BACKOFF)
        elif now - worker_since > 60:
            backoff = 1.0  # up for a minute: the next failure starts from 1 s again
        time.sleep(0.2)
    if signals:
        _log("stopping gunicorn and the job worker (Ctrl-C again to kill them)")
    first = len(signals)
    _stop([p for p in (web, worker) if p is not None], args.grace,
          hurry=lambda: len(signals) > first)
    return status


if __name__ == "__main__":
    sys.exit(main())
