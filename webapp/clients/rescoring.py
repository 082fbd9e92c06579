"""Re-scoring the stored portfolio with the served credit model.

Each client row keeps the probability and decision its model gave when it was imported or
edited, for the list and its filters; the client page and the API score live. When the
served model changes, the rows made by another model are re-scored here so that all of them
agree again. A row is *stale* when its ``model_version`` is not the served model's (or it was
never scored).

The work goes by chunks of the primary key (keyset pagination, so each read is an index range
and never an ``OFFSET`` scan): decode the stored records, score them in one model call
(:meth:`CreditModel.score_records`, the batch twin of the live path), then write the new
scores with ``UPDATE ... WHERE sk_id_curr = ? AND version = ?``. That condition makes the
re-scoring lose against a concurrent admin edit (which scores the new record itself): the
row is left stale and the next pass scores what is stored then. Decoding and scoring can run
in a pool of processes (:class:`BatchScorer`) while this one reads and writes.

Services: nothing here commits (the re-scoring job commits after each chunk).
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Row, bindparam, func, or_, select, update
from sqlalchemy.orm import Session

from ml.serving.credit import CreditModel, load_credit_model

from .final_decision import DECIDED
from .models import Client, Review
from .storage import decode_record

#: Clients per read, score and write: one write transaction each (tens of milliseconds).
RESCORE_CHUNK = 5000


def stale_condition(model_version: str):
    """The rows not scored by ``model_version``."""
    return or_(Client.model_version.is_(None), Client.model_version != model_version)


def count_stale(session: Session, model_version: str) -> int:
    """How many clients another model (or none) scored."""
    return session.scalar(select(func.count()).select_from(Client)
                          .where(stale_condition(model_version))) or 0


def stale_chunk(session: Session, model_version: str, after: int,
                size: int = RESCORE_CHUNK) -> list[Row]:
    """The next ``size`` stale clients after ID ``after``: ``(sk_id_curr, version,
    raw_record)``, by ID."""
    return list(session.execute(
        select(Client.sk_id_curr, Client.version, Client.raw_record)
        .where(Client.sk_id_curr > after, stale_condition(model_version))
        .order_by(Client.sk_id_curr).limit(size)))


def score_blobs(model: CreditModel, blobs: Sequence[bytes]) -> np.ndarray:
    """Default probabilities of stored records (``Client.raw_record``), in one model call."""
    return np.asarray(model.score_records([decode_record(blob) for blob in blobs]),
                      dtype="float64")


def apply_score(row: Mapping[str, Any], probability: float, threshold: float,
                model_version: str, reviewed: str | None = None) -> dict[str, Any]:
    """The columns a new score sets on a stored client: the one place that decides them.

    ``row`` is the client as :func:`stale_chunk` read it (ID, application version, record);
    ``reviewed`` the outcome of a decided review of that version, if any: it stays the final
    decision (``final_decision``), whatever the new model says.
    """
    decision = "refused" if probability >= threshold else "accepted"
    return {"probability": float(probability), "decision": decision,
            "final_decision": reviewed or decision, "model_version": model_version}


def reviewed_outcomes(session: Session, rows: Sequence[Row]) -> dict[int, str]:
    """ID -> the final decision of the latest decided review made on the row's version."""
    versions = {row.sk_id_curr: row.version for row in rows}
    found: dict[int, str] = {}
    query = (select(Review.sk_id_curr, Review.application_version, Review.final_decision)
             .where(Review.sk_id_curr.in_(list(versions)), Review.status.in_(DECIDED))
             .order_by(Review.id))
    for sk_id_curr, version, final in session.execute(query):
        if versions.get(sk_id_curr) == version and final:
            found[sk_id_curr] = final  # later reviews overwrite earlier ones
    return found


def write_scores(session: Session, rows: Sequence[Row], probabilities: np.ndarray,
                 model: CreditModel) -> None:
    """Store the new scores of ``rows``; a row whose application version moved on since it
    was read (a concurrent edit) is left as it is (flushed; the caller commits)."""
    if not rows:
        return
    version = str(model.version)
    reviewed = reviewed_outcomes(session, rows)
    values = [apply_score(row._mapping, p, model.threshold, version,
                          reviewed.get(row.sk_id_curr))
              for row, p in zip(rows, probabilities, strict=True)]
    table = Client.__table__
    statement = (update(table)
                 .where(table.c.sk_id_curr == bindparam("b_id"),
                        table.c.version == bindparam("b_version"))
                 .values({name: bindparam(f"b_{name}") for name in values[0]}))
    session.execute(statement, [
        {"b_id": row.sk_id_curr, "b_version": row.version,
         **{f"b_{name}": value for name, value in columns.items()}}
        for row, columns in zip(rows, values, strict=True)])


# --- scoring in a pool of processes --------------------------------------------------------

_pool_model: CreditModel | None = None


def _load_pool_model(folder: str) -> None:
    global _pool_model
    _pool_model = load_credit_model(Path(folder))


def _pool_score(blobs: list[bytes]) -> np.ndarray:
    assert _pool_model is not None, "the pool's initializer loads the model"
    return score_blobs(_pool_model, blobs)


class BatchScorer:
    """Scores chunks of stored records in this process, or in ``processes`` others.

    The pool's processes are started fresh (``spawn``: the worker that owns this holds
    threads and database connections a fork would copy) and load the model from its folder
    once; meanwhile the caller reads the next chunk and writes the previous one.
    """

    def __init__(self, model: CreditModel, processes: int = 1):
        self.model = model
        self._pool: ProcessPoolExecutor | None = None
        if processes > 1:
            self._pool = ProcessPoolExecutor(
                max_workers=processes, mp_context=multiprocessing.get_context("spawn"),
                initializer=_load_pool_model, initargs=(str(model.folder),))

    @property
    def processes(self) -> int:
        """How many processes score (1: this one)."""
        return self._pool._max_workers if self._pool is not None else 1

    def submit(self, blobs: Sequence[bytes]) -> Future:
        """A future of the probabilities of ``blobs``."""
        if self._pool is not None:
            return self._pool.submit(_pool_score, list(blobs))
        future: Future = Future()
        try:
            future.set_result(score_blobs(self.model, blobs))
        except Exception as exc:  # noqa: BLE001 - handed to the caller, as a pool would
            future.set_exception(exc)
        return future

    def close(self) -> None:
        """Stop the pool's processes (pending work is cancelled)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> BatchScorer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
