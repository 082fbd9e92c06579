"""The Prêt à dépenser web application: ``create_app`` builds it in small steps."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from ml.config import REPO_ROOT

from .extensions import csrf, db, limiter, login_manager, migrate
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
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    if config:
        app.config.from_mapping(config)

    from .proxy import init_proxy

    init_proxy(app)  # PAD_PROXY_HOPS: the client's address behind a reverse proxy
    _register_extensions(app)
    _register_blueprints(app)
    _register_error_handlers(app)
    _register_commands(app)
    return app


def _register_extensions(app: Flask) -> None:
    from . import models  # noqa: F401  (the tables, for Alembic's autogenerate)
    from .auth.access import enforce_access
    from .i18n import init_i18n
    from .security import init_security_headers
    from .templating import init_templating

    db.init_app(app)
    from .database import init_database

    init_database(app)  # SQLite: WAL, busy timeout, foreign keys on every connection
    migrate.init_app(app, db, directory=str(REPO_ROOT / "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    login_manager.session_protection = "basic"
    _configure_login(app)
    # Access first: an anonymous request is sent to the login page before anything else.
    app.before_request(enforce_access)
    from .admin.imports import allow_large_import

    # Before CSRF reads the form: an admin's CSV import may exceed MAX_CONTENT_LENGTH.
    app.before_request(allow_large_import)
    csrf.init_app(app)
    limiter.init_app(app)
    init_i18n(app)
    init_templating(app)
    init_security_headers(app)
    from .models_registry import init_models

    init_models(app)


def _configure_login(app: Flask) -> None:
    from .models import User

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        if not user_id.isdigit():
            return None
        user = db.session.get(User, int(user_id))
        # A deactivated user's open sessions end at their next request.
        return user if user is not None and user.active else None


def _register_blueprints(app: Flask) -> None:
    from .admin.routes import bp as admin_bp
    from .api.routes import bp as api_bp
    from .assets.routes import bp as assets_bp
    from .auth.access import check_every_view_declares_access
    from .auth.routes import bp as auth_bp
    from .clients.routes import bp as clients_bp
    from .health.routes import bp as health_bp
    from .model_card.routes import bp as model_card_bp
    from .vision.routes import bp as vision_bp

    app.register_blueprint(health_bp)
    app.register_blueprint(assets_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(clients_bp)
    app.register_blueprint(model_card_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(vision_bp)  # its JSON endpoint is CSRF-exempt (in routes.py)
    csrf.exempt(api_bp)  # bearer tokens only, never the session cookie: nothing to forge
    check_every_view_declares_access(app)


def _register_error_handlers(app: Flask) -> None:
    from .errors import register_error_handlers

    register_error_handlers(app)


def _register_commands(app: Flask) -> None:
    """CLI commands: ``flask users ...`` and ``flask clients ...``."""
    from .auth.cli import users_cli
    from .clients.cli import clients_cli

    app.cli.add_command(users_cli)
    app.cli.add_command(clients_cli)
