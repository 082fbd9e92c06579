"""The CSV import from the browser, first step: a preview with a row-by-row error report.

The validation is the import service's own (``importing.read_applications``: columns,
types, duplicates, ranges; then the IDs already stored). When the file fails it, the rows are
checked one by one with the same rules (``validation.check_record``) to list every bad row
(up to :data:`MAX_REPORTED`), so that the user can fix them all at once. The import itself is
a job on the queue (``webapp.jobs.imports``): all or nothing, written in chunks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from ml.credit.schema import APPLICATION_COLUMNS, CATEGORICAL_COLUMNS, ID_COLUMN

from ..inputs import MAX_SK_ID_CURR
from .importing import ImportFileError, existing_ids, read_applications
from .validation import check_record

MAX_REPORTED = 200
PREVIEW_ROWS = 5
PREVIEW_COLUMNS = (ID_COLUMN, "NAME_CONTRACT_TYPE", "AMT_INCOME_TOTAL", "AMT_CREDIT",
                   "AMT_ANNUITY", "DAYS_BIRTH")


@dataclass(frozen=True)
class RowError:
    """One problem: the line as an editor shows it (header = 1), the column, what is wrong."""

    line: int | None
    column: str | None
    message: str


@dataclass
class ImportPreview:
    """What the file holds and whether it can be imported."""

    rows: int = 0
    sample: list[dict[str, Any]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    truncated: bool = False

    @property
    def valid(self) -> bool:
        """Every row can be imported."""
        return not self.errors and self.rows > 0


def _looks_binary(path: Path) -> bool:
    """A NUL byte anywhere (pandas would read it as a space, or cut a number at it)."""
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            if b"\x00" in chunk:
                return True
    return False


def preview_import(session: Session, path: Path) -> ImportPreview:
    """Validate the whole file and describe it; nothing is written."""
    path = Path(path)
    preview = ImportPreview()
    if not path.is_file() or path.stat().st_size == 0:
        preview.errors.append(RowError(None, None, _("Le fichier est vide.")))
        return preview
    if _looks_binary(path):
        preview.errors.append(RowError(None, None, _(
            "Ce fichier n'est pas un fichier CSV texte (contenu binaire).")))
        return preview
    try:
        frame = read_applications(path)
    except ImportFileError as exc:
        return _row_report(session, path, str(exc).replace(str(path), path.name))
    preview.rows = len(frame)
    preview.sample = _sample(frame)
    ids = frame[ID_COLUMN].to_numpy()
    clashes = existing_ids(session, ids)
    if clashes:
        for index in np.flatnonzero(np.isin(ids, list(clashes)))[:MAX_REPORTED]:
            preview.errors.append(RowError(int(index) + 2, ID_COLUMN, _(
                "le dossier %(id)s existe déjà en base", id=int(ids[index]))))
        preview.truncated = len(clashes) > MAX_REPORTED
    return preview


def _sample(frame: pd.DataFrame) -> list[dict[str, Any]]:
    rows = []
    for _index, row in frame.head(PREVIEW_ROWS).iterrows():
        rows.append({c: (None if pd.isna(row[c]) else row[c]) for c in PREVIEW_COLUMNS
                     if c in frame})
    return rows


def _row_report(session: Session, path: Path, first_problem: str) -> ImportPreview:
    """Every bad row (up to ``MAX_REPORTED``), checked one by one with the import's rules."""
    preview = ImportPreview()
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig",
                            low_memory=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError):
        preview.errors.append(RowError(None, None, _(
            "Fichier illisible comme CSV : %(problem)s", problem=first_problem)))
        return preview
    missing = [c for c in APPLICATION_COLUMNS if c not in frame.columns]
    if missing or frame.empty:
        shown = ", ".join(missing[:8]) + (f" (+{len(missing) - 8})" if len(missing) > 8 else "")
        message = (_("Colonnes manquantes : %(columns)s. Le fichier doit suivre le format "
                     "Kaggle application_test (en-tête compris).", columns=shown) if missing
                   else _("Le fichier a un en-tête mais aucun dossier."))
        preview.errors.append(RowError(None, None, message))
        return preview
    preview.rows = len(frame)
    seen: dict[int, int] = {}
    valid_ids: list[int] = []
    lines: dict[int, int] = {}

    def report(line: int, column: str | None, message: str) -> bool:
        if len(preview.errors) >= MAX_REPORTED:
            preview.truncated = True
            return False
        preview.errors.append(RowError(line, column, message))
        return True

    columns = list(frame.columns)
    for index, values in enumerate(frame.itertuples(index=False, name=None)):
        line = index + 2
        row = {c: (v if v.strip() else None) for c, v in zip(columns, values, strict=True)
               if c in APPLICATION_COLUMNS or c == "TARGET"}
        identifier = (row.get(ID_COLUMN) or "").strip()
        number = _whole_number(identifier)
        if number is None or number <= 0:
            if not report(line, ID_COLUMN, _("identifiant vide ou non entier positif")):
                break
        elif number in seen:
            if not report(line, ID_COLUMN, _("identifiant %(id)s en double (déjà ligne "
                                             "%(line)s)", id=number, line=seen[number])):
                break
        else:
            seen[number] = line
            valid_ids.append(number)
            lines[number] = line
        record = {c: v for c, v in row.items() if c != ID_COLUMN and c != "TARGET"}
        for column in CATEGORICAL_COLUMNS:
            if record.get(column) is not None:
                record[column] = str(record[column])
        _clean, problems = check_record(record, required=())
        stop = False
        for column, problem in problems.items():
            raw = str(row.get(column))[:40]
            if not report(line, column, f"{problem} ({raw!r})"):
                stop = True
                break
        if stop:
            break
    if not preview.truncated and valid_ids:
        for number in sorted(existing_ids(session, np.array(valid_ids)),
                             key=lambda n: lines[n]):
            if not report(lines[number], ID_COLUMN, _(
                    "le dossier %(id)s existe déjà en base", id=number)):
                break
    if not preview.errors:  # the row checks agree with nothing: show the import's message
        preview.errors.append(RowError(None, None, first_problem))
    preview.errors.sort(key=lambda e: (e.line or 0))
    return preview


def _whole_number(text: str) -> int | None:
    try:
        value = float(text)
    except ValueError:
        return None
    if not np.isfinite(value) or value != round(value) or abs(value) > MAX_SK_ID_CURR:
        return None
    return int(value)
