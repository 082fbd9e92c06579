"""Command line: ``python -m ml.credit train|evaluate|score|prepare``.

- ``train [--data DIR] [--out DIR]``: trains with progress output on stderr.
- ``evaluate PATH.csv [--model DIR]``: scores a CSV of raw applications with ``TARGET`` and
  prints exactly one JSON object on stdout.
- ``score PATH.csv [--out PATH] [--model DIR]``: writes SK_ID_CURR, probability, decision.
- ``prepare [--data DIR] [--out DIR]``: trains only when no usable model exists (``make run``).

Bad input: a message on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import artifacts
from .metrics import evaluate_predictions
from .schema import ID_COLUMN, TARGET_COLUMN, SchemaError, load_applications

EXIT_BAD_INPUT = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ml.credit", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)

    train = commands.add_parser("train", help="train, evaluate and save a model")
    prepare = commands.add_parser("prepare", help="train only if no usable model exists")
    for sub in (train, prepare):
        sub.add_argument("--data", type=Path, help="data directory (default: $PAD_DATA_DIR)")
        sub.add_argument("--out", type=Path, help="artifacts directory (default: artifacts/)")
        sub.add_argument("--trials", type=int, help="hyperparameter configurations to try")
        sub.add_argument("--max-rows", type=int, help="train on a stratified subset (tests)")
        sub.add_argument("--quiet", action="store_true", help="no progress output")

    evaluate = commands.add_parser("evaluate", help="metrics on a labelled CSV (JSON on stdout)")
    evaluate.add_argument("path", type=Path)
    evaluate.add_argument("--model", type=Path, help="model folder or artifacts/credit root")

    score = commands.add_parser("score", help="probability and decision for each row")
    score.add_argument("path", type=Path)
    score.add_argument("--out", type=Path, help="output CSV (default: stdout)")
    score.add_argument("--model", type=Path, help="model folder or artifacts/credit root")
    return parser


def _train_config(args: argparse.Namespace):
    from .train import TrainConfig

    config = TrainConfig()
    if args.trials:
        config.search_trials = args.trials
    if args.max_rows:
        config.max_rows = args.max_rows
    return config


def _model_root(out: Path | None) -> Path:
    from ml import config

    return config.credit_artifacts_dir(out)


def _run(args: argparse.Namespace) -> int:
    if args.command in ("train", "prepare"):
        if args.command == "prepare":
            try:
                from ml.serving.credit import load_credit_model

                model = load_credit_model(_model_root(args.out))
                print(f"credit model {model.version} is ready", file=sys.stderr)
                return 0
            except (artifacts.ModelNotFoundError, artifacts.IncompatibleModelError) as exc:
                print(f"{exc}; training a new one", file=sys.stderr)
        from .train import train

        folder = train(args.data, args.out, _train_config(args), progress=not args.quiet)
        print(folder)
        return 0

    from ml.serving.credit import load_credit_model

    model = load_credit_model(args.model if args.model else _model_root(None))
    frame = load_applications(args.path, require_target=args.command == "evaluate")
    probability = model.score_frame(frame)
    if args.command == "evaluate":
        result = evaluate_predictions(frame[TARGET_COLUMN].to_numpy(), probability,
                                      model.threshold, model.cost_ratio)
        result["model_version"] = model.version
        print(json.dumps(result))
        return 0
    out = frame[[ID_COLUMN]].copy()
    out["probability"] = probability.round(6)
    out["decision"] = [model.decide(p) for p in probability]
    if args.out:
        out.to_csv(args.out, index=False)
        print(f"{len(out)} applications scored into {args.out}", file=sys.stderr)
    else:
        out.to_csv(sys.stdout, index=False)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        return _run(args)
    except (SchemaError, artifacts.ModelNotFoundError, artifacts.IncompatibleModelError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
