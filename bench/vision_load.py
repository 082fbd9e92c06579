"""Photos per second through the image upload endpoints, against gunicorn on loopback.

Starts gunicorn (``--workers 2``, one per core, one thread each: a classification is CPU
bound) with the real vision artifacts, then ``--clients`` simulated visitors post real test
photos (``split.json``) for ``--seconds`` per phase:

1. the image page as a browser with JavaScript uses it: ``POST /image`` (htmx partial: both
   predictions, the ViT's rollout and the EfficientNet's CAM overlays), then, as the partial's
   placeholders do, both ``POST /image/occlusion`` requests at once (each model's occlusion
   overlay, the photo posted back as the page shows it). Reports the time to the first
   result (the predictions on screen) and the time until both occlusion overlays are in;
2. the same page without JavaScript: a plain form post that computes everything at once;
3. ``POST /api/v1/vision/classify`` (JSON, no saliency).

Prints photos per second, latency percentiles, errors, and each worker's resident memory.

Usage: ``python bench/vision_load.py [--workers 2] [--clients 2] [--seconds 60]
[--threads-per-worker 1]``. The rate limits are lifted for the run
(``PAD_VISION_RATE_LIMIT``, ``PAD_VISION_OVERLAY_RATE_LIMIT``).
"""

from __future__ import annotations

import argparse
import html
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from portal_common import child_pids, percentiles, rss_mb  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from ml.config import vision_artifacts_dir, vision_data_dir  # noqa: E402


