"""What an image evaluation job costs the worker: peak memory and photos per second of the
served models (int8 ViT + EfficientNet, onnxruntime) on real catalogue photos, by batch
size. The baseline is the batch the job uses today (``ml.serving.vision_batch.BATCH_SIZE``),
measured in the same run.

Each batch size runs in a fresh process (peak RSS, ``VmHWM``, is per process, and
onnxruntime's memory arena keeps what the largest batch needed), so the figures do not
depend on what ran before.

    .venv/bin/python bench/vision_eval_memory.py [--photos 96] [--threads 2]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def measure(batch: int, photos: int, threads: int) -> dict:
    """One batch size, in this process: load, preprocess, classify ``photos`` photos."""
    import numpy as np
    from PIL import Image

    from ml import config
    from ml.serving.vision import load_vision_models, preprocess_image

    models = load_vision_models(config.vision_artifacts_dir(), threads=threads,
                                quantized=True)
    loaded = _peak_mb()
    paths = sorted((config.vision_data_dir() / "images").glob("*.jpg"))[:photos]
    pixels = []
    for path in paths:
        with Image.open(path) as image:
            pixels.append(preprocess_image(image))
    started = time.perf_counter()
    for start in range(0, len(pixels), batch):
        chunk = np.stack(pixels[start:start + batch])
        for session in models.sessions.values():
            session.run(["probabilities"], {"image": chunk})
    seconds = time.perf_counter() - started
    return {"batch": batch, "photos": len(pixels), "loaded_mb": round(loaded),
            "peak_mb": round(_peak_mb()), "photos_per_second": round(len(pixels) / seconds, 1)}


def main() -> None:
    """Run each batch size in its own process and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=int, default=96)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.photos, args.threads)))
        return
    from ml.serving.vision_batch import BATCH_SIZE

    print(f"load average at start: {os.getloadavg()[0]:.2f} (2 cores)")
    rows = []
    for batch in sorted({1, 4, 8, BATCH_SIZE}):
        output = subprocess.run([sys.executable, __file__, "--one", str(batch), "--photos",
                                 str(args.photos), "--threads", str(args.threads)],
                                check=True, capture_output=True, text=True).stdout
        rows.append(json.loads(output.strip().splitlines()[-1]))
    baseline = next(r for r in rows if r["batch"] == BATCH_SIZE)
    print(f"{'batch':>5} {'models loaded MB':>17} {'peak MB':>8} {'photos/s':>9} "
          f"{'peak vs now':>12} {'speed vs now':>13}")
    for r in rows:
        mark = "  <- the job's batch today" if r["batch"] == BATCH_SIZE else ""
        print(f"{r['batch']:>5} {r['loaded_mb']:>17} {r['peak_mb']:>8} "
              f"{r['photos_per_second']:>9} {r['peak_mb'] / baseline['peak_mb']:>11.2f}x "
              f"{r['photos_per_second'] / baseline['photos_per_second']:>12.2f}x{mark}")
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
