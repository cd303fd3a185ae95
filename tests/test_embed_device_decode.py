"""JPEG decoding on the model's device (issue #50 item 1): nvJPEG on a GPU, and the same
code on the CPU through torchvision's libjpeg decoder, the stand-in run here (CI has no
GPU). The device's pixels must be Pillow's of the full-size image (within the rounding of
two decoders and resamplers), for every EXIF orientation, both fits
(centre crop, squash) and odd sizes; what nvJPEG cannot take (PNG, CMYK JPEG, a file it
fails on) goes to the host; unreadable files are reported in their batch's order; and an
embedding job decoding on the device gives the host path's vectors."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from visionlens_jlab.embed.base import EmbedError
from visionlens_jlab.embed.decode import InputSpec, decode, fit
from visionlens_jlab.embed.device_decode import DeviceDecoder, target_size
from visionlens_jlab.embed.models import parse_model
from visionlens_jlab.embed.stream import embed_stream
from visionlens_jlab.predict.base import PredictError, WorkItem
from visionlens_jlab.predict.stream import predict_stream

from .embed_fixtures import photos, save_tiny_clip

pytest.importorskip("torchvision")

MAX_MEAN_DIFF = 0.5
"""Mean absolute difference (of 255) allowed between the device's pixels and Pillow's of
the full-size decode (measured: 0.10-0.17). The host path's own decode is DCT-scaled
(a 640x480 JPEG at half size for a 224 px model), 2-3 levels from either."""


def _jpeg(image: Image.Image, orientation: int = 1, mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    exif = Image.Exif()
    if orientation != 1:
        exif[0x0112] = orientation
    image.convert(mode).save(out, "JPEG", quality=92, exif=exif.tobytes())
    return out.getvalue()


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _device(items: list[tuple[int, bytes]], spec: InputSpec) -> Any:
    return DeviceDecoder(spec, "cpu").decode(items, [])


def _full(data: bytes, spec: InputSpec) -> np.ndarray:
    """Pillow's pixels of the image decoded at full size, fitted as the host path fits."""
    return fit(Image.open(io.BytesIO(data)), spec)


def _mean_diff(a: np.ndarray, b: np.ndarray) -> float:
    assert a.shape == b.shape
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


@pytest.fixture(scope="module")
def photo() -> Image.Image:
    return Image.open(photos()[0]).convert("RGB")


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_turns_the_image_as_the_host_does(
    photo: Image.Image, orientation: int
) -> None:
    spec = InputSpec(96)
    # a picture whose quarters differ: a wrong turn or flip moves them
    data = _jpeg(photo.resize((320, 200)), orientation)
    got = _device([(7, data)], spec)
    assert got.ids == [7] and got.failed == []
    full = _full(data, spec)
    assert _mean_diff(got.array()[0].numpy(), full) < MAX_MEAN_DIFF
    # the test can fail: the image left unturned is far from Pillow's turned one
    if orientation != 1:
        plain = _device([(7, _jpeg(photo.resize((320, 200))))], spec).array()[0].numpy()
        assert _mean_diff(plain, full) > 10 * MAX_MEAN_DIFF


@pytest.mark.parametrize("mode", ["center_crop", "square"])
@pytest.mark.parametrize("size", [(640, 480), (333, 517), (100, 60)])
def test_the_fit_is_the_host_paths(photo: Image.Image, mode: str, size: tuple[int, int]) -> None:
    spec = InputSpec(64, mode)
    data = _jpeg(photo.resize(size))
    got = _device([(1, data)], spec).array()
    assert tuple(got.shape) == (1, 64, 64, 3) and str(got.dtype) == "torch.uint8"
    assert _mean_diff(got[0].numpy(), _full(data, spec)) < MAX_MEAN_DIFF


def test_target_size_is_the_host_fit() -> None:
    assert target_size(640, 480, InputSpec(224)) == (299, 224)
    assert target_size(480, 640, InputSpec(224)) == (224, 299)
    assert target_size(640, 480, InputSpec(224, "square")) == (224, 224)


