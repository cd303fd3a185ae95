"""The box-to-mask job's encoder precision (``dtype``): ``auto`` embeds in bf16 on a CPU that
multiplies it natively, kept only where the first batch's masks agree with float32's; an
explicit dtype is used as asked; an unknown one is refused. The masks are compared with a
float32 job's on the same photos, and the bf16 encoder is checked to have really run. The
bf16 copy holds the image encoder alone, made without a float32 duplicate, and embeds as
the whole model converted to bf16 did."""

from __future__ import annotations

import copy
import dataclasses
import gc
import json
import weakref
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from PIL import Image

from visionlens_jlab.catalog import Catalog
from visionlens_jlab.jobs.accelerator import cpu_has_bf16
from visionlens_jlab.predict.loading import load_segmenter
from visionlens_jlab.segment import precision
from visionlens_jlab.segment.box_job import BoxMaskOptions, run_box_masks
from visionlens_jlab.segment.engine import Segmenter
from visionlens_jlab.segment.precision import mask_iou
from visionlens_jlab.segment.prompts import SegmentError

from .predict_fixtures import cartucho_subset, photo_catalog
from .segment_fixtures import save_tiny_sam, save_tiny_sam2
from .test_segment_boxes import decoded, rows

needs_bf16 = pytest.mark.skipif(not cpu_has_bf16(), reason="this CPU has no native bf16")


@pytest.fixture
def catalog(tmp_path: Path) -> Any:
    with photo_catalog(tmp_path / "data", cartucho_subset(tmp_path / "photos", 3)) as cat:
        yield cat


class Kept:
    """Loads the model and keeps the segmenter, to look at it after the job, and the dtype
    each encoder pass was asked for (None: the model's own)."""

    def __init__(self) -> None:
        self.segmenter: Segmenter | None = None
        self.passes: list[Any] = []
        self.copy: Any = None

    def __call__(self, model: str) -> Segmenter:
        segmenter = self.segmenter = Segmenter(load_segmenter(model))
        embed = segmenter.embed_prepared

        def recorded(inputs: Any, dtype: Any = None) -> Any:
            self.passes.append(dtype)
            embedded = embed(inputs, dtype)
            if dtype is not None:
                self.copy = segmenter.copy_in(dtype)  # the job's copy, kept while it runs
            return embedded

        segmenter.embed_prepared = recorded  # type: ignore[method-assign]
        return segmenter


def masks_of(catalog: Catalog, name: str) -> list[np.ndarray]:
    return [decoded(json.loads(r[7])) for r in rows(catalog, name)]


def run(catalog: Catalog, model: Path, name: str, dtype: str) -> tuple[dict[str, Any], Kept]:
    kept = Kept()
    options = BoxMaskOptions("photos", str(model), name=name, dtype=dtype)
    return run_box_masks(None, catalog, options, kept), kept


@needs_bf16
def test_auto_embeds_in_bf16_where_its_masks_agree(catalog: Catalog, tiny_sam: Path) -> None:
    auto, kept = run(catalog, tiny_sam, "auto", "auto")
    full, _ = run(catalog, tiny_sam, "full", "float32")
    assert (auto["dtype"], full["dtype"]) == ("bfloat16", "float32")
    assert auto["reduced_mask_iou"] >= precision.MIN_REDUCED_MASK_IOU
    assert full["reduced_mask_iou"] is None
    # the first batch both ways, then bf16 only
    assert kept.passes[:2] == [None, torch.bfloat16] and len(kept.passes) >= 3
    assert set(kept.passes[2:]) == {torch.bfloat16}
    pairs = zip(masks_of(catalog, "auto"), masks_of(catalog, "full"), strict=True)
    ious = [mask_iou(a, b) for a, b in pairs]
    assert len(ious) == auto["boxes"] > 3 and np.mean(ious) >= 0.98
    # the bf16 copy really embedded: close to float32's embedding, not the same bits
    segmenter = kept.segmenter
    assert segmenter is not None
    low = segmenter.copy_in(torch.bfloat16)
    assert kept.copy is not None and low is not kept.copy  # dropped when the job ended
    assert low is not segmenter.model and low is segmenter.copy_in(torch.bfloat16)
    assert next(low.parameters()).dtype == torch.bfloat16
    assert next(segmenter.model.parameters()).dtype == torch.float32  # the decoder's, unchanged
    pixels = np.random.default_rng(0).integers(0, 256, (48, 64, 3), dtype=np.uint8)
    inputs = segmenter.preprocess([Image.fromarray(pixels)])
    a = segmenter.embed_prepared(inputs)[0].tensors
    b = segmenter.embed_prepared(inputs, torch.bfloat16)[0].tensors
    assert b.dtype == torch.float32 and not torch.equal(a, b)
    assert float((a - b).norm() / a.norm()) < 0.05
    segmenter.drop_copies()
    assert segmenter.copy_in(torch.bfloat16) is not low


