"""Photos per second through the image upload endpoints, against gunicorn on loopback.

Starts gunicorn (``--workers 2``, one per core, one thread each: a classification is CPU
bound) with the real vision artifacts, then ``--clients`` simulated visitors post real test
photos (``split.json``) for ``--seconds``, first to ``POST /image`` (htmx partial: both models
**with** saliency: occlusion for both, rollout for the ViT, CAM for the EfficientNet,
overlays drawn), then to ``POST /api/v1/vision/classify`` (JSON, no saliency). Prints
photos per second, latency percentiles per request, errors, and each worker's resident
memory.

Usage: ``python bench/vision_load.py [--workers 2] [--clients 2] [--seconds 60]
[--threads-per-worker 1]``. The rate limit is lifted for the run (``PAD_VISION_RATE_LIMIT``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
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


def _run_phase(label: str, base: str, path: str, photos: list[tuple[str, bytes]],
               headers: dict[str, str], fields: dict[str, str], clients: int,
               seconds: int) -> None:
    timings: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    deadline = time.time() + seconds

    def visitor(seed: int) -> None:
        rng = random.Random(seed)
        while time.time() < deadline:
            name, photo = rng.choice(photos)
            body, content_type = _multipart(fields, photo, name)
            request = urllib.request.Request(base + path, data=body,
                                             headers={**headers, "Content-Type": content_type})
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(request, timeout=120) as response:
                    response.read()
                    ok = response.status == 200
            except Exception as exc:  # noqa: BLE001 - every failure counts
                ok = False
                with lock:
                    errors.append(str(exc))
            elapsed = time.perf_counter() - started
            if ok:
                with lock:
                    timings.append(elapsed)

    started = time.perf_counter()
    threads = [threading.Thread(target=visitor, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    print(f"{label}: {len(timings)} photos in {wall:.0f} s = {len(timings) / wall:.2f} photos/s, "
          f"{len(errors)} errors")
    if timings:
        print(f"  latency per request: {percentiles(timings)}")
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
        _run_phase("POST /image (both models + saliency + overlays)", base, "/image", photos,
                   headers, {}, args.clients, args.seconds)
        _run_phase("POST /api/v1/vision/classify (JSON, no saliency)", base,
                   "/api/v1/vision/classify", photos, {}, {}, args.clients, args.seconds)
        for pid in child_pids(server.pid):
            print(f"worker {pid}: {rss_mb(pid):.0f} MB resident")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
