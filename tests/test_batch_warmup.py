"""``--batch-size auto``: the batch size found on a job's first batches
(visionlens_jlab/jobs/batch_warmup.py through jobs/accelerator.py's BatchSizer and
jobs/feed.py's Feed), with a tiny random torch model built here.

Which size wins is decided on a clock the test's model advances by a cost it states (a
fixed cost per batch, or per image), so the decision does not hang on this machine's load;
the outputs are the model's real ones. The out-of-memory back-off is met for real: a child
process under an address-space limit (``RLIMIT_AS``, what ``ulimit -v`` sets) runs a
convolution whose activations outgrow it, and torch's CPU allocator fails the allocation.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import torch

from visionlens_jlab.cli.common import batch_size_option
from visionlens_jlab.jobs.accelerator import BatchSizer
from visionlens_jlab.jobs.batch_warmup import BatchWarmUp
from visionlens_jlab.jobs.feed import Feed
from visionlens_jlab.jobs.job import Job, JobContext
from visionlens_jlab.predict.base import PredictError, PredictOptions
from visionlens_jlab.predict.job import run_prediction
from visionlens_jlab.predict.stream import predict_stream

from .predict_fixtures import cartucho_subset, photo_catalog, save_tiny_torchvision


class CostedModel:
    """A random two-layer network over item ``i``'s input ``inputs[i]``; each batch
    advances ``now`` by ``per_batch + per_image * n`` (seconds) and records its items."""

    def __init__(self, per_batch: float, per_image: float) -> None:
        torch.manual_seed(0)
        self.net = torch.nn.Sequential(
            torch.nn.Linear(16, 32), torch.nn.ReLU(), torch.nn.Linear(32, 4)
        )
        self.inputs = torch.randn(200, 16)
        self.per_batch, self.per_image = per_batch, per_image
        self.now = 0.0
        self.computed: list[int] = []
        self.sizes: list[int] = []

    def clock(self) -> float:
        return self.now

    def prepare(self, batch: list[int]) -> torch.Tensor:
        return self.inputs[batch]

    def compute(self, batch: list[int], x: torch.Tensor) -> list[list[float]]:
        with torch.inference_mode():
            out = self.net(x)
        self.now += self.per_batch + self.per_image * len(batch)
        self.computed.extend(batch)
        self.sizes.append(len(batch))
        return out.tolist()


def run_auto(model: CostedModel, n: int, start: int, largest: int) -> tuple[list[Any], BatchSizer]:
    sizer = BatchSizer(start, "tiny", warm_up=BatchWarmUp(largest, clock=model.clock))
    feed = Feed(list(range(n)), sizer, model.prepare, model.compute)
    out: list[Any] = []
    for result in feed:
        out.extend(result)
    return out, sizer


def by_hand(model: CostedModel, n: int) -> torch.Tensor:
    with torch.inference_mode():
        return torch.cat([model.net(model.inputs[i : i + 1]) for i in range(n)])


def test_a_fixed_cost_per_batch_grows_the_batch_to_the_largest() -> None:
    model = CostedModel(per_batch=1.0, per_image=0.001)
    out, sizer = run_auto(model, 150, 2, 16)
    assert sizer.size == 16 and sizer.warm_up is not None and sizer.warm_up.settled
    assert set(sizer.warm_up.rates) == {2, 4, 8, 16}
    assert sorted(model.computed) == model.computed == list(range(150))  # none lost or twice
    assert 16 in model.sizes and max(model.sizes) == 16
    assert torch.allclose(torch.tensor(out), by_hand(model, 150), atol=1e-6)
    report = sizer.report()
    assert report["batch_size"] == 16 and report["warm_up"]["settled"] is True


def test_a_cost_per_image_keeps_the_starting_size() -> None:
    """Doubling buys nothing when every image costs the same: back to the size before."""
    model = CostedModel(per_batch=0.0, per_image=0.01)
    out, sizer = run_auto(model, 60, 4, 32)
    assert sizer.size == 4 and sizer.warm_up is not None and sizer.warm_up.settled
    assert set(sizer.warm_up.rates) == {4, 8}
    assert model.computed == list(range(60))
    assert torch.allclose(torch.tensor(out), by_hand(model, 60), atol=1e-6)


def test_a_gain_below_the_margin_is_not_taken() -> None:
    """From 4 to 8 the rate rises 25%, from 8 to 16 only 5%: 8 is kept."""
    model = CostedModel(per_batch=0.0, per_image=0.0)
    costs = {4: 4 / 100, 8: 8 / 125, 16: 16 / 131.25}  # 100, 125, 131.25 images/s
    compute = model.compute

    def costed(batch: list[int], x: torch.Tensor) -> list[list[float]]:
        model.now += costs.get(len(batch), 0.0)
        return compute(batch, x)

    model.compute = costed  # type: ignore[method-assign]
    out, sizer = run_auto(model, 120, 4, 64)
    assert sizer.size == 8
    assert sizer.warm_up is not None and sizer.warm_up.rates == pytest.approx(
        {4: 100.0, 8: 125.0, 16: 131.25}
    )
    assert model.computed == list(range(120))


def test_a_fixed_batch_size_does_not_grow() -> None:
    model = CostedModel(per_batch=1.0, per_image=0.0)
    sizer = BatchSizer(4, "tiny")
    out: list[Any] = []
    for result in Feed(list(range(40)), sizer, model.prepare, model.compute):
        out.extend(result)
    assert set(model.sizes) == {4} and sizer.report() == {"batch_size": 4}


CHILD = """
import json, os, resource, sys
import torch
from visionlens_jlab.jobs.accelerator import BatchSizer
from visionlens_jlab.jobs.batch_warmup import BatchWarmUp
from visionlens_jlab.jobs.feed import Feed

