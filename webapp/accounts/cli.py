"""``flask users create EMAIL --role advisor|admin`` and ``flask users token EMAIL``."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup
from sqlalchemy import select

from ..extensions import db
from .models import ROLES, User
from .service import AccountError, create_user, issue_token, normalise_email

users_cli = AppGroup("users", help="Manage the portal's users and their API tokens.")


@users_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), required=True, help="The user's role.")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from standard input (for scripts) instead of prompting.")
def create_command(email: str, role: str, password_stdin: bool) -> None:
    """Create a user; the password is prompted for (or read from standard input)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = create_user(db.session, email, password, role)
        db.session.commit()
    except AccountError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Created {user.role} {user.email}")


@users_cli.command("token")
@click.argument("email")
def token_command(email: str) -> None:
    """Print a new API bearer token for the user (shown once; only its hash is kept)."""
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        raise click.ClickException(f"no user with the e-mail {normalise_email(email)}")
    token = issue_token(db.session, user)
    db.session.commit()
    click.echo(token)
