"""``flask clients import [PATH.csv] [--if-empty]``."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup
from tqdm import tqdm

from ml.config import credit_data_dir

from ..extensions import db
from ..model_store import models
from .importing import ImportFileError, import_applications

clients_cli = AppGroup("clients", help="Import and manage client applications.")
DEFAULT_FILE = "application_test_sample.csv"


@clients_cli.command("import")
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--if-empty", is_flag=True,
              help="Do nothing when the database already holds clients (for `make run`).")
def import_command(path: Path | None, if_empty: bool) -> None:
    """Import raw Kaggle-format applications (default: the applications awaiting a decision,
    application_test_sample.csv of the data directory). All or nothing."""
    path = path or credit_data_dir() / DEFAULT_FILE
    loaded = models()
    if loaded.credit is None:
        click.echo(f"Warning: no credit model loaded ({loaded.credit_error}); clients are "
                   "imported without a precomputed score.", err=True)
    with tqdm(unit=" clients", desc="Import", disable=None) as bar:
        try:
            report = import_applications(db.session, path, loaded.credit, if_empty=if_empty,
                                         progress=bar.update)
            db.session.commit()
        except ImportFileError as exc:
            db.session.rollback()
            raise click.ClickException(f"{exc}. Nothing was imported.") from exc
    if report.skipped:
        click.echo("The database already holds clients: nothing imported (--if-empty).")
        return
    version = report.model_version or "none"
    click.echo(f"Imported {report.inserted} clients from {path} in {report.seconds:.1f} s "
               f"(model {version}).")
