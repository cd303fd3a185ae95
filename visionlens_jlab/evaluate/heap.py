"""Hand the C heap's free memory back to the system between the evaluation's big steps."""

from __future__ import annotations

import ctypes
import functools
from collections.abc import Callable


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None where the C library has none (macOS, musl).

    Looked up among the symbols the interpreter already has (``CDLL(None)``: the C library it
    links), the same function as ``find_library("c")``'s library gives, without
    ``ctypes.util``: it imports ``subprocess`` and runs ``ldconfig`` (~7 ms of an evaluation's
    start)."""
    try:
        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError, TypeError):  # TypeError: Windows loads no ``None``
        return None


def trim_heap() -> None:
    """Return the heap pages freed arrays left behind to the system.

    glibc raises its mmap threshold (up to 32 MB) each time a large block is freed, so the
    arrays of later steps come from the heap and, once freed, stay in the process: ~110 MB
    after matching 100K segm images, which the next steps would add to."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
