"""The time bound per request (``c.VisionLensApp.max_request_seconds``, issue #46): a request
whose catalog reads run past it has them interrupted and answers 503 saying why; the request
threads are free again at once and the next request is answered."""

from __future__ import annotations

import time
from typing import Any

import pytest

ENDLESS = "SELECT sum(range) FROM range(10_000_000_000_000)"
"""Hours of work: stands in for a filter costly enough to hold a request thread."""
STOP_BOUND = 60.0
"""Generous: proves the read stops rather than runs on, not how fast it stops."""


@pytest.fixture
def vl_settings() -> dict[str, Any]:
    return {"max_request_seconds": 1.0}


async def test_a_read_past_the_bound_is_interrupted_and_answers_503(
    api: Any, vl_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalog = vl_app.catalog
    list_datasets = type(catalog).list_datasets

    def endless_listing(self: Any) -> Any:
        with self.cursor() as cur:
            cur.execute(ENDLESS).fetchall()
        return list_datasets(self)

    monkeypatch.setattr(type(catalog), "list_datasets", endless_listing)
    started = time.monotonic()
    status, answer = await api("GET", "datasets")
    took = time.monotonic() - started
    assert status == 503, answer
    assert "c.VisionLensApp.max_request_seconds" in str(answer), answer
    assert took < STOP_BOUND, took  # interrupted, not run to its end
    monkeypatch.undo()
    status, answer = await api("GET", "datasets")
    assert status == 200, answer
