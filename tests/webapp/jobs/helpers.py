"""Shared by the job tests: the test lease, the imported file's size and IDs, polling."""

from __future__ import annotations

import time
from collections.abc import Callable

#: A running job silent for this long is dead (the workers beat every lease / 6).
TEST_LEASE_SECONDS = 2
IMPORT_ROWS = 20_000
FIRST_ID = 2_000_001


def wait_until(condition: Callable[[], bool], timeout: float, step: float = 0.05) -> bool:
    """Poll ``condition`` until it holds (True) or ``timeout`` seconds pass (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()
