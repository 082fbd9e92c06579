"""Untrusted input, refused cleanly: bounded IDs in URLs, no control characters anywhere, and
JSON bodies of a bounded depth and number range.

Each check answers a 4xx with a message in the page's language (JSON for the API) before
any work is done, so that a hostile request never reaches a 500 and never stores anything:

- the ``int`` URL converter stops at the largest 32-bit integer (row IDs are 32-bit on
  PostgreSQL) and ``client_id`` at :data:`MAX_SK_ID_CURR` (the application IDs); a larger
  number, or digits of another script, match no route (404) instead of overflowing the
  database driver;
- :func:`refuse_control_characters` (``before_request``): a NUL byte or another control
  character in the path, the query string or a form field is refused with a 400 rather than
  dropped or passed on (PostgreSQL cannot even store a NUL); form fields may hold tabs and
  line breaks (text areas), nothing else;
- :func:`load_json` parses a JSON body with a depth limit (1,000 nested ``[`` exhausted
  Python's recursion) and turns integers too large for a float into infinity, which the
  field checks then refuse by name ("must be a finite number").
"""

from __future__ import annotations

import json
import unicodedata
from typing import Any

from flask import Flask, request
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

#: The largest row ID (users, reviews, jobs): PostgreSQL's ``integer``.
MAX_ROW_ID = 2**31 - 1
#: The largest application ID (``SK_ID_CURR``) accepted anywhere: 12 digits (Home Credit's
#: are 6), far inside a 64-bit integer and exactly representable as a float.
MAX_SK_ID_CURR = 10**12 - 1
#: JSON bodies nest no deeper than this (an application is a flat object).
MAX_JSON_DEPTH = 20
#: Integer literals longer than this many digits are read as floats (infinity when huge).
_MAX_INT_DIGITS = 15
_ALLOWED_IN_FORMS = frozenset("\t\n\r")


class BoundedIntConverter(IntegerConverter):
    """``<int:...>``: a non-negative integer no larger than :data:`MAX_ROW_ID`, in ASCII
    digits (werkzeug's ``\\d+`` also took ``٣``, read as 3)."""

    regex = r"[0-9]+"

    def __init__(self, url_map: Any, fixed_digits: int = 0, min: int | None = None,  # noqa: A002
                 max: int | None = None, signed: bool = False) -> None:  # noqa: A002
        super().__init__(url_map, fixed_digits, min, MAX_ROW_ID if max is None else max,
                         signed)


class ClientIdConverter(IntegerConverter):
    """``<client_id:...>``: an application ID, 1 to :data:`MAX_SK_ID_CURR`, ASCII digits."""

    regex = r"[0-9]+"

    def __init__(self, url_map: Any) -> None:
        super().__init__(url_map, min=1, max=MAX_SK_ID_CURR)


def has_control_characters(text: str, allow_line_breaks: bool = False) -> bool:
    """Whether ``text`` holds a control character (Unicode category ``Cc``): NUL, escape,
    DEL, ...; tabs and line breaks are allowed with ``allow_line_breaks`` (text areas)."""
    return any(unicodedata.category(ch) == "Cc"
               and not (allow_line_breaks and ch in _ALLOWED_IN_FORMS) for ch in text)


def _control_character_error() -> BadRequest:
    error = BadRequest("the request holds a control character (NUL, escape, line break in a "
                       "URL, ...): refused, nothing was saved")
    error.pad_message = _("La demande contient un caractère de contrôle (octet nul, saut de "
                          "ligne dans une adresse, ...) : elle est refusée et rien n'a été "
                          "enregistré. Retirez ce caractère et recommencez.")
    return error


def refuse_control_characters() -> None:
    """``before_request``: a 400 for a control character in the path, a query argument
    (name or value) or a form field (name or value; tabs and line breaks allowed there)."""
    if has_control_characters(request.path):
        raise _control_character_error()
    for name, value in request.args.items(multi=True):
        if has_control_characters(name) or has_control_characters(value):
            raise _control_character_error()
    if request.method in ("POST", "PUT", "PATCH") and request.mimetype in (
            "application/x-www-form-urlencoded", "multipart/form-data"):
        for name, value in request.form.items(multi=True):
            if has_control_characters(name) or has_control_characters(value, True):
                raise _control_character_error()


class JsonBodyError(ValueError):
    """A body that is not acceptable JSON; the message says why (in English, for the API)."""


def _depth_exceeds(text: str, limit: int) -> bool:
    """Whether brackets outside strings nest deeper than ``limit`` (no recursion)."""
    if text.count("[") + text.count("{") <= limit:
        return False
    depth, in_string, escaped = 0, False, False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return True
        elif ch in "]}":
            depth -= 1
    return False


def _parse_int(literal: str) -> int | float:
    digits = literal.lstrip("-")
    return int(literal) if len(digits) <= _MAX_INT_DIGITS else float(literal)


def _refuse_constant(name: str) -> Any:
    raise JsonBodyError(f"{name} is not a number JSON allows")


def load_json(data: bytes, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """The JSON document in ``data`` (UTF-8), or :class:`JsonBodyError`.

    Deeper than ``max_depth`` is refused before parsing; ``NaN`` and ``Infinity`` are
    refused; integers of more than 15 digits become floats (infinite when too large), so
    that no number can overflow a later conversion.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise JsonBodyError("the body is not UTF-8 text") from None
    if _depth_exceeds(text, max_depth):
        raise JsonBodyError(f"the JSON nests deeper than {max_depth} levels")
    try:
        return json.loads(text, parse_int=_parse_int, parse_constant=_refuse_constant)
    except JsonBodyError:
        raise
    except (ValueError, RecursionError) as exc:
        raise JsonBodyError("the body is not valid JSON") from exc


def init_inputs(app: Flask) -> None:
    """Register the bounded URL converters (before any route is added)."""
    app.url_map.converters["int"] = BoundedIntConverter
    app.url_map.converters["client_id"] = ClientIdConverter
