"""Admin work on stored applications: edit the raw fields (a new version, re-scored), see
the history of versions, delete a client.

Edits are checked by the same rules as the CSV import (``validation.check_record``:
types, plausible ranges, text length); a control character is refused, never dropped, and
a field needed to score (income, credit, annuity, birth) cannot be emptied. A save that
changes nothing writes nothing (:class:`UnchangedError`). Concurrency is optimistic: the
edit carries the version it was made on; if the row has moved on (another admin saved
first), the save is refused with :class:`ConcurrentEditError` (the ``version_id_col`` of
``Client`` also guards the race between the check and the UPDATE). Like every service
here, nothing is committed: the caller commits, or rolls back on an error.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from ml.credit.schema import APPLICATION_COLUMNS, CATEGORICAL_COLUMNS, ID_COLUMN
from ml.serving.credit import CreditModel

from ..inputs import has_control_characters
from ..ui.fields import parse_number
from .models import ApplicationVersion, Client, Review
from .storage import client_columns, compact_record, decode_record, encode_record
from .validation import MAX_TEXT_LENGTH, REQUIRED_FIELDS, check_record

#: The raw fields an admin may edit (every Kaggle field but the ID).
EDITABLE_FIELDS: tuple[str, ...] = tuple(c for c in APPLICATION_COLUMNS if c != ID_COLUMN)
#: One limit per field, the import's (``validation.MAX_TEXT_LENGTH``).
MAX_FIELD_LENGTH = MAX_TEXT_LENGTH


class UnchangedError(ValueError):
    """The edit changes no field: nothing was written, the version stays."""


class ConcurrentEditError(RuntimeError):
    """Someone saved the client since this edit started; nothing was written."""

    def __init__(self, current_version: int | None):
        super().__init__("the application was changed by someone else")
        self.current_version = current_version


def form_values(record: Mapping[str, Any]) -> dict[str, str]:
    """The record as the edit form shows it (French decimal comma, empty for missing)."""
    values: dict[str, str] = {}
    for name in EDITABLE_FIELDS:
        value = record.get(name)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            values[name] = ""
        elif isinstance(value, float):
            values[name] = (f"{value:.0f}" if value.is_integer() and abs(value) < 1e15
                            else repr(value).replace(".", ","))
        else:
            values[name] = str(value)
    return values


def parse_edit(form: Mapping[str, str], current: Mapping[str, Any] | None = None
               ) -> tuple[dict[str, Any], dict[str, str]]:
    """The typed record from the edit form's text, and ``{field: problem}`` (import rules).

    ``current``: the stored record; a field needed to score that it holds cannot be emptied.
    """
    raw: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name in EDITABLE_FIELDS:
        text = str(form.get(name, "") or "").strip()
        if len(text) > MAX_FIELD_LENGTH:
            errors[name] = _("%(n)s caractères au plus", n=MAX_FIELD_LENGTH)
            continue
        if has_control_characters(text):
            errors[name] = _("caractère de contrôle interdit (octet nul, saut de ligne, ...)")
            continue
        if not text:
            raw[name] = None
        elif name in CATEGORICAL_COLUMNS:
            raw[name] = text
        else:
            try:
                raw[name] = parse_number(text)
            except ValueError:
                errors[name] = _("doit être un nombre")
    present = compact_record(current or {})
    required = [f for f in REQUIRED_FIELDS if f in present]
    clean, problems = check_record({k: v for k, v in raw.items() if k not in errors},
                                   required=[f for f in required if f not in errors])
    problems.update(errors)
    return clean, problems


def changed_fields(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """The raw fields whose value differs (missing values compare equal)."""
    old, new = compact_record(before), compact_record(after)
    return [name for name in EDITABLE_FIELDS if old.get(name) != new.get(name)]


def _snapshot(client: Client, created_by: str, changed: list[str],
              created_at: datetime | None = None) -> ApplicationVersion:
    return ApplicationVersion(sk_id_curr=client.sk_id_curr, version=client.version,
                              raw_record=client.raw_record, probability=client.probability,
                              decision=client.decision, model_version=client.model_version,
                              changed_fields=",".join(changed), created_by=created_by[:254],
                              created_at=created_at or client.imported_at)


def update_client(session: Session, client: Client, record: Mapping[str, Any],
                  expected_version: int, model: CreditModel | None,
                  editor: str) -> ApplicationVersion:
    """Save ``record`` as the client's next version, re-scored (flushed; the caller commits).

    Raises :class:`ConcurrentEditError` when ``expected_version`` is not the client's current
    version, or when another save wins the race; the caller then rolls back. Raises
    :class:`UnchangedError` (nothing written) when no field changes.
    """
    if client.version != expected_version:
        raise ConcurrentEditError(client.version)
    before = decode_record(client.raw_record)
    new_record = dict(record, **{ID_COLUMN: client.sk_id_curr})
    changed = changed_fields(before, new_record)
    if not changed:
        raise UnchangedError("no field changed")
    has_history = session.scalar(select(ApplicationVersion.id)
                                 .where(ApplicationVersion.sk_id_curr == client.sk_id_curr)
                                 .limit(1))
    if has_history is None:  # the imported state becomes version 1 of the history
        session.add(_snapshot(client, client.source, []))
    probability = decision = version = None
    if model is not None:
        explanation = model.explain(new_record)
        probability, decision, version = (explanation.probability, explanation.decision,
                                          str(model.version))
    for column, value in client_columns(new_record).items():
        setattr(client, column, value)
    client.raw_record = encode_record(new_record)
    client.probability, client.decision, client.model_version = probability, decision, version
    # A new version: the reviews decided on earlier ones no longer apply (see final_decision).
    client.final_decision = decision
    try:
        session.flush()  # UPDATE ... WHERE version = expected: bumps the version
    except StaleDataError:
        raise ConcurrentEditError(None) from None
    snapshot = _snapshot(client, editor, changed, created_at=datetime.now().astimezone())
    session.add(snapshot)
    session.flush()
    return snapshot


def delete_client(session: Session, client: Client, expected_version: int) -> None:
    """Delete the client, its versions and reviews (decision records stay); flushed, the
    caller commits (or rolls back on :class:`ConcurrentEditError`)."""
    if client.version != expected_version:
        raise ConcurrentEditError(client.version)
    sk_id_curr = client.sk_id_curr
    session.execute(delete(ApplicationVersion).where(ApplicationVersion.sk_id_curr == sk_id_curr))
    session.execute(delete(Review).where(Review.sk_id_curr == sk_id_curr))
    session.delete(client)
    try:
        session.flush()
    except StaleDataError:
        raise ConcurrentEditError(None) from None


@dataclass(frozen=True)
class VersionView:
    """One version of the application in the history table."""

    version: int
    created_at: datetime | None
    created_by: str
    probability: float | None
    decision: str | None
    model_version: str | None
    changed: list[str]
    current: bool


def history(session: Session, client: Client) -> list[VersionView]:
    """The versions of the application, newest first (the imported one when never edited)."""
    rows = list(session.scalars(select(ApplicationVersion)
                                .where(ApplicationVersion.sk_id_curr == client.sk_id_curr)
                                .order_by(ApplicationVersion.version.desc())))
    if not rows:
        return [VersionView(client.version, client.imported_at, client.source,
                            client.probability, client.decision, client.model_version, [],
                            True)]
    return [VersionView(r.version, r.created_at, r.created_by, r.probability, r.decision,
                        r.model_version, [f for f in r.changed_fields.split(",") if f],
                        r.version == client.version) for r in rows]
