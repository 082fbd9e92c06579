"""Failed sign-ins counted atomically, so that a burst of attempts gets exactly the limit.

Flask-Limiter's ``deduct_when`` *tests* a limit before the request and *counts* it after the
answer: twenty wrong passwords sent at once all pass the test before the first one is
counted, and the limit of ten lets through as many as there are threads. Here an attempt
takes its slot first, with the storage's atomic increment (in memory, or Redis when the
app runs on several nodes), and gives it back when it turns out not to be a failure (a
correct password): the count only ever holds failures and attempts still in flight, never
more than the limit is answered, and a person who signs in correctly never uses up a slot.

A refused attempt gives its slot back too: a locked-out address does not extend its own
lock by knocking.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app
from flask_limiter.util import get_remote_address
from limits import RateLimitItem, parse_many

from ..extensions import limiter

NAMESPACE = "pad-sign-in"


@dataclass
class Attempt:
    """The slots one attempt holds: ``(limit, identifiers)`` pairs already counted."""

    held: list[tuple[RateLimitItem, tuple[str, ...]]] = field(default_factory=list)
    refused: bool = False

    def give_back(self) -> None:
        """Return every slot this attempt holds (a success, or a refusal)."""
        strategy = limiter.limiter
        for item, identifiers in self.held:
            strategy.hit(item, *identifiers, cost=-1)
        self.held.clear()


def _enabled() -> bool:
    return bool(current_app.config.get("RATELIMIT_ENABLED", True)) and limiter.enabled


def take(account: str, with_address: bool = True) -> Attempt:
    """Count one attempt against the account's limits (and the address's): ``refused`` is
    true when one of them is over, in which case nothing stays counted."""
    attempt = Attempt()
    if not _enabled():
        return attempt
    config = current_app.config
    wanted = [(config["PAD_LOGIN_ACCOUNT_RATE_LIMIT"], ("account", account))]
    if with_address:
        wanted.append((config["PAD_LOGIN_ADDRESS_RATE_LIMIT"], ("address", get_remote_address())))
    strategy = limiter.limiter
    for text, identifiers in wanted:
        for item in parse_many(text):
            key = (NAMESPACE, *identifiers)
            allowed = strategy.hit(item, *key)
            attempt.held.append((item, key))
            if not allowed:
                attempt.refused = True
                attempt.give_back()
                return attempt
    return attempt