def test_other_formats_go_to_the_host_and_bad_files_are_reported_in_order(
    photo: Image.Image,
) -> None:
    spec = InputSpec(48)
    small = photo.resize((120, 90))
    cmyk = _jpeg(small, mode="CMYK")
    good, png, gray = _jpeg(small), _png(small), _jpeg(small, mode="L")
    truncated = good[: len(good) // 3]
    items = [(1, good), (2, b"not an image"), (3, png), (4, cmyk), (5, gray), (6, truncated)]
    got = _device(items, spec)
    failed = dict(got.failed)
    assert 2 in failed and "UnidentifiedImageError" in failed[2]
    # the others are read in their order: a truncated JPEG either decodes (libjpeg pads
    # it) or is reported, never dropped silently
    assert got.ids == [i for i in (1, 3, 4, 5, 6) if i not in failed]
    assert set(got.ids) | set(failed) == {1, 2, 3, 4, 5, 6}
    pixels = got.array().numpy()
    for position, sample_id in enumerate(got.ids):
        data = dict(items)[sample_id]
        if sample_id == 6:
            continue  # two decoders may pad a cut file differently
        # PNG and CMYK are decoded by the host's own code: the same bytes
        if sample_id in (3, 4):
            assert _mean_diff(pixels[position], decode(data, spec)) == 0.0
        else:
            assert _mean_diff(pixels[position], _full(data, spec)) < MAX_MEAN_DIFF


def test_failures_read_before_decoding_are_kept(photo: Image.Image) -> None:
    got = DeviceDecoder(InputSpec(32), "cpu").decode(
        [(2, _jpeg(photo.resize((64, 48))))], [(1, "FileNotFoundError: gone")]
    )
    assert got.ids == [2] and got.failed == [(1, "FileNotFoundError: gone")]
    empty = DeviceDecoder(InputSpec(32), "cpu").decode([], [(1, "gone")])
    assert empty.ids == [] and tuple(empty.array().shape) == (0, 32, 32, 3)


def _vectors(clip: dict[str, Any], pairs: list[tuple[int, str]], where: str) -> dict[str, Any]:
    got: dict[str, Any] = {"ids": [], "vectors": [], "failed": []}
    for message in embed_stream(clip, pairs, "cpu", 8, decode=where):
        if message[0] == "vectors":
            got["ids"] += message[1].tolist()
            got["vectors"].append(message[2])
            got["failed"] += message[3]
    got["vectors"] = np.concatenate(got["vectors"])
    return got


def test_an_embedding_job_decoding_on_the_device_gives_the_host_paths_vectors(
    tmp_path: Path,
) -> None:
    clip = parse_model(None, str(save_tiny_clip(tmp_path / "clip"))).to_json()
    files = photos()[:19]
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8 not a jpeg")
    pairs = [(i, str(f)) for i, f in enumerate(files)] + [(99, str(broken))]
    host, device = _vectors(clip, pairs, "host"), _vectors(clip, pairs, "device")
    assert device["ids"] == host["ids"] == list(range(len(files)))
    assert [i for i, _ in device["failed"]] == [i for i, _ in host["failed"]] == [99]
    cosine = (host["vectors"] * device["vectors"]).sum(axis=1)
    assert cosine.min() >= 0.99
    assert not np.array_equal(host["vectors"], device["vectors"])  # two decoders did run
    with pytest.raises(EmbedError, match="decode must be one of"):
        _vectors(clip, pairs, "gpu")


def _zero_shot(clip: Path, items: list[WorkItem], where: str) -> dict[int, tuple[Any, ...]]:
    request = {
        "model": str(clip),
        "task": "classify",
        "prompts": ["sofa", "chair", "pottedplant"],
        "device": "cpu",
        "batch_size": 8,
        "preprocess": where,
    }
    rows: dict[int, tuple[Any, ...]] = {}
    for message in predict_stream(request, items):
        if message[0] == "labels":
            rows.update((row[0], row) for row in message[2])
    return rows


def test_zero_shot_decoding_on_the_device_classifies_as_on_the_host(tmp_path: Path) -> None:
    clip = save_tiny_clip(tmp_path / "clip")
    items = [WorkItem(i, str(f), 0, 0) for i, f in enumerate(photos()[:12])]
    host, device = _zero_shot(clip, items, "host"), _zero_shot(clip, items, "device")
    assert sorted(device) == sorted(host) == list(range(12))
    for sample_id, row in host.items():
        theirs, ours = json.loads(row[3]), json.loads(device[sample_id][3])
        assert max(abs(theirs[c] - ours[c]) for c in theirs) < 0.02
    # and the device path ran: its full-size decode is not the host's DCT-scaled one
    assert any(row[3] != device[sample_id][3] for sample_id, row in host.items())
    with pytest.raises(PredictError, match="preprocess must be one of"):
        _zero_shot(clip, items, "gpu")


@pytest.mark.skipif(
    not __import__("torch").cuda.is_available(), reason="needs a CUDA GPU (CI has none)"
)
def test_on_cuda_batches_queued_without_waiting_equal_the_cpu_stand_in() -> None:
    """Many batches decoded on the side stream before any is read: each batch's pixels
    must be complete when the model's stream reads them. On an H200 (2026-11-30) a stack
    queued on the wrong stream gave some images garbage (cosine 0.06 to the host path's
    vector); nvJPEG and libjpeg otherwise differ by under a level on average."""
    import torch

    files = photos()[:40]
    items = [(i, p.read_bytes()) for i, p in enumerate(files)]
    spec = InputSpec(224)
    reference = DeviceDecoder(spec, "cpu").decode(items, []).array().numpy()
    decoder = DeviceDecoder(spec, "cuda")
    queued = [decoder.decode(items[k : k + 8], []) for k in range(0, len(items), 8)]
    got = torch.cat([batch.array() for batch in queued]).cpu().numpy()
    per_image = np.abs(got.astype(np.int16) - reference.astype(np.int16)).mean(axis=(1, 2, 3))
    assert per_image.max() < 2.0
