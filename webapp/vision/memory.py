"""Hand freed memory back to the system after a photo.

glibc's allocator keeps the memory a request freed in its arenas (one per thread under
gunicorn's threads), so a worker that decoded a few large photos kept holding hundreds of
megabytes long after. ``malloc_trim(0)`` returns the free pages; it costs a few
milliseconds, and nothing where the C library is not glibc.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import cache


@cache
def _malloc_trim():
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        return ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):  # not glibc (musl, macOS)
        return None


def release_freed_memory() -> bool:
    """Return the allocator's free memory to the system; ``False`` where it cannot."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
