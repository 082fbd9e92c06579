"""``python -m webapp.jobs [--threads N] [--nice N]``: run a job worker (see ``worker``)."""

from __future__ import annotations

import argparse
import logging


def main(argv: list[str] | None = None) -> None:
    """Build the app without the image models (loaded by the first image evaluation only,
    ``LoadedModels.vision_on_demand``) and run a worker."""
    parser = argparse.ArgumentParser(prog="python -m webapp.jobs",
                                     description="Run a job worker (imports, re-scoring, "
                                                 "training, image evaluations).")
    parser.add_argument("--threads", type=int, default=None,
                        help="jobs run at once (default: $PAD_WORKER_THREADS, 2)")
    parser.add_argument("--nice", type=int, default=10,
                        help="lower the worker's priority by this much (default 10)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s [worker %(process)d] %(levelname)s %(name)s: "
                               "%(message)s")
    from webapp import create_app

    from .worker import run_worker

    run_worker(create_app({"PAD_LOAD_VISION": False}), threads=args.threads, nice=args.nice)


if __name__ == "__main__":
    main()
