"""``flask jobs list|worker|rescore|train``: the jobs from the command line."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from ..extensions import db
from ..model_store import models
from .models import Job
from .queue import dispatch, reap
from .rescore import record_rescore
from .training import TUNABLE, record_training

jobs_cli = AppGroup("jobs", help="Long work on the job queue (imports, re-scoring, training).")


@jobs_cli.command("list")
@click.option("--limit", default=20, show_default=True)
def list_command(limit: int) -> None:
    """The latest jobs, newest first (dead ones are declared so first)."""
    reap()
    for job in db.session.scalars(select(Job).order_by(Job.id.desc()).limit(limit)):
        click.echo(f"{job.id:5d} {job.kind:8s} {job.status:8s} {job.done}/{job.total} "
                   f"{job.created_at:%Y-%m-%d %H:%M} {job.model_version or '-'} "
                   f"{(job.message or '')[:80]}")


@jobs_cli.command("worker")
@click.option("--threads", type=int, default=None, help="jobs run at once")
@click.option("--nice", type=int, default=10, show_default=True)
def worker_command(threads: int | None, nice: int) -> None:
    """Run a worker in this process (``python -m webapp.jobs`` skips the image models)."""
    from .worker import run_worker

    run_worker(current_app._get_current_object(), threads=threads, nice=nice)


@jobs_cli.command("rescore")
def rescore_command() -> None:
    """Queue the re-scoring of every client scored by another model than the served one."""
    model = models().credit
    if model is None:
        raise click.ClickException(f"no credit model loaded ({models().credit_error})")
    job = record_rescore(db.session, str(model.version), created_by="cli")
    if not dispatch(db.session, job):
        raise click.ClickException(job.message or "the job queue could not be reached")
    click.echo(f"job {job.id}: re-scoring with {model.version} queued")


@jobs_cli.command("train")
@click.option("--max-rows", type=int, default=None, help="train on a stratified subset")
@click.option("--trials", "search_trials", type=int, default=None)
def train_command(max_rows: int | None, search_trials: int | None) -> None:
    """Queue the training of a new credit model (then the re-scoring with it)."""
    settings = {"max_rows": max_rows, "search_trials": search_trials}
    job = record_training(db.session, "cli", {k: v for k, v in settings.items()
                                              if k in TUNABLE})
    if not dispatch(db.session, job):
        raise click.ClickException(job.message or "the job queue could not be reached")
    click.echo(f"job {job.id}: training queued")
