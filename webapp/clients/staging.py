"""An import written in chunks, yet all or nothing: a staging table, then one publishing step.

Building the 48,744 rows of a Kaggle file takes seconds (compressing each record); done inside
one transaction, it held SQLite's write lock all that time, so that every writer (opening a
client page writes a decision record) waited for the whole import. Here the rows go to
``clients_staging`` in short transactions (the caller commits after each :func:`stage_rows`),
and :func:`publish_staged` then copies the whole batch into ``clients`` in one
``INSERT ... SELECT``: the database does it without a round trip per row, so the write lock
is held for a fraction of a second. Nothing of the batch is visible before that statement
commits; if anything fails before, :func:`discard_staged` removes the batch and ``clients``
never saw it.

Like every service here, these functions flush and never commit: the job that calls them
owns the transactions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from .models import Client, StagedClient

#: The columns a published row takes from its staged copy (the others keep their defaults).
PUBLISHED_COLUMNS: tuple[str, ...] = tuple(
    c.name for c in StagedClient.__table__.columns if c.name != "batch")


def stage_rows(session: Session, batch: str, rows: Iterable[Mapping[str, Any]]) -> int:
    """Add client rows (``importing.client_rows``) to the staging batch; returns how many."""
    # final_decision is not staged: a new client has no review, so it is the model's decision
    # (publish_staged copies it from ``decision``).
    staged = [{**{k: v for k, v in row.items() if k != "final_decision"}, "batch": batch}
              for row in rows]
    if staged:
        session.execute(insert(StagedClient), staged)
    return len(staged)


def staged_count(session: Session, batch: str) -> int:
    """How many rows the batch holds."""
    return session.scalar(select(func.count()).select_from(StagedClient)
                          .where(StagedClient.batch == batch)) or 0


def publish_staged(session: Session, batch: str) -> int:
    """Copy the whole batch into ``clients`` in one statement; returns the rows published.

    Raises ``IntegrityError`` when an ID is already a client (another import published it
    since the file was checked): the caller rolls back and nothing is published.
    """
    staged = StagedClient.__table__
    source = select(*[staged.c[name] for name in PUBLISHED_COLUMNS], staged.c.decision) \
        .where(staged.c.batch == batch)
    result = session.execute(insert(Client.__table__)
                             .from_select([*PUBLISHED_COLUMNS, "final_decision"], source)
                             .execution_options(preserve_rowcount=True))
    return int(result.rowcount)


def discard_staged(session: Session, batch: str, limit: int | None = None) -> int:
    """Remove the batch's rows from the staging table (after publishing, or after a failure),
    or at most ``limit`` of them (a short transaction each: call again until it returns 0)."""
    condition = StagedClient.batch == batch
    if limit is not None:
        some = (select(StagedClient.sk_id_curr).where(condition).limit(limit)
                .scalar_subquery())
        condition = condition & StagedClient.sk_id_curr.in_(some)
    result = session.execute(delete(StagedClient).where(condition)
                             .execution_options(synchronize_session=False))
    return int(result.rowcount)


def staged_batches(session: Session) -> list[str]:
    """Every batch present in the staging table (to find those left by dead imports)."""
    return list(session.scalars(select(StagedClient.batch).distinct()))
