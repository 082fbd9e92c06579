"""Languages: French first, English available.

The French strings are the source language, written in the templates and the code inside
``_()``; the English catalogue ``translations/en/LC_MESSAGES/messages.po`` is a text file in
the repository. It is compiled to ``.mo`` when the app starts (pure Python, Babel's own
compiler, written atomically under ``instance/translations``), so no binary artifact lives in
git and no build step is needed. The language is French unless the user picked English.

One translation path for each kind of text:

- interface text (titles, sentences, messages), in templates and in Python alike, goes
  through gettext (``_()``, ``_l()`` at import time); services read the request's language
  from Flask-Babel, tests choose it with ``flask_babel.force_locale``;
- data (field names, feature names, category values) comes from one label table in French and
  English, ``ml.credit.labels``, read with :func:`current_language`.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, has_request_context, session
from flask_babel import LazyString, get_locale

from ml.config import REPO_ROOT
from ml.credit import labels

LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"
CATALOGUE_SOURCE = REPO_ROOT / "translations"


def select_locale() -> str:
    """The session's language, else French (French too outside a request: jobs, commands)."""
    if not has_request_context():
        return DEFAULT_LANGUAGE
    language = session.get("lang")
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def current_language() -> str:
    """``"fr"`` or ``"en"``: the language of this request (French outside a request)."""
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "fr"


def data_label(field: str, suffix: object = "") -> LazyString:
    """A field's label from the data label table, in the language of the request that reads
    it (for form labels, defined once at import): ``data_label("AMT_CREDIT", " (€)")``."""
    return LazyString(lambda: labels.field_label(field, current_language()) + str(suffix))


def compile_catalogues(source: Path, target: Path) -> Path:
    """Compile every ``<lang>/LC_MESSAGES/messages.po`` under ``source`` into ``target``.

    Only out-of-date catalogues are rewritten; each is written to a temporary file then
    renamed, so that concurrent workers never read half a file.
    """
    for po_path in source.glob("*/LC_MESSAGES/messages.po"):
        relative = po_path.relative_to(source).with_suffix(".mo")
        mo_path = target / relative
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        mo_path.parent.mkdir(parents=True, exist_ok=True)
        with po_path.open("rb") as handle:
            catalogue = read_po(handle, locale=relative.parts[0])
        descriptor, temporary = tempfile.mkstemp(dir=mo_path.parent, suffix=".mo.tmp")
        try:
            with os.fdopen(descriptor, "wb") as out:
                write_mo(out, catalogue)
            os.replace(temporary, mo_path)
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
    return target


def init_i18n(app: Flask) -> None:
    """Compile the catalogues and point Flask-Babel at them."""
    from .extensions import babel

    target = Path(app.instance_path) / "translations"
    try:
        compile_catalogues(CATALOGUE_SOURCE, target)
    except OSError:  # read-only instance folder: compile into a temporary folder instead
        target = Path(tempfile.mkdtemp(prefix="pad-translations-"))
        compile_catalogues(CATALOGUE_SOURCE, target)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(target)
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    babel.init_app(app, locale_selector=select_locale)
