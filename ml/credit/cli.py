"""Command line: ``python -m ml.credit train|evaluate|score|prepare|fairness``.

- ``train [--data DIR] [--out DIR] [--protected FIELD[,FIELD...]]``: trains with progress
  output on stderr; the protected fields (default ``CODE_GENDER``) are never features.
- ``evaluate PATH.csv [--model DIR]``: scores a CSV of raw applications with ``TARGET`` and
  prints exactly one JSON object on stdout.
- ``score PATH.csv [--out PATH] [--model DIR]``: writes SK_ID_CURR, probability, decision.
- ``prepare [--data DIR] [--out DIR] [--protected ...]``: trains only when no usable model
  with these protected fields exists (``make run``).
- ``fairness [--model DIR] [--data CSV]``: the fairness report as exactly one JSON object on
  stdout, on the model's out-of-fold predictions, or on a labelled CSV scored by the model.

Bad input: a message on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import artifacts
from .features import DEFAULT_PROTECTED, protected_fields
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
        sub.add_argument("--protected", type=_protected_argument,
                         default=",".join(DEFAULT_PROTECTED), metavar="FIELD[,FIELD...]",
                         help="raw fields the model may never use (default: %(default)s)")

    evaluate = commands.add_parser("evaluate", help="metrics on a labelled CSV (JSON on stdout)")
    evaluate.add_argument("path", type=Path)
    evaluate.add_argument("--model", type=Path, help="model folder or artifacts/credit root")

    score = commands.add_parser("score", help="probability and decision for each row")
    score.add_argument("path", type=Path)
    score.add_argument("--out", type=Path, help="output CSV (default: stdout)")
    score.add_argument("--model", type=Path, help="model folder or artifacts/credit root")

    fairness = commands.add_parser("fairness", help="fairness report by group (JSON on stdout)")
    fairness.add_argument("--model", type=Path, help="model folder or artifacts/credit root")
    fairness.add_argument("--data", type=Path,
                          help="labelled CSV (Kaggle format, with TARGET) to score; default: "
                               "the model's own out-of-fold predictions")
    return parser


def _protected_argument(value: str) -> tuple[str, ...]:
    try:
        fields = protected_fields(value.split(","))
    except SchemaError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc
    if not fields:
        raise argparse.ArgumentTypeError("name at least one field (default: CODE_GENDER)")
    return fields


def _train_config(args: argparse.Namespace):
    from .train import TrainConfig

    config = TrainConfig(protected=args.protected)
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
                if model.protected == args.protected:
                    print(f"credit model {model.version} is ready", file=sys.stderr)
                    return 0
                print(f"credit model {model.version} protects "
                      f"{', '.join(model.protected) or 'nothing'}, not "
                      f"{', '.join(args.protected)}; training a new one", file=sys.stderr)
            except (artifacts.ModelNotFoundError, artifacts.IncompatibleModelError) as exc:
                print(f"{exc}; training a new one", file=sys.stderr)
        from .train import train

        folder = train(args.data, args.out, _train_config(args), progress=not args.quiet)
        print(folder)
        return 0

    from ml.serving.credit import load_credit_model

    model = load_credit_model(args.model if args.model else _model_root(None))
    if args.command == "fairness":
        from .fairness_data import csv_report, saved_report

        if args.data:
            print(f"scoring {args.data} with {model.version}", file=sys.stderr)
            report = csv_report(model, args.data)
        else:
            print(f"out-of-fold predictions of {model.version}", file=sys.stderr)
            report = saved_report(model.folder, model.threshold)
        print(json.dumps(report, ensure_ascii=False))
        return 0
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
