"""Jinja filters and globals: French-format numbers and the current language."""

from __future__ import annotations

from datetime import datetime

import plotly
from flask import Flask
from flask_babel import get_locale

from .services import formatting, vocabulary


def current_language() -> str:
    """``"fr"`` or ``"en"``: the language of this request."""
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "fr"


def _datetime_short(value: datetime | None) -> str:
    """``2026-11-26 14:05 UTC`` (times are stored in UTC), or a dash."""
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "—"


def init_templating(app: Flask) -> None:
    """Register the filters (``{{ value|money }}``) and the ``lang`` global."""

    def bind(function):
        def bound(value, *args, **kwargs):
            return function(value, current_language(), *args, **kwargs)

        return bound

    for name in ("money", "number", "fixed", "percent", "years", "times"):
        app.jinja_env.filters[name] = bind(getattr(formatting, name))
    app.jinja_env.filters["datetime_short"] = _datetime_short
    app.jinja_env.globals["current_language"] = current_language
    app.jinja_env.globals["plotly_version"] = plotly.__version__  # cache-busts /vendor/plotly
    app.jinja_env.globals["category_label"] = (
        lambda field, value: vocabulary.category_label(field, value, current_language()))
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
