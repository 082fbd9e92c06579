"""Jinja filters and globals shared by every page: numbers in the reader's format, dates,
the current language and the data labels."""

from __future__ import annotations

from datetime import datetime

from flask import Flask

from ml.credit import labels

from ..i18n import current_language
from . import formatting
from .htmx import wants_partial


def _datetime_short(value: datetime | None) -> str:
    """``2026-11-26 14:05 UTC`` (times are stored in UTC), or a dash."""
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "—"


def init_templating(app: Flask) -> None:
    """Register the filters (``{{ value|money }}``, ``{{ value|percent(0) }}``) and globals."""
    for name in ("money", "years", "times"):
        app.jinja_env.filters[name] = getattr(formatting, name)
    # ``number(1)``: the one argument a template gives is the number of decimals.
    app.jinja_env.filters["number"] = (
        lambda value, digits=0: formatting.number(value, None, digits))
    app.jinja_env.filters["fixed"] = (
        lambda value, digits=2: formatting.fixed(value, None, digits))
    app.jinja_env.filters["percent"] = (
        lambda value, digits=1: formatting.percent(value, None, digits))
    app.jinja_env.filters["datetime_short"] = _datetime_short
    app.jinja_env.globals["current_language"] = current_language
    app.jinja_env.globals["htmx_partial"] = wants_partial
    app.jinja_env.globals["field_label"] = (
        lambda field: labels.field_label(field, current_language()))
    app.jinja_env.globals["category_label"] = (
        lambda field, value: labels.category_label(field, value, current_language()))
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
