"""Find clients: a typeahead on ``SK_ID_CURR`` prefixes and a filtered, paginated list.

The typeahead turns a prefix into a few primary-key ranges (``123`` → 123, 1230–1239,
12300–12399, ...), so it uses the primary key index on any database, with no ``LIKE`` on a
cast. The list filters on indexed columns (decision, probability) and a few descriptive ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import Session, defer

from .models import Client
from .paging import Page

MAX_ID_DIGITS = 12
SORTS = {
    "id": (Client.sk_id_curr.asc(),),
    "probability_desc": (Client.probability.desc(), Client.sk_id_curr.asc()),
    "probability_asc": (Client.probability.asc(), Client.sk_id_curr.asc()),
}


def normalise_id(text: str) -> str:
    """An ID as typed, without its spaces (``" 100 005 "`` → ``"100005"``, narrow and
    no-break spaces included)."""
    return "".join(text.split())


def typeahead(session: Session, prefix: str, limit: int = 8) -> list[Client]:
    """Clients whose ID starts with the digits of ``prefix`` (empty list for no digits)."""
    digits = "".join(ch for ch in prefix if ch in "0123456789")[:MAX_ID_DIGITS]
    if not digits or digits.startswith("0"):
        return []
    start = int(digits)
    found: list[Client] = []
    # Ranges in increasing order of their numbers: one indexed range scan each, stopping as
    # soon as the list is full (an OR of the ranges made SQLite scan the whole table).
    for extra in range(MAX_ID_DIGITS - len(digits) + 1):
        scale = 10**extra
        query = (select(Client).options(defer(Client.raw_record))
                 .where(and_(Client.sk_id_curr >= start * scale,
                             Client.sk_id_curr < (start + 1) * scale))
                 .order_by(Client.sk_id_curr).limit(limit - len(found)))
        found.extend(session.scalars(query))
        if len(found) >= limit:
            break
    return found


@dataclass(frozen=True)
class ClientFilters:
    """The list's filters; ``None`` means "any". Probabilities are shares (0–1)."""

    decision: str | None = None  # the final decision (a decided review's, else the model's)
    probability_min: float | None = None
    probability_max: float | None = None
    contract_type: str | None = None
    education: str | None = None
    family_status: str | None = None
    income_type: str | None = None
    sort: str = "id"

    def apply(self, query: Select) -> Select:
        """``query`` restricted to the clients these filters keep."""
        if self.decision:
            query = query.where(Client.final_decision == self.decision)
        if self.probability_min is not None:
            query = query.where(Client.probability >= self.probability_min)
        if self.probability_max is not None:
            query = query.where(Client.probability <= self.probability_max)
        for column, value in ((Client.contract_type, self.contract_type),
                              (Client.education, self.education),
                              (Client.family_status, self.family_status),
                              (Client.income_type, self.income_type)):
            if value:
                query = query.where(column == value)
        return query


#: One page of the client list.
ClientPage = Page[Client]


def search_clients(session: Session, filters: ClientFilters, page: int = 1,
                   per_page: int = 25) -> ClientPage:
    """The ``page``-th page of the clients kept by ``filters``."""
    page = max(1, page)
    total = session.scalar(filters.apply(select(func.count()).select_from(Client))) or 0
    order: Any = SORTS.get(filters.sort, SORTS["id"])
    listed = select(Client).options(defer(Client.raw_record))
    query = (filters.apply(listed).order_by(*order)
             .offset((page - 1) * per_page).limit(per_page))
    items = list(session.scalars(query))
    return ClientPage(items=items, total=int(total), page=page, per_page=per_page)
