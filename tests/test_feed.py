"""The model jobs' pipeline (visionlens_jlab/jobs/feed.py, on jobs/read_ahead.py) with a
fake slow model: a preprocess that sleeps a random time per batch and a forward pass that
sleeps too. Results come in the items' order whatever order the preparations end in; the
batches prepared ahead never exceed the bound or the memory budget (the producers wait);
closing mid-job returns quickly and leaves no producer thread; an out-of-memory error
(torch's real exception type) halves the batch and the results equal a run without it."""

from __future__ import annotations

import random
import threading
import time
from typing import Any

import numpy as np
import pytest
import torch

from visionlens_jlab.jobs.accelerator import AcceleratorError, BatchSizer
from visionlens_jlab.jobs.device_copy import DeviceCopy
from visionlens_jlab.jobs.feed import Feed
from visionlens_jlab.jobs.read_ahead import payload_bytes


class SlowModel:
    """Prepares a batch in a random 0..``prepare_s`` (seconds) and computes it in
    ``forward_s``; counts the batches prepared and not yet computed, and raises torch's
    out-of-memory error on batches larger than ``fits`` (if set)."""

    def __init__(
        self, prepare_s: float, forward_s: float, fits: int | None = None, seed: int = 0
    ) -> None:
        self.prepare_s, self.forward_s, self.fits = prepare_s, forward_s, fits
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.waiting = self.most_waiting = self.prepared = 0
        self.finish_order: list[int] = []
        self.oom = 0

    def prepare(self, batch: list[int]) -> np.ndarray:
        with self.lock:
            delay = self.rng.uniform(0, self.prepare_s)
        time.sleep(delay)
        with self.lock:
            self.prepared += 1
            self.waiting += 1
            self.most_waiting = max(self.most_waiting, self.waiting)
            self.finish_order.append(batch[0])
        return np.asarray(batch, dtype=np.float64)

    def compute(self, batch: list[int], pixels: np.ndarray) -> list[float]:
        with self.lock:
            self.waiting -= 1
        assert pixels.tolist() == batch  # the prepared batch is the one computed
        if self.fits is not None and len(batch) > self.fits:
            self.oom += 1
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        time.sleep(self.forward_s)
        return (pixels * 2 + 1).tolist()


def run(model: SlowModel, n: int, size: int, **options: object) -> tuple[list[float], Feed]:
    items = list(range(n))
    feed = Feed(items, BatchSizer(size, "slow model"), model.prepare, model.compute, **options)  # type: ignore[arg-type]
    out: list[float] = []
    for result in feed:
        out.extend(result)
    return out, feed


def test_results_keep_the_items_order_when_preparations_finish_shuffled() -> None:
    model = SlowModel(prepare_s=0.06, forward_s=0.005, seed=3)
    out, feed = run(model, 60, 3, max_depth=4)
    assert out == [2.0 * i + 1 for i in range(60)]
    firsts = [i for i in model.finish_order]
    assert firsts != sorted(firsts)  # preparations did end out of order
    assert feed.deepest > 1  # preparing was the slower stage: more than one ahead


def test_producers_wait_at_the_bound_when_the_model_is_slow() -> None:
    model = SlowModel(prepare_s=0.002, forward_s=0.03)
    out, feed = run(model, 40, 2, max_depth=3)
    assert out == [2.0 * i + 1 for i in range(40)]
    # the model is the slower stage: one batch ahead, and never more than the bound ready
    assert feed.deepest == 1
    assert model.most_waiting <= 3
    assert feed.ahead.most_ahead <= 3


def test_a_memory_budget_lowers_the_bound_to_the_batches_it_holds() -> None:
    model = SlowModel(prepare_s=0.05, forward_s=0.001)
    batch_bytes = 4 * 8  # four float64 per batch
    out, feed = run(model, 80, 4, max_depth=8, memory_budget=2 * batch_bytes)
    assert out == [2.0 * i + 1 for i in range(80)]
    assert feed.ahead.batch_bytes == batch_bytes
    assert feed.ahead.bound() == 2 and feed.deepest == 2
    assert model.most_waiting <= 3  # two ahead and the one the model holds


