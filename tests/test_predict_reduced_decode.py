"""``--decode reduced``: a model job decodes JPEGs at the smallest DCT scale that still
covers its processor's resize, and its boxes land in the full image's pixels; checked
against the model run by hand on images the test decodes itself (PIL's ``draft``)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from visionlens_jlab.catalog import Catalog
from visionlens_jlab.embed.decode import dct_scale, open_reduced
from visionlens_jlab.predict.base import PredictError, PredictOptions, WorkItem
from visionlens_jlab.predict.input_size import edges, output_size, resize_of
from visionlens_jlab.predict.job import run_prediction
from visionlens_jlab.predict.loading import load_detector
from visionlens_jlab.predict.stream import predict_stream

from .predict_fixtures import detections_by_hand, photo_fixtures, save_tiny_detr

N_IMAGES = 5
MIN_SCORE = 0.05

photos, catalog = photo_fixtures(N_IMAGES)


def jpeg(width: int, height: int) -> bytes:
    rng = np.random.default_rng(0)
    out = io.BytesIO()
    Image.fromarray(rng.integers(0, 255, (height, width, 3), np.uint8)).save(out, "JPEG")
    return out.getvalue()


def test_the_scale_is_the_smallest_that_still_covers_the_resize() -> None:
    detr = edges(800.0, 1333.0)
    # a 12 MP photo for DETR's 800 px: half size (1/4 would be 750 px, under 800)
    assert dct_scale(4000, 3000, *detr(4000, 3000)) == 2
    assert dct_scale(640, 480, *detr(640, 480)) == 1  # DETR enlarges it: full size
    assert dct_scale(640, 480, *edges(64.0, 96.0)(640, 480)) == 4
    image, full = open_reduced(jpeg(2560, 1920), detr)
    assert full == (2560, 1920) and image.size == (1280, 960)
    png = io.BytesIO()
    Image.new("RGB", (2560, 1920)).save(png, "PNG")
    assert open_reduced(png.getvalue(), detr)[0].size == (2560, 1920)  # not a JPEG


def test_the_resize_is_read_from_the_processor(tmp_path: Path) -> None:
    loaded = load_detector(str(save_tiny_detr(tmp_path / "detr")), "cpu")
    assert resize_of(loaded) == {"shortest": 64.0, "longest": 96.0}
    assert output_size(resize_of(loaded)) is not None and output_size(None) is None
    loaded.processor.size = {"longest_edge": 1456}  # an image-splitting rule: not known
    assert resize_of(loaded) is None


def test_reduced_decoding_equals_the_model_by_hand_and_maps_boxes_to_full_size(
    catalog: Catalog, photos: Path, tmp_path: Path
) -> None:
    detr = save_tiny_detr(tmp_path / "detr")
    options = PredictOptions(
        "photos", str(detr), batch_size=2, min_score=MIN_SCORE, decode="reduced", name="small"
    )
    result = run_prediction(None, catalog, options, predict_stream)
    assert result["processed"] == N_IMAGES
    with catalog.cursor() as cur:
        rows = sorted(
            cur.execute(
                "SELECT regexp_replace(s.file_name, '^.*/', ''), a.x, a.y, a.w, a.h, a.score, "
                "s.width, s.height FROM annotations a JOIN samples s USING (sample_id) "
                "WHERE a.source = 'small'"
            ).fetchall()
        )
    files = sorted((photos / "images").glob("*.jpg"))
    expected = detections_by_hand(detr, files, 2, MIN_SCORE, reduced=True)
    assert len(rows) == len(expected) > 0
    np.testing.assert_allclose([r[1:6] for r in rows], [e[2:] for e in expected], atol=1e-3)
    # in the stored (full) size: the largest boxes reach past the decoded quarter size
    assert max(r[1] + r[3] for r in rows) > 160 and all(r[1] + r[3] <= r[6] + 1e-6 for r in rows)


def test_an_image_without_a_stored_size_maps_to_its_full_size(photos: Path, tmp_path: Path) -> None:
    detr = save_tiny_detr(tmp_path / "detr")
    files = sorted((photos / "images").glob("*.jpg"))[:2]
    request = {"model": str(detr), "task": "detect", "min_score": MIN_SCORE, "decode": "reduced"}
    unknown = [WorkItem(i, str(f), 0, 0) for i, f in enumerate(files)]
    known = [WorkItem(i, str(f), *Image.open(f).size) for i, f in enumerate(files)]
    boxes = [
        [m for m in predict_stream(request, items) if m[0] == "boxes"] for items in (unknown, known)
    ]
    assert boxes[0] == boxes[1] and boxes[0][0][2]


def test_an_unknown_decode_is_refused() -> None:
    with pytest.raises(PredictError, match="unknown decode 'fast'"):
        PredictOptions("photos", "/m", decode="fast")


def test_images_are_resized_before_the_processor_to_the_same_pixel_values(
    tmp_path: Path,
) -> None:
    """The tensor processor gets each image already resized by its own ``resize`` (on
    channels-last memory, where torch's uint8 resize is fast): what the model sees is
    bit for bit what the processor makes of the image itself."""
    import torch
    from transformers import AutoImageProcessor

    from visionlens_jlab.predict.prepare import as_tensor, prepare_images, presized

    model_dir = save_tiny_detr(tmp_path / "detr", shortest=64, longest=96)
    loaded = load_detector(str(model_dir), "cpu")
    assert loaded.processor.backend == "torchvision"
    pil = AutoImageProcessor.from_pretrained(model_dir, backend="pil")
    rng = np.random.default_rng(1)
    images = [
        Image.fromarray(rng.integers(0, 255, (h, w, 3), np.uint8))
        for w, h in [(301, 217), (90, 250)]
    ]
    one = presized(loaded.processor, as_tensor(images[0]))
    assert tuple(one.shape) == (3, 64, 88) and one.stride()[0] == 1  # channels last
    items = [WorkItem(i, "", 0, 0) for i in range(len(images))]
    got = prepare_images(loaded, items, [(im, "") for im in images], []).inputs
    itself = loaded.processor(images=images, return_tensors="pt")
    assert torch.equal(got["pixel_values"], itself["pixel_values"])
    assert torch.equal(got["pixel_mask"], itself["pixel_mask"])
    by_pil = pil(images=images, return_tensors="pt")["pixel_values"]
    assert (got["pixel_values"] - by_pil).abs().max() < 0.05  # the PIL path's own rounding
