"""The raw application schema and its loading: Kaggle-format CSVs in, validated frames out.

Every raw application file (the sample in ``shared/``, or the full original
``application_train.csv`` / ``application_test.csv``) goes through :func:`load_applications`,
which stops with a message naming the problem when a required column is missing, a column
has the wrong type, the file is empty, or an ``SK_ID_CURR`` appears twice.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ID_COLUMN = "SK_ID_CURR"
TARGET_COLUMN = "TARGET"

#: Every column of Kaggle's ``application_test.csv`` (``application_train.csv`` adds TARGET).
APPLICATION_COLUMNS: tuple[str, ...] = (
    'SK_ID_CURR', 'NAME_CONTRACT_TYPE', 'CODE_GENDER', 'FLAG_OWN_CAR', 'FLAG_OWN_REALTY',
    'CNT_CHILDREN', 'AMT_INCOME_TOTAL', 'AMT_CREDIT', 'AMT_ANNUITY', 'AMT_GOODS_PRICE',
    'NAME_TYPE_SUITE', 'NAME_INCOME_TYPE', 'NAME_EDUCATION_TYPE', 'NAME_FAMILY_STATUS',
    'NAME_HOUSING_TYPE', 'REGION_POPULATION_RELATIVE', 'DAYS_BIRTH', 'DAYS_EMPLOYED',
    'DAYS_REGISTRATION', 'DAYS_ID_PUBLISH', 'OWN_CAR_AGE', 'FLAG_MOBIL', 'FLAG_EMP_PHONE',
    'FLAG_WORK_PHONE', 'FLAG_CONT_MOBILE', 'FLAG_PHONE', 'FLAG_EMAIL', 'OCCUPATION_TYPE',
    'CNT_FAM_MEMBERS', 'REGION_RATING_CLIENT', 'REGION_RATING_CLIENT_W_CITY',
    'WEEKDAY_APPR_PROCESS_START', 'HOUR_APPR_PROCESS_START', 'REG_REGION_NOT_LIVE_REGION',
    'REG_REGION_NOT_WORK_REGION', 'LIVE_REGION_NOT_WORK_REGION', 'REG_CITY_NOT_LIVE_CITY',
    'REG_CITY_NOT_WORK_CITY', 'LIVE_CITY_NOT_WORK_CITY', 'ORGANIZATION_TYPE', 'EXT_SOURCE_1',
    'EXT_SOURCE_2', 'EXT_SOURCE_3', 'APARTMENTS_AVG', 'BASEMENTAREA_AVG',
    'YEARS_BEGINEXPLUATATION_AVG', 'YEARS_BUILD_AVG', 'COMMONAREA_AVG', 'ELEVATORS_AVG',
    'ENTRANCES_AVG', 'FLOORSMAX_AVG', 'FLOORSMIN_AVG', 'LANDAREA_AVG', 'LIVINGAPARTMENTS_AVG',
    'LIVINGAREA_AVG', 'NONLIVINGAPARTMENTS_AVG', 'NONLIVINGAREA_AVG', 'APARTMENTS_MODE',
    'BASEMENTAREA_MODE', 'YEARS_BEGINEXPLUATATION_MODE', 'YEARS_BUILD_MODE', 'COMMONAREA_MODE',
    'ELEVATORS_MODE', 'ENTRANCES_MODE', 'FLOORSMAX_MODE', 'FLOORSMIN_MODE', 'LANDAREA_MODE',
    'LIVINGAPARTMENTS_MODE', 'LIVINGAREA_MODE', 'NONLIVINGAPARTMENTS_MODE', 'NONLIVINGAREA_MODE',
    'APARTMENTS_MEDI', 'BASEMENTAREA_MEDI', 'YEARS_BEGINEXPLUATATION_MEDI', 'YEARS_BUILD_MEDI',
    'COMMONAREA_MEDI', 'ELEVATORS_MEDI', 'ENTRANCES_MEDI', 'FLOORSMAX_MEDI', 'FLOORSMIN_MEDI',
    'LANDAREA_MEDI', 'LIVINGAPARTMENTS_MEDI', 'LIVINGAREA_MEDI', 'NONLIVINGAPARTMENTS_MEDI',
    'NONLIVINGAREA_MEDI', 'FONDKAPREMONT_MODE', 'HOUSETYPE_MODE', 'TOTALAREA_MODE',
    'WALLSMATERIAL_MODE', 'EMERGENCYSTATE_MODE', 'OBS_30_CNT_SOCIAL_CIRCLE',
    'DEF_30_CNT_SOCIAL_CIRCLE', 'OBS_60_CNT_SOCIAL_CIRCLE', 'DEF_60_CNT_SOCIAL_CIRCLE',
    'DAYS_LAST_PHONE_CHANGE', 'FLAG_DOCUMENT_2', 'FLAG_DOCUMENT_3', 'FLAG_DOCUMENT_4',
    'FLAG_DOCUMENT_5', 'FLAG_DOCUMENT_6', 'FLAG_DOCUMENT_7', 'FLAG_DOCUMENT_8', 'FLAG_DOCUMENT_9',
    'FLAG_DOCUMENT_10', 'FLAG_DOCUMENT_11', 'FLAG_DOCUMENT_12', 'FLAG_DOCUMENT_13',
    'FLAG_DOCUMENT_14', 'FLAG_DOCUMENT_15', 'FLAG_DOCUMENT_16', 'FLAG_DOCUMENT_17',
    'FLAG_DOCUMENT_18', 'FLAG_DOCUMENT_19', 'FLAG_DOCUMENT_20', 'FLAG_DOCUMENT_21',
    'AMT_REQ_CREDIT_BUREAU_HOUR', 'AMT_REQ_CREDIT_BUREAU_DAY', 'AMT_REQ_CREDIT_BUREAU_WEEK',
    'AMT_REQ_CREDIT_BUREAU_MON', 'AMT_REQ_CREDIT_BUREAU_QRT', 'AMT_REQ_CREDIT_BUREAU_YEAR')

#: Text columns. Everything else is numeric.
CATEGORICAL_COLUMNS: tuple[str, ...] = (
    "NAME_CONTRACT_TYPE", "CODE_GENDER", "FLAG_OWN_CAR", "FLAG_OWN_REALTY", "NAME_TYPE_SUITE",
    "NAME_INCOME_TYPE", "NAME_EDUCATION_TYPE", "NAME_FAMILY_STATUS", "NAME_HOUSING_TYPE",
    "OCCUPATION_TYPE", "WEEKDAY_APPR_PROCESS_START", "ORGANIZATION_TYPE", "FONDKAPREMONT_MODE",
    "HOUSETYPE_MODE", "WALLSMATERIAL_MODE", "EMERGENCYSTATE_MODE",
)
NUMERIC_COLUMNS: tuple[str, ...] = tuple(
    c for c in APPLICATION_COLUMNS if c not in CATEGORICAL_COLUMNS and c != ID_COLUMN
)

#: Home Credit's placeholder for "unknown employment": about 18 % of rows, all pensioners or
#: unemployed. Treated as missing, with its own flag feature.
DAYS_EMPLOYED_ANOMALY = 365243
#: "XNA" is Home Credit's "not available" category (CODE_GENDER, ORGANIZATION_TYPE).
MISSING_CATEGORIES = frozenset({"XNA", ""})


class SchemaError(ValueError):
    """A raw application file or record does not follow the Kaggle application schema."""


def _check_columns(columns: pd.Index, path: Path, require_target: bool) -> None:
    missing = [c for c in APPLICATION_COLUMNS if c not in columns]
    if require_target and TARGET_COLUMN not in columns:
        missing.insert(0, TARGET_COLUMN)
    if missing:
        more = f" and {len(missing) - 8} more" if len(missing) > 8 else ""
        shown = ", ".join(missing[:8]) + more
        raise SchemaError(f"{path}: missing required column(s): {shown}")


def _coerce_numeric(frame: pd.DataFrame, column: str, path: Path) -> None:
    raw = frame[column]
    if pd.api.types.is_numeric_dtype(raw):
        frame[column] = raw.astype("float64")
        return
    converted = pd.to_numeric(raw, errors="coerce")
    bad = converted.isna() & raw.notna() & (raw.astype("string").str.strip() != "")
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise SchemaError(
            f"{path}: column {column} must be numeric, but line {row + 2} holds "
            f"{str(raw.iloc[row])[:40]!r}"
        )
    frame[column] = converted.astype("float64")


def clean_categories(frame: pd.DataFrame) -> None:
    """Text columns as Python strings, Home Credit's "XNA" and blanks as missing (in place)."""
    for column in CATEGORICAL_COLUMNS:
        if column in frame:
            values = frame[column].astype("object")
            values = values.where(values.notna(), None)
            values = values.map(lambda v: None if v is None or str(v).strip() in MISSING_CATEGORIES
                                else str(v).strip())
            frame[column] = values.astype("object")