def test_closing_mid_job_stops_the_producers_promptly_and_joins_them() -> None:
    model = SlowModel(prepare_s=0.05, forward_s=0.05)
    before = {t.ident for t in threading.enumerate()}
    feed = Feed(list(range(10_000)), BatchSizer(4, "slow"), model.prepare, model.compute)
    iterator = feed.__iter__()
    for _ in range(5):
        next(iterator)
    t0 = time.perf_counter()
    iterator.close()  # what a cancelled job's stream does
    closed_in = time.perf_counter() - t0
    assert closed_in < 1.0  # at most one preparation per producer was waited for
    left = [t for t in threading.enumerate() if t.ident not in before]
    assert left == []
    prepared = model.prepared
    time.sleep(0.2)
    assert model.prepared == prepared < 5 + 4 + 1  # nothing started after the close


def test_out_of_memory_halves_the_batch_and_keeps_order_and_results() -> None:
    expected, _ = run(SlowModel(0.004, 0.0), 37, 8)
    model = SlowModel(prepare_s=0.004, forward_s=0.0, fits=3)
    out, feed = run(model, 37, 8)
    assert out == expected == [2.0 * i + 1 for i in range(37)]
    assert feed.sizer.size == 2 and feed.sizer.halved  # 8 → 4 → 2, kept for the rest
    assert model.oom == 2


def test_out_of_memory_at_one_item_fails_saying_what_to_do() -> None:
    with pytest.raises(AcceleratorError, match="even one image at a time"):
        run(SlowModel(0.0, 0.0, fits=0), 5, 4)


def test_a_failed_preparation_reaches_the_job_and_stops_the_producers() -> None:
    def prepare(batch: list[int]) -> list[int]:
        if 12 in batch:
            raise OSError("unreadable image 12")
        return batch

    before = {t.ident for t in threading.enumerate()}
    got: list[int] = []
    feed = Feed(list(range(40)), BatchSizer(4, "m"), prepare, lambda b, p: p)
    with pytest.raises(OSError, match="unreadable image 12"):
        for batch in feed:
            got.extend(batch)
    assert got == list(range(12))
    assert [t for t in threading.enumerate() if t.ident not in before] == []


def test_payload_bytes_counts_arrays_tensors_and_what_holds_them() -> None:
    class Prepared:
        def __init__(self) -> None:
            self.ids = [1, 2]
            self.inputs = {"pixel_values": torch.zeros(2, 3, 4, 4), "mask": np.zeros(5, np.uint8)}

    assert payload_bytes(Prepared()) == 2 * 3 * 4 * 4 * 4 + 5
    assert payload_bytes([np.zeros((2, 2), np.float32), b"abc", "text"]) == 16 + 3


def test_device_copies_are_no_ops_on_the_cpu() -> None:
    copier = DeviceCopy("cpu")
    inputs = {"pixel_values": torch.ones(2, 3), "ids": [torch.zeros(1)]}
    sent, event = copier.send(inputs)
    assert not copier.active and sent is inputs and event is None
    copier.wait(sent, event)  # nothing to wait for


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_device_copies_arrive_on_the_gpu_equal_after_waiting() -> None:
    copier = DeviceCopy("cuda")
    inputs: dict[str, Any] = {"pixel_values": torch.rand(4, 3, 64, 64), "rows": [torch.arange(5)]}
    sent, event = copier.send(inputs)
    copier.wait(sent, event)
    assert isinstance(sent, dict)
    assert sent["pixel_values"].device.type == "cuda"
    assert torch.equal(sent["pixel_values"].cpu(), inputs["pixel_values"])
    assert torch.equal(sent["rows"][0].cpu(), inputs["rows"][0])
