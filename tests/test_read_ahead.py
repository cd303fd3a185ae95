"""Batches prepared ahead of the model (visionlens_jlab/jobs/read_ahead.py): in order, as
many at once as preparing is slower than consuming, never more than the bound, stopped
when the consumer stops, a failure handed to the consumer."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from visionlens_jlab.jobs.read_ahead import ReadAhead


class Batches:
    """Cuts ``n`` one-number batches; prepares each in ``prepare_s``, counting how many
    are prepared at the same moment and how many were prepared and not yet consumed."""

    def __init__(self, n: int, prepare_s: float) -> None:
        self.left = list(range(n))
        self.prepare_s = prepare_s
        self.lock = threading.Lock()
        self.running = self.most_running = self.started = 0
        self.ready_unconsumed = self.most_unconsumed = 0

    def cut(self) -> list[int] | None:
        return [self.left.pop(0)] if self.left else None

    def prepare(self, batch: list[int]) -> list[int]:
        with self.lock:
            self.started += 1
            self.running += 1
            self.most_running = max(self.most_running, self.running)
        time.sleep(self.prepare_s)
        with self.lock:
            self.running -= 1
            self.ready_unconsumed += 1
            self.most_unconsumed = max(self.most_unconsumed, self.ready_unconsumed)
        return [x * 10 for x in batch]

    def consumed(self) -> None:
        with self.lock:
            self.ready_unconsumed -= 1


def consume(batches: Batches, ahead: ReadAhead, consume_s: float) -> list[int]:
    out = []
    for batch, prepared, waited in ahead:
        batches.consumed()
        assert prepared == [x * 10 for x in batch] and waited >= 0
        out.extend(batch)
        time.sleep(consume_s)
    return out


def reader(batches: Batches, max_depth: int = 4) -> ReadAhead:
    prepare: Callable[[list[int]], list[int]] = batches.prepare
    return ReadAhead(batches.cut, prepare, max_depth=max_depth)


def test_slow_preparation_is_spread_over_more_threads_up_to_the_bound() -> None:
    batches = Batches(40, prepare_s=0.08)
    ahead = reader(batches, max_depth=3)
    assert consume(batches, ahead, consume_s=0.01) == list(range(40))
    assert ahead.deepest == 3
    assert batches.most_running == 3
    assert batches.most_unconsumed <= 3


def test_a_slow_consumer_keeps_one_batch_ahead() -> None:
    batches = Batches(12, prepare_s=0.001)
    ahead = reader(batches)
    assert consume(batches, ahead, consume_s=0.1) == list(range(12))
    assert ahead.deepest == 1 and batches.most_running == 1
    assert batches.most_unconsumed <= 2  # the one consumed and the one ahead


def test_stopping_early_starts_no_more_batches() -> None:
    batches = Batches(100, prepare_s=0.05)
    ahead = reader(batches, max_depth=4)
    seen = 0
    for _ in ahead:
        batches.consumed()
        seen += 1
        if seen == 6:
            break
    started = batches.started
    time.sleep(0.3)
    assert batches.started == started <= seen + 4
    assert len(batches.left) >= 100 - seen - 4


def test_a_failed_preparation_reaches_the_consumer() -> None:
    def prepare(batch: list[int]) -> list[int]:
        if batch == [3]:
            raise ValueError("unreadable batch 3")
        return batch

    batches = Batches(8, 0.0)
    got = []
    with pytest.raises(ValueError, match="unreadable batch 3"):
        for batch, _, _ in ReadAhead(batches.cut, prepare, max_depth=2):
            got.extend(batch)
    assert got == [0, 1, 2]