def load_applications(path: str | Path, *, require_target: bool = False) -> pd.DataFrame:
    """Read and validate a Kaggle-format application CSV.

    Numeric columns come back as float64, text columns as ``object`` with ``None`` for missing
    values (``XNA`` included). ``TARGET``, when present, must be 0 or 1 everywhere.
    """
    path = Path(path)
    if not path.is_file():
        raise SchemaError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise SchemaError(f"{path}: the file is empty")
    try:
        frame = pd.read_csv(path, dtype={c: "object" for c in CATEGORICAL_COLUMNS},
                            low_memory=False, encoding="utf-8-sig")
    except pd.errors.EmptyDataError as exc:
        raise SchemaError(f"{path}: the file is empty") from exc
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise SchemaError(f"{path}: not a readable CSV file ({exc})") from exc
    if frame.empty:
        raise SchemaError(f"{path}: the file has a header but no application")
    _check_columns(frame.columns, path, require_target)
    return validate_frame(frame, path, require_target=require_target)


def validate_frame(frame: pd.DataFrame, source: str | Path = "<data>", *,
                   require_target: bool = False) -> pd.DataFrame:
    """Validate and normalise an application frame already in memory (see ``load_applications``)."""
    source = Path(str(source))
    _check_columns(frame.columns, source, require_target)
    frame = frame.copy()
    _coerce_numeric(frame, ID_COLUMN, source)
    ids = frame[ID_COLUMN]
    if ids.isna().any():
        row = int(np.flatnonzero(ids.isna().to_numpy())[0])
        raise SchemaError(f"{source}: {ID_COLUMN} is empty on line {row + 2}")
    if (ids != ids.round()).any() or (ids <= 0).any():
        row = int(np.flatnonzero(((ids != ids.round()) | (ids <= 0)).to_numpy())[0])
        raise SchemaError(f"{source}: {ID_COLUMN} must be a positive whole number (line {row + 2})")
    frame[ID_COLUMN] = ids.astype("int64")
    duplicated = frame[ID_COLUMN].duplicated()
    if duplicated.any():
        first = int(frame.loc[duplicated, ID_COLUMN].iloc[0])
        raise SchemaError(
            f"{source}: duplicated {ID_COLUMN} {first} ({int(duplicated.sum())} duplicate row(s))"
        )
    for column in NUMERIC_COLUMNS:
        _coerce_numeric(frame, column, source)
    if TARGET_COLUMN in frame:
        _coerce_numeric(frame, TARGET_COLUMN, source)
        target = frame[TARGET_COLUMN]
        bad = ~target.isin([0.0, 1.0])
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise SchemaError(f"{source}: {TARGET_COLUMN} must be 0 or 1 (line {row + 2})")
        frame[TARGET_COLUMN] = target.astype("int8")
    clean_categories(frame)
    return frame