@needs_bf16
def test_auto_keeps_float32_when_the_masks_disagree(
    catalog: Catalog, tiny_sam: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(precision, "MIN_REDUCED_MASK_IOU", 1.01)  # no agreement is enough
    auto, kept = run(catalog, tiny_sam, "auto", "auto")
    full, _ = run(catalog, tiny_sam, "full", "float32")
    assert auto["dtype"] == "float32" and 0.0 <= auto["reduced_mask_iou"] <= 1.0
    assert kept.passes[:2] == [None, torch.bfloat16] and set(kept.passes[2:]) == {None}
    assert [r[:10] for r in rows(catalog, "auto")] == [r[:10] for r in rows(catalog, "full")]


def test_an_asked_dtype_is_used_unchecked(catalog: Catalog, tiny_sam: Path) -> None:
    result, kept = run(catalog, tiny_sam, "low", "bfloat16")
    assert (result["dtype"], result["reduced_mask_iou"]) == ("bfloat16", None)
    assert set(kept.passes) == {torch.bfloat16}
    assert kept.segmenter is not None
    assert next(kept.segmenter.model.parameters()).dtype == torch.float32
    assert result["boxes"] == len(rows(catalog, "low")) > 3


def test_an_unknown_dtype_is_refused_before_anything_runs(tiny_sam: Path) -> None:
    with pytest.raises(SegmentError, match=r"unknown dtype 'float64': use auto, float32"):
        BoxMaskOptions("photos", str(tiny_sam), dtype="float64")


def test_mask_iou() -> None:
    empty = np.zeros((4, 4), bool)
    left, right = empty.copy(), empty.copy()
    left[:, :2], right[:, 1:3] = True, True
    assert mask_iou(empty, empty) == 1.0
    assert mask_iou(left, right) == pytest.approx(4 / 12)
    assert mask_iou(left, ~left) == 0.0


@pytest.mark.parametrize("family", ["sam_hq", "sam2"])
def test_sam_hq_and_sam2_encoders_run_in_bf16(
    family: str, catalog: Catalog, tmp_path: Path
) -> None:
    """Their encoders give several tensors (SAM-HQ's intermediate embeddings, SAM 2's
    feature pyramid): each is handed to the decoder in float32."""
    folder = tmp_path / family
    model = save_tiny_sam2(folder) if family == "sam2" else save_tiny_sam(folder, family=family)
    low, _ = run(catalog, model, "low", "bfloat16")
    full, _ = run(catalog, model, "full", "float32")
    assert (low["dtype"], low["failed"], full["failed"]) == ("bfloat16", 0, 0)
    pairs = zip(masks_of(catalog, "low"), masks_of(catalog, "full"), strict=True)
    ious = [mask_iou(a, b) for a, b in pairs]
    assert len(ious) == low["boxes"] > 3 and np.mean(ious) >= 0.95


@pytest.fixture(scope="module", params=["sam", "sam_hq", "sam2"])
def family_model(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny checkpoint of each family, saved once per test module."""
    folder = tmp_path_factory.mktemp(request.param) / request.param
    if request.param == "sam2":
        return save_tiny_sam2(folder)
    return save_tiny_sam(folder, family=request.param)


def tensors_of(module: Any) -> dict[str, torch.Tensor]:
    """A module's parameters and buffers by name."""
    return {**dict(module.named_parameters()), **dict(module.named_buffers())}


def flat(tensors: Any) -> list[torch.Tensor]:
    """An encoder's output (a tensor, or nested lists and tuples of them) as one list."""
    if isinstance(tensors, list | tuple):
        return [t for one in tensors for t in flat(one)]
    return [tensors]


def in_float32(tensors: Any) -> Any:
    """An encoder's output in float32, nested as it is (what the decoder is handed)."""
    if isinstance(tensors, list | tuple):
        return type(tensors)(in_float32(t) for t in tensors)
    return tensors.float()


def test_the_bf16_copy_is_the_encoder_alone_sharing_nothing(family_model: Path) -> None:
    segmenter = Segmenter(load_segmenter(str(family_model)))
    warm = tensors_of(segmenter.model)
    before = {name: (t.dtype, t.data_ptr()) for name, t in warm.items()}
    low = segmenter.copy_in(torch.bfloat16)
    copied = tensors_of(low)
    assert {t.dtype for t in copied.values() if t.is_floating_point()} == {torch.bfloat16}
    assert not any(t.requires_grad for t in copied.values())
    # the encoder's every tensor; of the decoder only SAM 2's projections of the encoder's
    # feature pyramid, nothing of the prompt encoder
    encoder = {name for name in warm if name.startswith("vision_encoder.")}
    assert encoder <= set(copied) and set(copied) <= set(warm)
    assert not [name for name in copied if name.startswith(("prompt_encoder.", "shared_image"))]
    decoder = {name.split(".")[1] for name in copied if name.startswith("mask_decoder.")}
    assert decoder <= {"conv_s0", "conv_s1"}
    assert len(copied) < len(warm)
    assert {name: (t.dtype, t.data_ptr()) for name, t in tensors_of(segmenter.model).items()} == (
        before
    )
    storages = {t.untyped_storage().data_ptr() for t in warm.values()}
    assert not storages & {t.untyped_storage().data_ptr() for t in copied.values()}
    # kept for the job, then freed by drop_copies (nothing else holds it)
    assert segmenter.copy_in(torch.bfloat16) is low
    gone = weakref.ref(low)
    del low, copied
    segmenter.drop_copies()
    gc.collect()
    assert gone() is None


def test_the_bf16_copy_embeds_as_the_whole_model_converted(family_model: Path) -> None:
    """The reference is the copy this job made before: the whole model deep-copied and
    converted to bf16. Same embedding bits, so the same masks and scores."""
    segmenter = Segmenter(load_segmenter(str(family_model)))
    whole = copy.deepcopy(segmenter.model).to(torch.bfloat16)
    pixels = np.random.default_rng(1).integers(0, 256, (48, 64, 3), dtype=np.uint8)
    inputs = segmenter.preprocess([Image.fromarray(pixels)])
    embedded = segmenter.embed_prepared(inputs, torch.bfloat16)[0]
    with torch.inference_mode():
        reference = whole.get_image_embeddings(inputs["pixel_values"].to(torch.bfloat16))
    got, expected = flat(embedded.tensors), flat(reference)
    assert len(got) == len(expected) and {t.dtype for t in got} == {torch.float32}
    assert all(torch.equal(a, b.float()) for a, b in zip(got, expected, strict=True))
    as_before = dataclasses.replace(embedded, tensors=in_float32(reference))
    boxes = [(4.0, 6.0, 30.0, 20.0), (20.0, 10.0, 40.0, 35.0)]
    now, then = segmenter.decode_boxes(embedded, boxes), segmenter.decode_boxes(as_before, boxes)
    for (mask, score), (mask_before, score_before) in zip(now, then, strict=True):
        assert np.array_equal(mask, mask_before) and score == score_before


def test_the_bf16_copy_never_copies_a_tensor_in_float32(
    family_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every tensor of the copy is made by converting the model's straight into bf16: none
    goes through deepcopy (which would duplicate it in float32 before any conversion)."""
    segmenter = Segmenter(load_segmenter(str(family_model)))
    deep_copied: list[tuple[Any, ...]] = []
    for cls in (torch.Tensor, torch.nn.Parameter):
        real = cls.__deepcopy__

        def recorded(tensor: Any, memo: Any, real: Any = real) -> Any:
            deep_copied.append((type(tensor).__name__, tensor.dtype, tuple(tensor.shape)))
            return real(tensor, memo)

        monkeypatch.setattr(cls, "__deepcopy__", recorded)
    low = segmenter.copy_in(torch.bfloat16)
    assert deep_copied == []
    assert len(tensors_of(low)) > 0


def test_every_segmenter_family_names_its_encoder_path() -> None:
    """A family added to the loader without its encoder's path would fail at its first
    bf16 box-to-mask job (a KeyError): the two tables list the same families."""
    from visionlens_jlab.predict.loading import SEGMENTERS
    from visionlens_jlab.segment.encoder_copy import ENCODER_PATHS

    assert set(ENCODER_PATHS) == set(SEGMENTERS)
