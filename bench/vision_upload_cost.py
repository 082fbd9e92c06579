"""What one photo costs a worker: peak memory and time to decode it into the models' input,
for the worst files the app accepts (and the 6300×6300 PNG of the hardening issue), with
the decoder the app used before in the same run as the baseline; then a worker's memory
after 100 uploads of the worst file.

Each measure runs in a fresh process (peak RSS, ``VmHWM``, is per process), so the figures
do not depend on what ran before. The models' forward pass is left out: it costs the same
whatever the upload (a 224 px input).

    .venv/bin/python bench/vision_upload_cost.py [--uploads 100]
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ml.serving.vision import preprocess_image  # noqa: E402
from webapp.vision.memory import release_freed_memory  # noqa: E402
from webapp.vision.photo_input import MAX_BYTES, PhotoError, read_photo  # noqa: E402

CASES = ("jpeg_40mp", "png_16mp_rgba", "png_6300_issue")
THREADS = 4
CONCURRENCY = 2  # PAD_VISION_CONCURRENCY's default


def _status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    return 0


def make_file(case: str) -> bytes:
    """The worst file of each kind the app accepts (within the 10 MB byte limit)."""
    rng = np.random.default_rng(0)
    if case == "jpeg_40mp":  # 7740 x 5160 at the 40 MP header limit, textured
        width, height = 7740, 5160
        x = np.linspace(0, 255, width, dtype=np.float32)
        pixels = (x[None, :, None] + rng.normal(0, 6, (height, 1, 3))).clip(0, 255)
        image = Image.fromarray(np.broadcast_to(pixels, (height, width, 3)).astype(np.uint8))
        fmt, options = "JPEG", {"quality": 80}
    elif case == "png_16mp_rgba":  # at the PNG/WebP ceiling, with an alpha channel
        width, height = 4896, 3264
        image = Image.new("RGBA", (width, height), (255, 255, 255, 255))
        image.paste((150, 40, 30, 128), (1200, 800, 3700, 2400))
        fmt, options = "PNG", {}
    else:  # the 38 kB file: 6300 x 6300 flat grey
        image = Image.new("L", (6300, 6300), 200)
        fmt, options = "PNG", {"optimize": True}
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    data = buffer.getvalue()
    assert len(data) <= MAX_BYTES, f"{case}: {len(data)} bytes over the upload limit"
    return data


def decode_before(data: bytes) -> np.ndarray:
    """The decoder before the hardening: full decode, orientation, colours, then resize."""
    image = Image.open(io.BytesIO(data))
    image.load()
    upright = ImageOps.exif_transpose(image) or image
    return preprocess_image(upright.convert("RGB"))


def decode_now(data: bytes) -> np.ndarray | str:
    """The app's decoder (``read_photo``) and the models' preprocessing."""
    try:
        return preprocess_image(read_photo(data).image)
    except PhotoError as refused:
        return f"refused ({refused.reason})"


def child(path: Path, decoder: str, uploads: int) -> dict:
    data = path.read_bytes()
    case = path.stem
    decode = decode_now if decoder == "now" else decode_before
    release_freed_memory()
    base, peak_before = _status("VmRSS"), _status("VmHWM")
    seconds: list[float] = []
    outcomes: list[str] = []

    slots = threading.BoundedSemaphore(CONCURRENCY if decoder == "now" else THREADS)

    def upload(_index: int) -> None:
        started = time.perf_counter()
        with slots:  # the route's PAD_VISION_CONCURRENCY slots (none before)
            result = decode(data)
        seconds.append(time.perf_counter() - started)
        outcomes.append(result if isinstance(result, str) else "accepted")
        del result
        if decoder == "now":
            release_freed_memory()  # what the route does after each photo request

    # Four threads, as in a gunicorn worker: each has its own allocator arena.
    with ThreadPoolExecutor(min(THREADS, uploads)) as pool:
        list(pool.map(upload, range(uploads)))
    outcome = outcomes[-1]
    return {"case": case, "decoder": decoder, "bytes": len(data), "outcome": outcome,
            "peak_mb": (max(_status("VmHWM"), peak_before) - base) / 2**20,
            "after_mb": (_status("VmRSS") - base) / 2**20,
            "median_s": float(np.median(seconds)), "max_s": max(seconds)}


def run(path: Path, decoder: str, uploads: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", str(path), decoder,
                          str(uploads)], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=100)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        path, decoder, uploads = args.child
        print(json.dumps(child(Path(path), decoder, int(uploads))))
        return
    folder = Path(tempfile.mkdtemp(prefix="pad-bench-"))
    files = {}
    for case in CASES:
        files[case] = folder / f"{case}.bin"
        files[case].write_bytes(make_file(case))
    print("one upload: peak memory above the idle worker, and time to the models' input")
    print(f"{'file':<16}{'kB':>8}  {'decoder':<8}{'outcome':<34}{'peak MB':>9}{'time s':>8}")
    for case in CASES:
        for decoder in ("before", "now"):
            r = run(files[case], decoder, 1)
            print(f"{case:<16}{r['bytes'] / 1024:>8.0f}  {decoder:<8}{r['outcome']:<34}"
                  f"{r['peak_mb']:>9.0f}{r['max_s']:>8.2f}")
    print(f"\n{args.uploads} uploads of the worst accepted file in one worker, {THREADS} "
          "threads, at most 2 decoding at once now (the route's slots): memory held afterwards, "
          "peak, median time from arrival to the models' input")
    for case in ("jpeg_40mp", "png_16mp_rgba"):
        for decoder in ("before", "now"):
            r = run(files[case], decoder, args.uploads)
            print(f"{case:<16}{decoder:<8} held {r['after_mb']:>6.0f} MB  peak "
                  f"{r['peak_mb']:>6.0f} MB  median {r['median_s']:.2f} s")
    for path in files.values():
        path.unlink()
    folder.rmdir()


if __name__ == "__main__":
    main()
