"""The accelerator lease, out-of-memory batch halving and reduced dtypes, on the CPU with real
tiny models built here: a random torchvision Faster R-CNN (state_dict by path) and a random
open_clip model (checkpoint folder), run through the job streams users run."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any, cast

import numpy as np
import pytest

from visionlens_jlab.catalog import Catalog
from visionlens_jlab.embed.models import parse_model
from visionlens_jlab.embed.stream import embed_stream
from visionlens_jlab.jobs.accelerator import MODELS, AcceleratorError, BatchSizer
from visionlens_jlab.predict import loading as loading_module
from visionlens_jlab.predict.base import PredictOptions, WorkItem
from visionlens_jlab.predict.job import run_prediction
from visionlens_jlab.predict.stream import predict_stream

from .embed_fixtures import save_tiny_clip
from .predict_fixtures import cartucho_subset, photo_catalog

N_IMAGES = 5
FASTER = "fasterrcnn_mobilenet_v3_large_320_fpn"
CLASSES = ("potted plant", "sofa", "zebra")


def save_spread_faster(path: Path, seed: int = 0) -> Path:
    """A random Faster R-CNN whose class scores vary between boxes (a random head answers
    nearly uniform scores, which leaves nothing above a threshold to compare)."""
    import torch
    from torchvision.models import get_model

    torch.manual_seed(seed)
    model = get_model(FASTER, weights=None, weights_backbone=None, num_classes=len(CLASSES) + 1)
    with torch.no_grad():
        model.roi_heads.box_predictor.cls_score.weight.normal_(0.0, 20.0)
        model.roi_heads.box_predictor.cls_score.bias.copy_(torch.tensor([-1.0, 0.0, 0.0, 0.0]))
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(model.eval().state_dict(), path)
    return path


@pytest.fixture(scope="module")
def photos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return cartucho_subset(tmp_path_factory.mktemp("photos"), N_IMAGES)


@pytest.fixture(scope="module")
def weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_spread_faster(tmp_path_factory.mktemp("faster") / "faster.pth")


@pytest.fixture
def catalog(tmp_path: Path, photos: Path) -> Iterator[Catalog]:
    with photo_catalog(tmp_path / "data", photos) as cat:
        yield cat


def detect_request(weights: Path, **extra: Any) -> dict[str, Any]:
    return {
        "model": f"torchvision:{FASTER}={weights}",
        "task": "detect",
        "device": "cpu",
        "batch_size": 2,
        "min_score": 0.5,
        "prompts": [],
        "classes": list(CLASSES),
        **extra,
    }


def detect_items(photos: Path) -> list[WorkItem]:
    files = sorted((photos / "images").glob("*.jpg"))
    assert len(files) == N_IMAGES
    return [WorkItem(i, str(f), 0, 0) for i, f in enumerate(files)]


def test_two_jobs_in_sequence_never_hold_two_models(
    photos: Path, weights: Path, tmp_path: Path
) -> None:
    """A detector job, then an embedding job cut off after its first batch, then a detector
    job started from another thread while the embedding job still holds the lease."""
    items = detect_items(photos)
    clip = parse_model(None, str(save_tiny_clip(tmp_path / "clip"))).to_json()
    assert MODELS.resident() == []
    first = predict_stream(detect_request(weights), items)
    assert next(first)[0] == "meta"
    (key,) = MODELS.resident()
    assert key.startswith("detect torchvision:")
    detector = weakref.ref(MODELS.model().model)
    messages = list(first)
    assert sum(len(m[1]) for m in messages if m[0] == "boxes") == N_IMAGES
    kind, done = messages[-1]
    assert kind == "done" and done["batch_size"] == 2 and 1 <= done["read_ahead"] <= 4
    assert MODELS.resident() == []  # the lease ends with the job

    pairs = [(i, loc) for i, loc, _, _ in items]
    second = cast(Generator[tuple, None, None], embed_stream(clip, pairs, "cpu", 2))
    assert next(second)[0] == "meta"
    assert detector() is None  # unloaded before the next model loaded
    (key,) = MODELS.resident()
    assert key.startswith("embed ")
    embedder = weakref.ref(MODELS.model())
    assert next(second)[0] == "vectors"

    seen: dict[str, Any] = {}

    def third_job() -> None:  # waits for the lease the embedding job holds
        stream = cast(Generator[tuple, None, None], predict_stream(detect_request(weights), items))
        next(stream)
        seen["resident"], seen["embedder alive"] = MODELS.resident(), embedder() is not None
        stream.close()

    thread = threading.Thread(target=third_job)
    thread.start()
    second.close()  # cut off, as a cancelled job's stream is
    del second
    thread.join()
    assert len(seen["resident"]) == 1 and seen["resident"][0].startswith("detect ")
    assert seen["embedder alive"] is False
    assert MODELS.resident() == []


def wrap_out_of_memory(limit: int) -> Any:
    """A ``load_detector`` whose real detector raises torch's own ``torch.OutOfMemoryError``
    for batches of more than ``limit`` images (what CUDA raises when a batch does not fit)."""
    import torch

    real_load = loading_module.load_detector

    class RaisesAbove(torch.nn.Module):
        def __init__(self, net: Any) -> None:
            super().__init__()
            self.net = net

        def forward(self, images: list[Any]) -> Any:
            if len(images) > limit:
                raise torch.OutOfMemoryError(
                    f"CUDA out of memory. Tried to allocate {len(images)} images"
                )
            return self.net(images)

    def load(*args: Any, **kwargs: Any) -> Any:
        loaded = real_load(*args, **kwargs)
        loaded.model = RaisesAbove(loaded.model)
        return loaded

    return load


def stored(catalog: Catalog, source: str) -> list[tuple]:
    with catalog.cursor() as cur:
        return sorted(
            cur.execute(
                "SELECT sample_id, label, x, y, w, h, score FROM annotations WHERE source = ?",
                [source],
            ).fetchall()
        )


def test_out_of_memory_halves_the_batch_and_keeps_the_predictions(
    catalog: Catalog, weights: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A genuine exception path: the real detector, wrapped so that batches of more than two
    images raise torch's real ``OutOfMemoryError`` type, as CUDA does. The batch of 8 is
    retried at 4, then 2; the job keeps 2 and reports it, and its predictions equal a run
    asked for batches of 2 (the same images in each forward pass)."""
    model = f"torchvision:{FASTER}={weights}"
    plain = PredictOptions("photos", model, name="plain", classes=CLASSES, batch_size=2)
    expected = run_prediction(None, catalog, plain, predict_stream)
    monkeypatch.setattr(loading_module, "load_detector", wrap_out_of_memory(2))
    options = PredictOptions("photos", model, name="halved", classes=CLASSES, batch_size=8)
    result = run_prediction(None, catalog, options, predict_stream)
    assert (result["processed"], result["batch_size"]) == (N_IMAGES, 2)
    assert expected["batch_size"] == 2
    rows, want = stored(catalog, "halved"), stored(catalog, "plain")
    assert len(rows) == len(want) > 0
    assert rows == want

    monkeypatch.setattr(loading_module, "load_detector", wrap_out_of_memory(0))
    never = PredictOptions("photos", model, name="never", classes=CLASSES, batch_size=4)
    with pytest.raises(AcceleratorError, match="even one image at a time.*--device cpu"):
        run_prediction(None, catalog, never, predict_stream)
    assert stored(catalog, "never") == []
    assert MODELS.resident() == []