def _multipart(fields: dict[str, str], photo: bytes, name: str) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
             .encode() for k, v in fields.items()]
    parts.append((f'--{boundary}\r\nContent-Disposition: form-data; name="photo"; '
                  f'filename="{name}"\r\nContent-Type: image/jpeg\r\n\r\n').encode()
                 + photo + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _post(base: str, path: str, body: bytes, headers: dict[str, str]) -> str:
    """POST and return the body; any answer but 200 raises."""
    request = urllib.request.Request(base + path, data=body, headers=headers)
    with urllib.request.urlopen(request, timeout=120) as response:
        if response.status != 200:
            raise RuntimeError(f"{path}: HTTP {response.status}")
        return response.read().decode()


#: What each occlusion placeholder of a result partial posts (as in the web tests).
_PENDING = re.compile(r'hx-post="(?P<url>[^"]+)" hx-trigger="load"[^>]*'
                      r"hx-vals='(?P<vals>[^']+)'")
_PHOTO = re.compile(r'id="vision-photo" name="photo" value="([^"]+)"')


def _follow_ups(partial: str) -> list[tuple[str, bytes]]:
    """``(path, urlencoded body)`` of each occlusion request the partial makes."""
    photo = html.unescape(_PHOTO.search(partial).group(1))
    return [(html.unescape(m["url"]),
             urllib.parse.urlencode({**json.loads(html.unescape(m["vals"])),
                                     "photo": photo}).encode())
            for m in _PENDING.finditer(partial)]


Visit = Callable[[str, bytes], dict[str, float]]


def progressive_visit(base: str, headers: dict[str, str]) -> Visit:
    """A browser with JavaScript: the result partial, then both occlusion overlays at once."""
    overlays = ThreadPoolExecutor(max_workers=8)  # a browser's parallel requests

    def visit(name: str, photo: bytes) -> dict[str, float]:
        started = time.perf_counter()
        body, content_type = _multipart({}, photo, name)
        partial = _post(base, "/image", body, {**headers, "Content-Type": content_type})
        first = time.perf_counter() - started
        form = {**headers, "Content-Type": "application/x-www-form-urlencoded"}
        requests = _follow_ups(partial)
        if len(requests) != 2:
            raise RuntimeError(f"{len(requests)} occlusion placeholders, expected 2")
        for done in [overlays.submit(_post, base, path, data, form)
                     for path, data in requests]:
            done.result()
        return {"first result (predictions)": first,
                "both occlusion overlays in": time.perf_counter() - started}

    return visit


def single_visit(base: str, path: str, headers: dict[str, str], key: str) -> Visit:
    """One request per photo: the plain form post, or the JSON API."""

    def visit(name: str, photo: bytes) -> dict[str, float]:
        started = time.perf_counter()
        body, content_type = _multipart({}, photo, name)
        _post(base, path, body, {**headers, "Content-Type": content_type})
        return {key: time.perf_counter() - started}

    return visit


def _run_phase(label: str, visit: Visit, photos: list[tuple[str, bytes]], clients: int,
               seconds: int) -> None:
    timings: dict[str, list[float]] = {}
    errors: list[str] = []
    lock = threading.Lock()
    deadline = time.time() + seconds

    def visitor(seed: int) -> None:
        rng = random.Random(seed)
        while time.time() < deadline:
            try:
                measured = visit(*rng.choice(photos))
            except Exception as exc:  # noqa: BLE001 - every failure counts
                with lock:
                    errors.append(str(exc))
                continue
            with lock:
                for key, value in measured.items():
                    timings.setdefault(key, []).append(value)

    started = time.perf_counter()
    threads = [threading.Thread(target=visitor, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    done = len(next(iter(timings.values()), []))
    print(f"{label}: {done} photos in {wall:.0f} s = {done / wall:.2f} photos/s, "
          f"{len(errors)} errors")
    for key, values in timings.items():
        print(f"  {key}: {percentiles(values)}")
    if errors:
        print("  first errors:", errors[:3])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads-per-worker", type=int, default=1,
                        help="onnxruntime threads per worker (PAD_VISION_THREADS)")
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--port", type=int, default=8766)
    args = parser.parse_args()

    names = json.loads((vision_artifacts_dir() / "split.json").read_text())["test"]
    photos = [(n, (vision_data_dir() / "images" / n).read_bytes()) for n in names[:40]]
    env = dict(os.environ, PAD_ENV=os.environ.get("PAD_ENV", "development"),
               PAD_VISION_RATE_LIMIT="100000 per minute",
               PAD_VISION_OVERLAY_RATE_LIMIT="100000 per minute",
               PAD_VISION_THREADS=str(args.threads_per_worker))
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", str(args.workers), "--threads", "1",
         "--timeout", "120", "--bind", f"127.0.0.1:{args.port}", "--log-level", "warning",
         "wsgi:app"], cwd=REPO, env=env)
    base = f"http://127.0.0.1:{args.port}"
    try:
        for _ in range(240):
            try:
                health = json.loads(urllib.request.urlopen(base + "/healthz", timeout=10).read())
                break
            except OSError:  # not up yet
                time.sleep(0.5)
        print("vision models:", json.dumps(health.get("models", {}).get("vision", health))[:200])
        workers = child_pids(server.pid)
        print("idle workers:", ", ".join(f"{rss_mb(p):.0f} MB" for p in workers))
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        page = opener.open(base + "/image").read().decode()
        csrf = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
        cookie = opener.handlers  # the session cookie travels in the jar below
        jar = next(h.cookiejar for h in cookie if hasattr(h, "cookiejar"))
        headers = {"Cookie": "; ".join(f"{c.name}={c.value}" for c in jar),
                   "X-CSRFToken": csrf, "HX-Request": "true"}
        print(f"gunicorn {args.workers} workers x 1 thread, onnxruntime "
              f"{args.threads_per_worker} thread(s) each, {args.clients} concurrent clients, "
              f"{os.cpu_count()} cores")
        _run_phase("with JavaScript: POST /image (htmx), then both POST /image/occlusion",
                   progressive_visit(base, headers), photos, args.clients, args.seconds)
        plain = {k: v for k, v in headers.items() if k != "HX-Request"}
        _run_phase("without JavaScript: POST /image (every overlay in one page)",
                   single_visit(base, "/image", plain, "whole page"), photos, args.clients,
                   args.seconds)
        _run_phase("POST /api/v1/vision/classify (JSON, no saliency)",
                   single_visit(base, "/api/v1/vision/classify", {}, "JSON answer"), photos,
                   args.clients, args.seconds)
        for pid in child_pids(server.pid):
            print(f"worker {pid}: {rss_mb(pid):.0f} MB resident")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
