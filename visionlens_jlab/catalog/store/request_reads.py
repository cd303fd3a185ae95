"""Small reads made once per request: the first answer stands for the whole request.

A filtered facets request at 1M images used to run the same small statements several
times (the index token four times, the latest evaluations three times), 0.5-1 ms each on
a loaded machine. Inside :func:`reads_once` (the facets request opens it around its
cursor), :func:`read_once` runs each read once and hands every later caller in the same
request the same answer. The answer is still one the request's own cursor read, so the
rule of the in-memory indexes holds: an index is used only while the token read in the
request's own statements is its label; and every part of the request agrees on one
reading of each value, instead of reading it again a moment later. Outside a
:func:`reads_once` scope (builds in their own snapshot, writers), every call reads.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import duckdb

T = TypeVar("T")

_MEMOS: weakref.WeakKeyDictionary[duckdb.DuckDBPyConnection, dict[Hashable, Any]]
_MEMOS = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


@contextmanager
def reads_once(cur: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Within this block, :func:`read_once` on ``cur`` reads each key once."""
    with _LOCK:
        _MEMOS[cur] = {}
    try:
        yield
    finally:
        with _LOCK:
            _MEMOS.pop(cur, None)


def read_once(cur: duckdb.DuckDBPyConnection, key: Hashable, read: Callable[[], T]) -> T:
    """``read()``, or its answer from earlier in the same :func:`reads_once` block."""
    with _LOCK:
        memo = _MEMOS.get(cur)
        if memo is not None and key in memo:
            return memo[key]
    value = read()
    if memo is not None:
        memo[key] = value
    return value


def forget(cur: duckdb.DuckDBPyConnection, key: Hashable) -> None:
    """Read ``key`` again next time: the request itself changed it (a token it created)."""
    with _LOCK:
        memo = _MEMOS.get(cur)
        if memo is not None:
            memo.pop(key, None)
