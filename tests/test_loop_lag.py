"""The debug event-loop lag probe sees a blocked loop (off by default: tests/test_access.py)."""

from __future__ import annotations

import asyncio
import gc
import sys
import time
from typing import Any

import pytest


@pytest.fixture
def vl_settings() -> dict[str, Any]:
    return {"loop_lag_probe_ms": 10}


async def test_a_blocked_loop_shows_as_lag(api: Any) -> None:
    await asyncio.sleep(0.1)
    status, first = await api("GET", "debug/loop-lag")
    assert status == 200 and first["interval_ms"] == 10 and first["lag_ms"]
    time.sleep(0.3)  # block the event loop, as a blocking call in a handler would
    await asyncio.sleep(0.05)
    status, second = await api("GET", "debug/loop-lag")
    assert max(second["lag_ms"]) >= 250  # the wake-up due during the block came that late
    status, third = await api("GET", "debug/loop-lag")
    assert status == 200 and all(lag < 250 for lag in third["lag_ms"])  # samples are taken once


async def test_the_garbage_collectors_pauses_are_served(api: Any) -> None:
    await api("GET", "debug/loop-lag")
    gc.collect()  # a full collection holds the GIL, as one triggered by any allocation would
    _, probe = await api("GET", "debug/loop-lag")
    assert [2, "MainThread"] in [
        [gen, thread] for gen, ms, thread, _ in probe["gc_pauses"] if ms >= 0
    ]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="schedstat is Linux's")
async def test_late_wake_ups_say_where_the_loop_thread_was(api: Any) -> None:
    await asyncio.sleep(0.1)
    await api("GET", "debug/loop-lag")
    time.sleep(0.3)  # the loop thread asleep (as when it waits for the GIL)
    await asyncio.sleep(0.05)
    _, slept = await api("GET", "debug/loop-lag")
    lag, on_cpu, waiting, asleep, _ = max(slept["windows"])
    assert lag >= 250 and asleep >= 250 and on_cpu < 100
    spin_until = time.monotonic() + 0.3
    while time.monotonic() < spin_until:  # the loop thread busy (work on the loop)
        pass
    await asyncio.sleep(0.05)
    _, busy = await api("GET", "debug/loop-lag")
    lag, on_cpu, waiting, asleep, _ = max(busy["windows"])
    assert lag >= 250 and on_cpu + waiting >= 250 and asleep < 100
