"""The Prêt à dépenser web application: ``create_app`` builds it in small steps.

The packages, one per domain: ``accounts`` (users, tokens, sign-in, access control),
``clients`` (client records and their administration services), ``credit`` (the explained
decision: client page, what-if, sheet, model page), ``jobs`` (long work on a queue: imports,
re-scoring, training), ``vision`` (the image pages), ``admin`` (the admin views), ``api``
(JSON), ``health``; ``ui`` holds the presentation helpers every page shares. Dependencies
point one way: ui ← accounts ← clients ← credit, jobs ← admin/api.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from ml.config import REPO_ROOT

from .extensions import csrf, db, limiter, login_manager, migrate
from .proxy import init_proxy
from .settings import load_settings


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the application: settings, extensions, blueprints, error handlers, commands."""
    app = Flask(
        __name__,
        instance_path=str(REPO_ROOT / "instance"),
        static_folder=str(REPO_ROOT / "static"),
        template_folder=str(REPO_ROOT / "templates"),
    )
    app.config.from_mapping(load_settings(Path(app.instance_path)))
    if config:
        app.config.from_mapping(config)

    init_proxy(app)  # PAD_PROXY_HOPS: the client's address behind a reverse proxy
    _register_extensions(app)
    _register_blueprints(app)
    _register_error_handlers(app)
    _register_commands(app)
    return app


def _register_extensions(app: Flask) -> None:
    from .accounts import models as _accounts_tables  # noqa: F401  (for Alembic)
    from .accounts.access import enforce_access
    from .admin.imports import allow_large_import
    from .clients import models as _client_tables  # noqa: F401  (for Alembic)
    from .credit import drafts as _draft_table  # noqa: F401  (for Alembic)
    from .database import init_database
    from .i18n import init_i18n
    from .inputs import init_inputs, refuse_control_characters
    from .jobs import models as _job_tables  # noqa: F401  (for Alembic)
    from .jobs.queue import init_queue
    from .model_store import init_models
    from .security import init_security_headers
    from .ui.templating import init_templating
    from .vision.evaluation import allow_large_archive
    from .vision.gallery import init_gallery

    init_inputs(app)  # the bounded URL converters, before any route
    db.init_app(app)
    init_database(app)  # SQLite: WAL, busy timeout, foreign keys on every connection
    migrate.init_app(app, db, directory=str(REPO_ROOT / "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    login_manager.session_protection = "basic"
    _configure_login(app)
    # Access first: an anonymous request is sent to the login page before anything else.
    app.before_request(enforce_access)
    # Before CSRF reads the form: an admin's CSV import may exceed MAX_CONTENT_LENGTH.
    app.before_request(allow_large_import)
    app.before_request(allow_large_archive)  # the ZIP of photos to evaluate, likewise
    csrf.init_app(app)
    limiter.init_app(app)
    # After the rate limits: a limited upload is refused before its body is parsed.
    app.before_request(refuse_control_characters)
    init_i18n(app)
    init_templating(app)
    init_security_headers(app)
    init_models(app)
    init_queue(app)  # the job queue: Redis with REDIS_URL, else a SQLite file
    init_gallery(app)


def _configure_login(app: Flask) -> None:
    from .accounts.sessions import load_session_user

    # A session ends when its user's generation moved on (logout, password, role,
    # deactivation), when it sat idle too long, or when it reached its absolute lifetime.
    login_manager.user_loader(load_session_user)


def _register_blueprints(app: Flask) -> None:
    from .accounts.access import check_every_view_declares_access
    from .accounts.routes import bp as accounts_bp
    from .admin.routes import bp as admin_bp
    from .api.routes import bp as api_bp
    from .clients.routes import bp as clients_bp
    from .credit.routes import bp as credit_bp
    from .health.routes import bp as health_bp
    from .ui.assets import init_assets
    from .vision.routes import bp as vision_bp

    app.register_blueprint(health_bp)
    init_assets(app)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(clients_bp)
    app.register_blueprint(credit_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(vision_bp)  # its JSON endpoint is CSRF-exempt (in routes.py)
    csrf.exempt(api_bp)  # bearer tokens only, never the session cookie: nothing to forge
    check_every_view_declares_access(app)


def _register_error_handlers(app: Flask) -> None:
    from .errors import register_error_handlers

    register_error_handlers(app)


def _register_commands(app: Flask) -> None:
    """CLI commands: ``flask users ...``, ``flask clients ...`` and ``flask jobs ...``."""
    from .accounts.cli import users_cli
    from .clients.cli import clients_cli
    from .jobs.cli import jobs_cli

    app.cli.add_command(users_cli)
    app.cli.add_command(clients_cli)
    app.cli.add_command(jobs_cli)
