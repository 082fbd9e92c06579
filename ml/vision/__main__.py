"""Command line: ``python -m ml.vision {train,prepare,evaluate}``.

- ``train [--fine-tune] [--data DIR] [--out DIR]``: train, export and report both models;
- ``prepare [--data DIR] [--out DIR]``: a lighter ``train`` (no mirrored ViT views, 3
  epochs), only if no complete model is there (what ``make run`` calls);
- ``evaluate --images DIR --labels CSV [--model DIR]``: one JSON object on stdout.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ml.config import vision_artifacts_dir, vision_data_dir


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ml.vision", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("train", "prepare"):
        sub = commands.add_parser(name, help=f"{name} the ViT and the EfficientNet")
        sub.add_argument("--data", type=Path, default=None, help="Flipkart folder")
        sub.add_argument("--out", type=Path, default=None, help="artifacts folder")
        sub.add_argument("--limit", type=int, default=None, help=argparse.SUPPRESS)
        if name == "train":
            sub.add_argument("--fine-tune", action="store_true",
                             help="also fine-tune more blocks end to end (long)")
    evaluate = commands.add_parser("evaluate", help="evaluate the exported ONNX models")
    evaluate.add_argument("--images", type=Path, required=True)
    evaluate.add_argument("--labels", type=Path, required=True)
    evaluate.add_argument("--model", type=Path, default=None)
    return parser


def is_complete(directory: Path) -> bool:
    """Whether ``directory`` holds loadable vision artifacts of the current format."""
    from ml.serving.vision import VisionModelsError, load_metadata

    try:
        load_metadata(directory)
    except (VisionModelsError, KeyError):
        return False
    return (directory / "report.json").is_file() and (directory / "split.json").is_file()


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit status."""
    args = _parser().parse_args(argv)
    if args.command == "evaluate":
        from ml.vision.evaluate import EvaluationError, evaluate

        try:
            result = evaluate(args.images, args.labels, args.model or vision_artifacts_dir())
        except (EvaluationError, OSError) as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        except Exception as error:  # e.g. no models: VisionModelsError
            print(f"error: {error}", file=sys.stderr)
            return 1
        print(json.dumps(result))
        return 0
    data = vision_data_dir(args.data) if args.data else vision_data_dir()
    out = args.out or vision_artifacts_dir()
    if args.command == "prepare" and is_complete(out):
        print(f"vision models already in {out}", file=sys.stderr)
        return 0
    from ml.vision.pipeline import run
    from ml.vision.train import prepare_configuration

    config = prepare_configuration() if args.command == "prepare" else None
    report = run(data, out, fine_tune=getattr(args, "fine_tune", False), limit=args.limit,
                 config=config)
    summary = {name: round(entry["test"]["accuracy"], 4)
               for name, entry in report["models"].items()}
    print(f"vision models written to {out}; test accuracy {summary}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
