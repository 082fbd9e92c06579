"""Command line: ``python -m ml.vision {train,prepare,evaluate}``.

- ``train [--fine-tune] [--data DIR] [--out DIR]``: train, export and report both models;
- ``prepare [--data DIR] [--out DIR]``: a lighter ``train`` (no mirrored ViT views, 3
  epochs), only if no complete model is there (what ``make run`` calls);
- ``evaluate --images DIR --labels CSV [--model DIR] [--variant int8|fp32]``: one JSON
  object on stdout, for the models as the app serves them (the int8 ViT by default);
- ``study [--data DIR] [--out DIR]``: the small-ViT study (SPT, LSA, distillation, SAM)
  into the artifacts' ``report.json`` (long; never run by ``make run``).
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
    evaluate.add_argument("--variant", choices=("int8", "fp32"), default="int8",
                          help="int8: the ViT file the app serves (default); fp32: the float one")
    study = commands.add_parser("study", help="train the four small ViTs of the study")
    study.add_argument("--data", type=Path, default=None, help="Flipkart folder")
    study.add_argument("--out", type=Path, default=None,
                       help="trained vision artifacts (the split and the teacher)")
    study.add_argument("--epochs", type=int, default=None, help=argparse.SUPPRESS)
    study.add_argument("--limit", type=int, default=None, help=argparse.SUPPRESS)
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
            result = evaluate(args.images, args.labels, args.model or vision_artifacts_dir(),
                              variant=args.variant)
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
    if args.command == "study":
        return _study(data, out, args, argv)
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


def _study(data: Path, out: Path, args: argparse.Namespace, argv: list[str] | None) -> int:
    from ml.vision.study import StudyError, run_study
    from ml.vision.study_train import StudyTraining

    training = StudyTraining(epochs=args.epochs) if args.epochs else None
    command = "python -m ml.vision " + " ".join(argv if argv is not None else sys.argv[1:])
    try:
        study = run_study(data, out, training=training, limit=args.limit, command=command)
    except StudyError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for variant, entry in study["variants"].items():
        print(f"{variant}: test accuracy {entry['test']['accuracy']:.3f}, "
              f"{entry['train_seconds']:.0f} s", file=sys.stderr)
    print(study["conclusion"]["en"], file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
