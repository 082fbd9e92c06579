"""How a raw application is stored: the searchable columns, and the whole record as
compressed JSON (missing values left out)."""

from __future__ import annotations

import json
import math
import zlib
from collections.abc import Mapping
from typing import Any

#: Client column -> raw Kaggle field.
COLUMN_FIELDS: dict[str, str] = {
    "contract_type": "NAME_CONTRACT_TYPE",
    "gender": "CODE_GENDER",
    "income_type": "NAME_INCOME_TYPE",
    "education": "NAME_EDUCATION_TYPE",
    "family_status": "NAME_FAMILY_STATUS",
    "housing_type": "NAME_HOUSING_TYPE",
    "children": "CNT_CHILDREN",
    "income_total": "AMT_INCOME_TOTAL",
    "credit_amount": "AMT_CREDIT",
    "annuity": "AMT_ANNUITY",
    "goods_price": "AMT_GOODS_PRICE",
    "days_birth": "DAYS_BIRTH",
}
_INTEGER_COLUMNS = {"children", "days_birth"}


def numeric_field(record: Mapping[str, Any], field: str) -> float | None:
    """A raw record's numeric field as a float (``None`` when missing or not a number)."""
    value = record.get(field)
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _present(value: Any) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def compact_record(record: Mapping[str, Any]) -> dict[str, Any]:
    """The record without its missing values, whole floats as ints (smaller JSON)."""
    compact: dict[str, Any] = {}
    for field, value in record.items():
        if not _present(value):
            continue
        if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
            value = int(value)
        elif hasattr(value, "item"):  # numpy scalar
            value = value.item()
        compact[field] = value
    return compact


def encode_record(record: Mapping[str, Any]) -> bytes:
    """Compressed JSON of the record's present values."""
    text = json.dumps(compact_record(record), separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)
    return zlib.compress(text.encode("utf-8"), 6)


def decode_record(blob: bytes) -> dict[str, Any]:
    """The raw record back (absent fields are missing values)."""
    return json.loads(zlib.decompress(blob).decode("utf-8"))


def client_columns(record: Mapping[str, Any]) -> dict[str, Any]:
    """The searchable columns of a Client row from a raw record."""
    columns: dict[str, Any] = {}
    for column, field in COLUMN_FIELDS.items():
        value = record.get(field)
        if not _present(value):
            columns[column] = None
        elif column in _INTEGER_COLUMNS:
            columns[column] = int(round(float(value)))
        elif isinstance(value, str):
            columns[column] = value
        else:
            columns[column] = float(value)
    return columns