def test_a_sizer_passes_other_errors_through_and_never_grows() -> None:
    import torch

    sizer = BatchSizer(4, "tiny")
    linear = torch.nn.Linear(3, 2)

    def forward(rows: Any) -> Any:
        if len(rows) > 1:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory")
        return linear(rows)

    x = torch.randn(5, 3)
    with torch.inference_mode():
        out = torch.cat(sizer.run(x, forward))
        np.testing.assert_allclose(out.numpy(), linear(x).numpy(), rtol=1e-6)
    assert (sizer.size, sizer.halved) == (1, True)

    def refuse(rows: Any) -> Any:
        raise ValueError("not memory")

    with pytest.raises(ValueError, match="not memory"):
        sizer.run(x, refuse)


def boxes_of(messages: list[tuple]) -> dict[int, list[tuple]]:
    out: dict[int, list[tuple]] = {}
    for message in messages:
        if message[0] == "boxes":
            for row in message[2]:
                out.setdefault(row[0], []).append(row[1:])
    return out


def iou(a: tuple, b: tuple) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    w = max(0.0, min(ax + aw, bx + bw) - max(ax, bx))
    h = max(0.0, min(ay + ah, by + bh) - max(ay, by))
    inter = w * h
    return inter / (aw * ah + bw * bh - inter)


def test_a_torchvision_detector_runs_in_bfloat16_on_the_cpu_close_to_float32(
    photos: Path, weights: Path
) -> None:
    """bf16 autocast against float32: each float32 box (score ≥ 0.5) is matched one to one
    with a bf16 box of the same label by IoU. A random detector answers many near-duplicate
    boxes of nearly equal score, so bf16 rounding may swap a few of them: most, not all,
    must match, with the same score to 0.02."""
    items = detect_items(photos)
    full = list(predict_stream(detect_request(weights, dtype="float32"), items))
    low = list(predict_stream(detect_request(weights, dtype="bfloat16"), items))
    assert (full[0][1]["dtype"], low[0][1]["dtype"]) == ("float32", "bfloat16")
    reference, reduced = boxes_of(full), boxes_of(low)
    assert reference.keys() == reduced.keys() and reference
    matched = total = 0
    for sample_id, rows in reference.items():
        free = list(reduced[sample_id])
        for label, *box, score in rows:
            total += 1
            scored = [(iou(tuple(box), tuple(r[1:5])), r) for r in free if r[0] == label]
            overlap, best = max(scored, key=lambda pair: pair[0], default=(0.0, None))
            if best is not None and overlap >= 0.9:
                assert abs(best[5] - score) <= 0.02
                free.remove(best)
                matched += 1
    assert total > 0 and matched >= 0.75 * total
    assert any(reference[s] != reduced[s] for s in reference)  # bf16 really ran


def test_an_unknown_dtype_is_refused_naming_the_choices() -> None:
    from visionlens_jlab.predict.base import PredictError

    with pytest.raises(PredictError, match="auto, float32, bfloat16, float16"):
        PredictOptions("photos", "torchvision:x", dtype="half")