def normalise_record(record: Mapping[str, Any]) -> dict[str, Any]:
    """One applicant given as a mapping of raw Kaggle fields, checked and normalised.

    Absent fields are missing values (the model handles them). A numeric field that is not a
    number, or a text field that is not text, raises :class:`SchemaError` naming the field.
    Unknown fields are ignored.
    """
    clean: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for column in NUMERIC_COLUMNS:
        value = record.get(column)
        if value is None or (isinstance(value, str) and not value.strip()):
            clean[column] = math.nan
            continue
        if isinstance(value, bool):
            value = int(value)
        try:
            number = float(value)
        except (TypeError, ValueError):
            errors[column] = "must be a number"
            continue
        if math.isinf(number):
            errors[column] = "must be a finite number"
            continue
        clean[column] = number
    for column in CATEGORICAL_COLUMNS:
        value = record.get(column)
        if value is None:
            clean[column] = None
        elif not isinstance(value, str):
            errors[column] = "must be text"
        else:
            value = value.strip()
            clean[column] = None if value in MISSING_CATEGORIES else value
    if errors:
        raise RecordError(errors)
    return clean


class RecordError(SchemaError):
    """A single applicant record has invalid fields; ``fields`` maps each to its problem."""

    def __init__(self, fields: Mapping[str, str]):
        self.fields = dict(fields)
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.fields.items()))
