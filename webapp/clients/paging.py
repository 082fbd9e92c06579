"""One page of a list (clients, decision records), with its position in the whole."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Generic, TypeVar

Item = TypeVar("Item")


@dataclass
class Page(Generic[Item]):
    """The ``page``-th page of ``total`` items, ``per_page`` at a time."""

    items: list[Item]
    total: int
    page: int
    per_page: int
    pages: int = field(init=False)

    def __post_init__(self) -> None:
        self.pages = max(1, math.ceil(self.total / self.per_page))

    @property
    def first_index(self) -> int:
        """1-based position of the first item shown."""
        return 0 if not self.items else (self.page - 1) * self.per_page + 1

    @property
    def last_index(self) -> int:
        """1-based position of the last item shown."""
        return self.first_index + len(self.items) - 1 if self.items else 0
