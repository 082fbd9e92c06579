"""Checks on raw applications beyond their types: plausible ranges, required fields, the ID's
range, and text fields of at most :data:`MAX_TEXT_LENGTH` characters without control
characters.

The same rules serve the CSV import (vectorised, first offending line and column), the admin's
edit form, the new-application and what-if forms, and the JSON API, so that a value accepted
in one place is accepted everywhere (a 2 MB text cell used to pass the import while the edit
form capped fields at 100 characters). Messages go through gettext: French for people,
English for the API and the command line (which ask for it with ``force_locale("en")``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from flask_babel import force_locale
from flask_babel import gettext as _

from ml.credit.schema import (
    APPLICATION_COLUMNS,
    CATEGORICAL_COLUMNS,
    DAYS_EMPLOYED_ANOMALY,
    ID_COLUMN,
    NUMERIC_COLUMNS,
    RecordError,
    SchemaError,
    normalise_record,
)

from ..inputs import MAX_SK_ID_CURR, has_control_characters

_DAYS_PER_YEAR = 365.25
#: The longest text a categorical field may hold (import, edit, API alike).
MAX_TEXT_LENGTH = 100
#: Integers beyond this are not exact as floats: refused before any conversion overflows.
_LARGEST_EXACT_INTEGER = 2**53


@dataclass(frozen=True)
class Bound:
    """The plausible closed range of a numeric field."""

    low: float
    high: float


def _bounds() -> dict[str, Bound]:
    bounds: dict[str, Bound] = {}
    for column in NUMERIC_COLUMNS:
        share = column.endswith(("_AVG", "_MODE", "_MEDI")) or column.startswith("EXT_SOURCE_")
        if column.startswith(("FLAG_", "REG_", "LIVE_")) or share:
            bounds[column] = Bound(0, 1)
        elif column.startswith(("AMT_REQ_", "OBS_", "DEF_")):
            bounds[column] = Bound(0, 1000)
        elif column.startswith("DAYS_"):
            bounds[column] = Bound(-120 * _DAYS_PER_YEAR, 0)
    bounds.update({
        "AMT_INCOME_TOTAL": Bound(1, 1e9),
        "AMT_CREDIT": Bound(1, 1e8),
        "AMT_ANNUITY": Bound(1, 1e7),
        "AMT_GOODS_PRICE": Bound(0, 1e8),
        "CNT_CHILDREN": Bound(0, 30),
        "CNT_FAM_MEMBERS": Bound(1, 40),
        "DAYS_BIRTH": Bound(-120 * _DAYS_PER_YEAR, -15 * _DAYS_PER_YEAR),
        "OWN_CAR_AGE": Bound(0, 100),
        "REGION_POPULATION_RELATIVE": Bound(0, 1),
        "REGION_RATING_CLIENT": Bound(1, 3),
        "REGION_RATING_CLIENT_W_CITY": Bound(-1, 3),  # one real row holds -1
        "HOUR_APPR_PROCESS_START": Bound(0, 23),
    })
    return bounds


BOUNDS: dict[str, Bound] = _bounds()
#: The fields without which a score would mean little (API and new-application form).
REQUIRED_FIELDS: tuple[str, ...] = ("AMT_INCOME_TOTAL", "AMT_CREDIT", "AMT_ANNUITY", "DAYS_BIRTH")


def _in_bounds(field: str, value: float) -> bool:
    bound = BOUNDS.get(field)
    if bound is None:
        return True
    if field == "DAYS_EMPLOYED" and value == DAYS_EMPLOYED_ANOMALY:
        return True
    return bound.low <= value <= bound.high


def range_message(field: str) -> str:
    """Why a value of ``field`` is refused."""
    bound = BOUNDS[field]
    return _("doit être compris entre %(low)s et %(high)s", low=format(bound.low, "g"),
             high=format(bound.high, "g"))


def _type_message(problem: str) -> str:
    """``ml.credit.schema``'s type problems (English codes), in the reader's language."""
    messages = {"must be a number": _("doit être un nombre"),
                "must be a finite number": _("doit être un nombre fini"),
                "must be text": _("doit être du texte")}
    return messages.get(problem, problem)


def check_record(record: Mapping[str, Any], *,
                 required: Iterable[str] = REQUIRED_FIELDS,
                 reject_unknown: bool = False) -> tuple[dict[str, Any], dict[str, str]]:
    """Normalise one applicant and check it: ``(clean record, {field: problem})``.

    The clean record maps every raw field (missing ones to NaN / ``None``); the problems
    name the fields that are not numbers, out of range, required but missing, or (with
    ``reject_unknown``) not Kaggle fields at all.
    """
    errors: dict[str, str] = {}
    if reject_unknown:
        known = set(APPLICATION_COLUMNS)
        for field in record:
            if field not in known:
                errors[field] = _("champ inconnu")
    errors.update(_shape_problems(record))
    try:
        clean = normalise_record({k: v for k, v in record.items() if k not in errors})
    except RecordError as exc:
        for field, problem in exc.fields.items():
            errors[field] = _type_message(problem)
        partial = {k: v for k, v in record.items() if k not in exc.fields and k not in errors}
        clean = normalise_record(partial)
    for field in required:
        if field not in errors and _missing(clean.get(field)):
            errors[field] = _("obligatoire")
    for field in NUMERIC_COLUMNS:
        value = clean.get(field)
        if field not in errors and not _missing(value) and not _in_bounds(field, value):
            errors[field] = range_message(field)
    identifier = record.get(ID_COLUMN)
    if identifier is not None:
        clean[ID_COLUMN] = identifier
    return clean, errors


def _shape_problems(record: Mapping[str, Any]) -> dict[str, str]:
    """Values refused before any conversion: integers too large for a float, text too long
    or holding a control character (a NUL byte is refused, never dropped)."""
    problems: dict[str, str] = {}
    for field in NUMERIC_COLUMNS:
        value = record.get(field)
        if isinstance(value, int) and not isinstance(value, bool) \
                and abs(value) > _LARGEST_EXACT_INTEGER:
            problems[field] = range_message(field) if field in BOUNDS \
                else _("doit être un nombre fini")
        elif isinstance(value, str) and (len(value) > MAX_TEXT_LENGTH
                                         or has_control_characters(value)):
            problems[field] = _("doit être un nombre")
    for field in CATEGORICAL_COLUMNS:
        value = record.get(field)
        if isinstance(value, str):
            if len(value) > MAX_TEXT_LENGTH:
                problems[field] = _("%(n)s caractères au plus", n=MAX_TEXT_LENGTH)
            elif has_control_characters(value):
                problems[field] = _("caractère de contrôle interdit (octet nul, saut de "
                                    "ligne, ...)")
    return problems


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def check_frame_bounds(frame: pd.DataFrame, source: str) -> None:
    """Raise :class:`SchemaError` naming the first line and column out of range.

    ``frame`` is a frame validated by ``ml.credit.schema.validate_frame`` (numeric columns
    are floats); line numbers count the header as line 1, as an editor shows them.
    """
    _check_frame_ids(frame, source)
    _check_frame_texts(frame, source)
    first_row: int | None = None
    first_column = ""
    for column, bound in BOUNDS.items():
        if column not in frame:
            continue
        values = frame[column].to_numpy(dtype="float64")
        bad = ~np.isnan(values) & ((values < bound.low) | (values > bound.high))
        if column == "DAYS_EMPLOYED":
            bad &= values != DAYS_EMPLOYED_ANOMALY
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            if first_row is None or row < first_row:
                first_row, first_column = row, column
    if first_row is not None:
        value = frame[first_column].iloc[first_row]
        with force_locale("en"):  # a file-level message, for the command line and the logs
            problem = range_message(first_column)
        raise SchemaError(f"{source}: line {first_row + 2}, column {first_column}: {value:g} "
                          f"{problem}")


def _check_frame_ids(frame: pd.DataFrame, source: str) -> None:
    """``SK_ID_CURR`` from 1 to :data:`MAX_SK_ID_CURR` (a 20-digit ID used to wrap around to
    -9223372036854775808 when cast to a 64-bit integer)."""
    if ID_COLUMN not in frame:
        return
    ids = frame[ID_COLUMN].to_numpy()
    bad = (ids < 1) | (ids > MAX_SK_ID_CURR)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise SchemaError(f"{source}: line {row + 2}, column {ID_COLUMN}: the ID must be a "
                          f"whole number from 1 to {MAX_SK_ID_CURR}")


def _check_frame_texts(frame: pd.DataFrame, source: str) -> None:
    """Text fields: at most :data:`MAX_TEXT_LENGTH` characters, no control character."""
    first: tuple[int, str, str] | None = None
    for column in CATEGORICAL_COLUMNS:
        if column not in frame:
            continue
        values = frame[column]
        present = values.notna().to_numpy()
        if not present.any():
            continue
        texts = values[present].astype(str)
        too_long = (texts.str.len() > MAX_TEXT_LENGTH).to_numpy()
        control = texts.str.contains(r"[\x00-\x1f\x7f-\x9f]", regex=True).to_numpy()
        for flags, problem in ((too_long, f"longer than {MAX_TEXT_LENGTH} characters"),
                               (control, "holds a control character")):
            if flags.any():
                row = int(np.flatnonzero(present)[np.flatnonzero(flags)[0]])
                if first is None or row < first[0]:
                    first = (row, column, problem)
    if first is not None:
        row, column, problem = first
        raise SchemaError(f"{source}: line {row + 2}, column {column}: the text {problem}")


__all__ = ["BOUNDS", "CATEGORICAL_COLUMNS", "MAX_TEXT_LENGTH", "REQUIRED_FIELDS",
           "check_frame_bounds", "check_record", "range_message"]
