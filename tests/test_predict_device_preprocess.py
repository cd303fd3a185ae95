"""A detector's tensor processor run "on the model's device" (on CUDA by default: resize,
normalise and pad on the GPU). CI has no GPU, so the path runs with the device the CPU
(``preprocess: device`` on a CPU job): the processor handed the decoded uint8 images as
they are, no host-side resize first, and everything after it the same. Checked against
the host path: the same pixel values and mask, the same detections, in order, with an
unreadable image among the good ones and with the reduced decode."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from PIL import Image

from visionlens_jlab.jobs.device_copy import DeviceCopy
from visionlens_jlab.predict import prepare as prepare_module
from visionlens_jlab.predict.base import PredictError, WorkItem
from visionlens_jlab.predict.loading import load_detector
from visionlens_jlab.predict.prepare import prepare_images
from visionlens_jlab.predict.stream import predict_stream

from .predict_fixtures import cartucho_subset, detections_by_hand, save_tiny_detr
from .test_predict_detector_families import FAMILIES

MIN_SCORE = 0.05


@pytest.fixture(scope="module")
def detr(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_detr(tmp_path_factory.mktemp("models") / "detr")


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    root = cartucho_subset(tmp_path_factory.mktemp("photos"), 5)
    return sorted((root / "images").glob("*.jpg"))


def random_images() -> list[Image.Image]:
    rng = np.random.default_rng(3)
    sizes = [(301, 217), (90, 250), (301, 217)]  # two of one shape: grouped where batched
    return [Image.fromarray(rng.integers(0, 255, (h, w, 3), np.uint8)) for w, h in sizes]


def no_host_resize(*args: Any) -> Any:
    raise AssertionError("the device path must not resize on the host first")


def test_the_processor_on_the_device_makes_the_host_paths_pixels(
    detr: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    loaded = load_detector(str(detr), "cpu")
    images = random_images()
    items = [WorkItem(i, "", 0, 0) for i in range(len(images))]
    host = prepare_images(loaded, items, [(im, "") for im in images], []).inputs

    monkeypatch.setattr(prepare_module, "presized", no_host_resize)
    copier = DeviceCopy("cpu")
    out = prepare_images(loaded, items, [(im, "") for im in images], [], on_device=copier)
    assert out.copied is None  # a CPU: nothing copied, nothing to wait for
    assert torch.equal(out.inputs["pixel_values"], host["pixel_values"])
    assert torch.equal(out.inputs["pixel_mask"], host["pixel_mask"])
    assert tuple(out.inputs["pixel_values"].shape) == (3, 3, 96, 88)  # padded to the largest


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_other_detector_families_make_the_same_inputs_on_the_device_path(
    family: str, tmp_path: Path
) -> None:
    loaded = load_detector(str(FAMILIES[family](tmp_path / family)), "cpu")
    images = random_images()
    items = [WorkItem(i, "", 0, 0) for i in range(len(images))]
    host = prepare_images(loaded, items, [(im, "") for im in images], []).inputs
    device = DeviceCopy("cpu")
    out = prepare_images(loaded, items, [(im, "") for im in images], [], on_device=device)
    assert sorted(out.inputs) == sorted(host) and "pixel_values" in host
    for key, value in host.items():
        assert torch.equal(out.inputs[key], value), key


def boxes(detr: Path, items: list[WorkItem], **extra: Any) -> list[tuple[Any, ...]]:
    request = {"model": str(detr), "task": "detect", "min_score": MIN_SCORE, "batch_size": 2}
    return [m for m in predict_stream({**request, **extra}, items) if m[0] == "boxes"]


def test_device_preprocessing_detects_as_the_host_path_in_order_with_a_bad_image(
    detr: Path, files: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"not a jpeg at all")
    located = [*files[:2], bad, *files[2:]]
    items = [WorkItem(10 + i, str(f), 0, 0) for i, f in enumerate(located)]
    for decode in ("full", "reduced"):
        on_host = boxes(detr, items, preprocess="host", decode=decode)
        with monkeypatch.context() as patched:  # the job takes the device path
            patched.setattr(prepare_module, "presized", no_host_resize)
            on_device = boxes(detr, items, preprocess="device", decode=decode)
        assert [m[1] for m in on_device] == [[10, 11], [13], [14, 15]]  # in order
        assert [[f[0] for f in m[3]] for m in on_device] == [[], [12], []]
        assert "UnidentifiedImageError" in on_device[1][3][0][1]
        assert [m[1] for m in on_device] == [m[1] for m in on_host]
        ours = [row for m in on_device for row in m[2]]
        theirs = [row for m in on_host for row in m[2]]
        assert len(ours) == len(theirs) > 0
        assert [r[:2] for r in ours] == [r[:2] for r in theirs]
        np.testing.assert_allclose([r[2:] for r in ours], [r[2:] for r in theirs], atol=1e-4)
    # and against the model run by hand with its own processor (full decode)
    good = [WorkItem(i, str(f), *Image.open(f).size) for i, f in enumerate(files)]
    got = sorted(
        (files[row[0]].name, *row[1:])
        for m in boxes(detr, good, preprocess="device")
        for row in m[2]
    )
    expected = detections_by_hand(detr, files, 2, MIN_SCORE)
    assert [r[:2] for r in got] == [r[:2] for r in expected]
    np.testing.assert_allclose([r[2:] for r in got], [r[2:] for r in expected], atol=1e-3)


def test_an_unknown_preprocess_place_is_refused(detr: Path, files: list[Path]) -> None:
    with pytest.raises(PredictError, match="unknown preprocess 'gpu'"):
        boxes(detr, [WorkItem(0, str(files[0]), 0, 0)], preprocess="gpu")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_on_cuda_the_processor_runs_on_the_gpu_within_a_level_of_the_host(detr: Path) -> None:
    loaded = load_detector(str(detr), "cuda")
    images = random_images()
    items = [WorkItem(i, "", 0, 0) for i in range(len(images))]
    host = prepare_images(loaded, items, [(im, "") for im in images], []).inputs
    copier = DeviceCopy("cuda")
    out = prepare_images(loaded, items, [(im, "") for im in images], [], on_device=copier)
    copier.wait(out.inputs, out.copied)
    assert out.inputs["pixel_values"].device.type == "cuda" and out.copied is not None
    assert torch.equal(out.inputs["pixel_mask"].cpu(), host["pixel_mask"])
    # the GPU's antialiased resize runs in float and rounds: one uint8 level at most
    step = 1 / 255 / min(loaded.processor.image_std)
    diff = (out.inputs["pixel_values"].cpu() - host["pixel_values"]).abs().max()
    assert float(diff) <= step + 1e-5


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_on_cuda_a_job_preprocessing_on_the_gpu_detects_as_on_the_host(
    detr: Path, files: list[Path]
) -> None:
    items = [WorkItem(i, str(f), 0, 0) for i, f in enumerate(files)]
    cuda = {"device": "cuda", "dtype": "float32"}
    on_host = boxes(detr, items, preprocess="host", **cuda)
    on_device = boxes(detr, items, **cuda)  # auto: on the GPU
    assert [m[1] for m in on_device] == [m[1] for m in on_host] == [[0, 1], [2, 3], [4]]
    ours = [row for m in on_device for row in m[2]]
    theirs = [row for m in on_host for row in m[2]]
    assert len(theirs) > 0
    # Scores within CUDA_SCORE_TOLERANCE, not the CPU's 1e-3: the GPU's resize rounds in
    # float (a level apart, the test above), and on an H200 (2026-11-30) this test failed
    # at 1e-3 while the DETR-R50-shaped benchmark moved scores by up to 7.45e-3 (IoU
    # >= 0.9999); two CUDA processes already differ by 1.55e-3 with the host's pixels
    # (cuDNN's algorithm choice; benchmarks/results/predict.md).
    for a, b in ((theirs, ours), (ours, theirs)):
        for row in a:
            if row[6] < MIN_SCORE + CUDA_SCORE_TOLERANCE:
                continue  # at the threshold: may fall on either side of it
            same = [r for r in b if r[:2] == row[:2] and abs(r[6] - row[6]) <= CUDA_SCORE_TOLERANCE]
            assert max((overlap(row[2:6], r[2:6]) for r in same), default=0.0) >= 0.99, row


CUDA_SCORE_TOLERANCE = 1e-2


def overlap(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    """IoU of two ``(x, y, w, h)`` boxes."""
    w = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    union = a[2] * a[3] + b[2] * b[3] - w * h
    return w * h / union if union > 0 else 1.0