torch.set_num_threads(1)
torch.manual_seed(0)
conv = torch.nn.Conv2d(1, 16, 3, padding=1)
inputs = torch.randn(64, 1, 256, 256)  # each image's activations: 16 x 256 x 256 x 4 B = 4 MiB

def forward(x):
    with torch.inference_mode():
        return conv(x).relu().sum(dim=(1, 2, 3))

alone = [float(forward(inputs[i : i + 1])[0]) for i in range(len(inputs))]
vm = int(next(l for l in open("/proc/self/status") if l.startswith("VmSize")).split()[1]) * 1024
limit = vm + int(sys.argv[1]) * 2**20
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
computed, sizes, failed, events = [], [], [], []

def compute(batch, x):
    try:
        out = forward(x).tolist()
    except RuntimeError as exc:
        failed.append(len(batch))
        events.append(-len(batch))
        raise
    computed.extend(batch)
    sizes.append(len(batch))
    events.append(len(batch))
    return out

# margin -1: every doubling "pays", so only memory stops the growth
sizer = BatchSizer(1, "conv", warm_up=BatchWarmUp(64, margin=-1.0))
feed = Feed(list(range(len(inputs))), sizer, lambda b: inputs[b], compute, max_depth=1)
out = [v for result in feed for v in result]
print(json.dumps({"out": out, "alone": alone, "computed": computed, "sizes": sizes,
                  "failed": failed, "events": events, "report": sizer.report()}))
"""


def test_a_real_allocation_limit_backs_the_batch_off_without_losing_an_image(
    tmp_path: Path,
) -> None:
    script = tmp_path / "child.py"
    script.write_text(textwrap.dedent(CHILD))
    repo = str(Path(__file__).resolve().parents[1])
    # one malloc arena: a thread's own 64 MiB arena would eat the headroom unpredictably
    env = {**os.environ, "PYTHONPATH": repo, "MALLOC_ARENA_MAX": "1", "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, str(script), "96"], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    got = json.loads(done.stdout)
    assert got["failed"], got  # a batch did outgrow the limit: the allocator failed it
    too_big = min(got["failed"])
    chosen = got["report"]["batch_size"]
    assert chosen < too_big and got["report"]["warm_up"]["settled"] is True
    # after the first failure no batch that large runs again (before it, the same size may
    # have fitted once: the address space the allocator has left varies from run to run)
    first_failure = next(k for k, n in enumerate(got["events"]) if n < 0)
    after = [n for n in got["events"][first_failure + 1 :] if n > 0]
    assert after and max(after) < -got["events"][first_failure] and chosen in got["sizes"]
    assert got["computed"] == list(range(64))  # every image once, in order
    assert got["out"] == pytest.approx(got["alone"], rel=1e-4, abs=1e-3)


def test_a_detector_job_with_auto_reports_its_warm_up(tmp_path: Path) -> None:
    """The real predict job and stream (a random torchvision detector, 12 photos, CPU):
    ``auto`` measures the device default's rate, reports the size and the warm-up in the
    result and the progress, and stores what a fixed batch of 4 stores."""
    builder = "fasterrcnn_mobilenet_v3_large_320_fpn"
    weights = save_tiny_torchvision(tmp_path / "faster.pth", builder, 4)
    model = f"torchvision:{builder}={weights}"
    photos = cartucho_subset(tmp_path / "photos", 12)
    with photo_catalog(tmp_path / "data", photos) as catalog:
        same = {"device": "cpu", "classes": ("a", "b", "c"), "min_score": 0.05}
        fixed = PredictOptions("photos", model, name="fixed", batch_size=4, **same)  # type: ignore[arg-type]
        run_prediction(None, catalog, fixed, predict_stream)
        job = Job("j", "predict", "auto")
        seen: list[str] = []
        ctx = JobContext(job)
        items = ctx.items

        def noted(stage: str, done: int, total: int, message: str = "", **kw: Any) -> None:
            seen.append(message)
            items(stage, done, total, message, **kw)

        ctx.items = noted  # type: ignore[method-assign]
        auto = PredictOptions("photos", model, name="auto", batch_size="auto", **same)  # type: ignore[arg-type]
        result = run_prediction(ctx, catalog, auto, predict_stream)
        with catalog.cursor() as cur:
            query = (
                "SELECT sample_id, label, x, y, w, h, score FROM annotations "
                "WHERE source = ? ORDER BY ALL"
            )
            want = cur.execute(query, ["fixed"]).fetchall()
            got = cur.execute(query, ["auto"]).fetchall()
    assert result["processed"] == 12
    warm_up = result["batch_warm_up"]
    assert "4" in warm_up["images_per_second"]  # two full batches of the CPU default: measured
    assert result["batch_size"] in (4, 8)  # kept, or doubled for the batches cut after
    assert any(m.endswith(f"batch {result['batch_size']}") for m in seen)
    assert len(got) == len(want) > 0
    for a, b in zip(got, want, strict=True):
        assert a[:2] == b[:2] and a[2:] == pytest.approx(b[2:], rel=1e-3, abs=1e-3)
    with pytest.raises(PredictError, match="an integer or auto, got 'big'"):
        PredictOptions("photos", model, batch_size="big")


def test_the_cli_option_takes_a_number_or_auto() -> None:
    assert batch_size_option("auto") == "auto" and batch_size_option("16") == 16
    for bad in ("0", "-2", "many"):
        with pytest.raises(argparse.ArgumentTypeError, match="a positive number or auto"):
            batch_size_option(bad)
