"""The box-to-mask job: every box's mask equals SAM called by hand on that box alone, the set
is a model run (listed as a model, exported with its masks), a cancelled run resumes with
the images not done, a view and a model's boxes are honoured, and bad requests are refused
with nothing written. One real Jupyter server test drives it through the REST job route."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from pycocotools import mask as mask_utils

from visionlens_jlab.catalog import Catalog, CatalogError
from visionlens_jlab.export.run import export_view
from visionlens_jlab.jobs.job import Job, JobCancelled, JobContext
from visionlens_jlab.predict.loading import load_segmenter
from visionlens_jlab.segment.box_job import BoxMaskOptions, run_box_masks
from visionlens_jlab.segment.engine import Segmenter
from visionlens_jlab.segment.prompts import SegmentError
from visionlens_jlab.select.request import parse_request
from visionlens_jlab.select.service import run_selection

from .predict_fixtures import cartucho_subset, ingest_subset, photo_catalog
from .segment_fixtures import sam2_by_hand, sam_by_hand, save_tiny_sam, save_tiny_sam2


@pytest.fixture
def catalog(tmp_path: Path) -> Any:
    with photo_catalog(tmp_path / "data", cartucho_subset(tmp_path / "photos", 3)) as cat:
        yield cat


def rows(catalog: Catalog, source: str) -> list[tuple[Any, ...]]:
    with catalog.cursor() as cur:
        return cur.execute(
            "SELECT a.sample_id, a.label, a.x, a.y, a.w, a.h, a.score, a.segmentation, "
            "a.mask_area, a.source_ann_id, s.location FROM annotations a "
            "JOIN samples s USING (sample_id) WHERE a.source = ? ORDER BY a.sample_id, "
            "CASE WHEN a.source = 'ground_truth' THEN a.ann_id ELSE a.source_ann_id::BIGINT END",
            [source],
        ).fetchall()


def decoded(rle: dict[str, Any]) -> np.ndarray:
    return mask_utils.decode({"size": rle["size"], "counts": rle["counts"].encode()}).astype(bool)


def loader(model: str) -> Segmenter:
    return Segmenter(load_segmenter(model))


def test_every_box_gets_sams_mask_of_that_box_alone(catalog: Catalog, tiny_sam: Path) -> None:
    # float32 as SAM called by hand runs (auto may embed in bf16: test_segment_precision.py)
    options = BoxMaskOptions("photos", str(tiny_sam), dtype="float32")
    result = run_box_masks(None, catalog, options, loader)
    truth = rows(catalog, "ground_truth")
    masks = rows(catalog, "tiny-sam-masks")
    assert result["name"] == "tiny-sam-masks" and result["processed"] == 3
    assert result["boxes"] == result["predictions"] == len(truth) == len(masks) > 3
    with catalog.cursor() as cur:
        ids = cur.execute(
            "SELECT ann_id FROM annotations WHERE source = 'ground_truth' "
            "ORDER BY sample_id, ann_id"
        ).fetchall()
    for (ann_id,), gt, got in zip(ids, truth, masks, strict=True):
        sample_id, label, x, y, w, h, _, _, _, _, location = gt
        assert got[:6] == (sample_id, label, x, y, w, h) and got[9] == str(ann_id)
        expected, score = sam_by_hand(
            tiny_sam, Image.open(location).convert("RGB"), [], [x, y, w, h]
        )
        rle = json.loads(got[7])
        assert np.array_equal(decoded(rle), expected)
        assert got[6] == pytest.approx(score, rel=1e-5, abs=1e-7)
        assert got[8] == float(expected.sum())
    with catalog.cursor() as cur:
        listed = cur.execute("SELECT name, format, num_predictions FROM models").fetchall()
    assert listed == [("tiny-sam-masks", "model-run", len(masks))]
    rerun = run_box_masks(None, catalog, options, loader)
    assert (rerun["processed"], rerun["skipped"], rerun["predictions"]) == (0, 3, len(masks))


@pytest.mark.parametrize("family", ["sam_hq", "sam2"])
def test_one_decoder_call_over_boxes_is_each_box_alone(family: str, tmp_path: Path) -> None:
    """SAM-HQ (its intermediate embeddings) and SAM 2 (its own prompt scaling) too."""
    if family == "sam2":
        folder = save_tiny_sam2(tmp_path / family)
    else:
        folder = save_tiny_sam(tmp_path / family, family=family)
    pixels = np.random.default_rng(1).integers(0, 256, (48, 80, 3), dtype=np.uint8)
    image = Image.fromarray(pixels)
    boxes = [(5.0, 5.0, 40.0, 30.0), (0.0, 0.0, 80.0, 48.0), (20.5, 10.25, 10.0, 7.0)]
    segmenter = loader(str(folder))
    decoded_boxes = segmenter.decode_boxes(segmenter.embed(image), boxes)
    for box, (mask, score) in zip(boxes, decoded_boxes, strict=True):
        if family == "sam2":
            expected, by_hand = sam2_by_hand(folder, image, [], list(box))
        else:
            expected, by_hand = sam_by_hand(folder, image, [], list(box), family=family)
        assert np.array_equal(mask, expected) and 0 < expected.sum() < expected.size
        assert score == pytest.approx(by_hand, rel=1e-5, abs=1e-7)


def test_the_set_exports_its_masks_as_coco_rle(
    catalog: Catalog, tiny_sam: Path, tmp_path: Path
) -> None:
    options = BoxMaskOptions("photos", str(tiny_sam), name="sam-review")
    run_box_masks(None, catalog, options, loader)
    stored = rows(catalog, "sam-review")
    export_view(catalog, "photos", "coco", tmp_path / "out", source="sam-review", images="none")
    labels = json.loads((tmp_path / "out" / "labels.json").read_text())
    exported = labels["annotations"]
    assert len(exported) == len(stored)
    by_box = {tuple(a["bbox"]): a for a in exported}
    for row in stored:
        ann = by_box[(row[2], row[3], row[4], row[5])]
        assert ann["segmentation"] == json.loads(row[7]) and ann["score"] == row[6]
        assert np.array_equal(decoded(ann["segmentation"]), decoded(json.loads(row[7])))


class CancelAfter:
    """Loads the model; cancels the job (its real cancel event) once ``n`` images are
    embedded (the encoder's batches, :meth:`Segmenter.embed_prepared`), so the job stops at
    its next check."""

    def __init__(self, job: Job, n: int) -> None:
        self.job, self.n, self.embedded = job, n, 0

    def __call__(self, model: str) -> Segmenter:
        segmenter = loader(model)
        embed = segmenter.embed_prepared

        def counted(inputs: Any, dtype: Any = None) -> Any:
            embedded = embed(inputs, dtype)
            self.embedded += len(embedded)
            if self.embedded >= self.n:
                self.job.cancel_event.set()
            return embedded

        segmenter.embed_prepared = counted  # type: ignore[method-assign]
        return segmenter


def test_a_cancelled_run_resumes_with_only_the_images_not_done(
    catalog: Catalog, tiny_sam: Path
) -> None:
    options = BoxMaskOptions("photos", str(tiny_sam), dtype="float32")  # one encoder pass a batch
    job = Job("j1", "segment_boxes", "masks")
    cancelling = CancelAfter(job, 2)
    with pytest.raises(JobCancelled):
        run_box_masks(JobContext(job), catalog, options, cancelling)
    first = {r[0] for r in rows(catalog, "tiny-sam-masks")}
    assert len(first) == 2  # the images done before the cancel were written
    counting = CancelAfter(Job("j2", "segment_boxes", "masks"), 99)
    result = run_box_masks(None, catalog, options, counting)
    assert (result["processed"], result["skipped"], counting.embedded) == (1, 2, 1)
    again = BoxMaskOptions("photos", str(tiny_sam), name="one-go", dtype="float32")
    run_box_masks(None, catalog, again, loader)
    resumed, whole = rows(catalog, "tiny-sam-masks"), rows(catalog, "one-go")
    assert [r[:10] for r in resumed] == [r[:10] for r in whole]


def test_a_view_and_a_models_boxes(catalog: Catalog, tiny_sam: Path) -> None:
    run_box_masks(None, catalog, BoxMaskOptions("photos", str(tiny_sam), name="gt-masks"), loader)
    with catalog.cursor() as cur:
        first, name = cur.execute(
            "SELECT sample_id, file_name FROM samples ORDER BY sample_id LIMIT 1"
        ).fetchall()[0]
    view = {"sample": {"file_name": {"contains": name}}}
    options = BoxMaskOptions("photos", str(tiny_sam), source="gt-masks", filter=view, name="m2")
    result = run_box_masks(None, catalog, options, loader)
    assert result["processed"] == 1
    made = rows(catalog, "m2")
    assert {r[0] for r in made} == {first}
    source = [r for r in rows(catalog, "gt-masks") if r[0] == first]
    assert [r[1:6] for r in made] == [r[1:6] for r in source]


def test_bad_requests_are_refused_and_write_nothing(catalog: Catalog, tiny_sam: Path) -> None:
    with pytest.raises(SegmentError, match="no model given"):
        BoxMaskOptions("photos", "")
    with pytest.raises(CatalogError, match="invalid source name"):
        BoxMaskOptions("photos", str(tiny_sam), source="no such")
    with pytest.raises(SegmentError, match="cannot replace their source"):
        BoxMaskOptions("photos", str(tiny_sam), source="x", name="x")
    with pytest.raises(SegmentError, match="has no model 'nope': use ground_truth"):
        run_box_masks(None, catalog, BoxMaskOptions("photos", str(tiny_sam), "nope"), loader)
    with pytest.raises(CatalogError, match="reserved"):
        run_box_masks(
            None, catalog, BoxMaskOptions("photos", str(tiny_sam), name="predictions"), loader
        )
    with catalog.cursor() as cur:
        assert cur.execute("SELECT count(*) FROM models").fetchall() == [(0,)]


def test_cli_json_through_the_entry_point(catalog: Catalog, tiny_sam: Path, tmp_path: Path) -> None:
    data_dir = catalog.data_dir
    chosen = run_selection(
        catalog, None, "photos", parse_request({"count": 1, "strategies": "random"})
    )
    catalog.close()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    command = [sys.executable, "-m", "visionlens_jlab.cli", "segment-boxes", "photos", "--model",
               str(tiny_sam), "--name", "cli-masks", "--data-dir", str(data_dir), "--json"]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)
    assert (result["name"], result["source"], result["processed"]) == (
        "cli-masks",
        "ground_truth",
        3,
    )
    assert result["boxes"] == result["predictions"] > 3
    assert result["dtype"] in ("bfloat16", "float32")  # auto: bf16 where this CPU has it
    wrong = subprocess.run([*command, "--dtype", "float64"], capture_output=True, text=True,
                           env=env, timeout=300)  # fmt: skip
    assert wrong.returncode == 2 and "invalid choice: 'float64'" in wrong.stderr
    again = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert json.loads(again.stdout)["skipped"] == 3
    bad = subprocess.run(
        [*command, "--source", "nope"], capture_output=True, text=True, env=env, timeout=300
    )
    assert bad.returncode != 0 and "has no model 'nope'" in bad.stderr
    # a stored selection as the view: its one sample's boxes alone
    command[command.index("cli-masks")] = "chosen-masks"
    one = subprocess.run([*command, "--selection", str(chosen["id"])], capture_output=True,
                         text=True, env=env, timeout=300)  # fmt: skip
    assert one.returncode == 0, one.stderr[-2000:]
    assert (json.loads(one.stdout)["processed"], json.loads(one.stdout)["name"]) == (
        1,
        "chosen-masks",
    )


async def test_the_rest_job_writes_the_set_and_lists_it(
    api: Any, vl_app: Any, wait_job: Any, tmp_path: Path
) -> None:
    ingest_subset(vl_app.catalog, "photos", cartucho_subset(tmp_path / "photos", 2))
    model = str(save_tiny_sam(tmp_path / "tiny-sam"))
    status, answer = await api("POST", "datasets/photos/segment/boxes", {"model": model})
    assert status == 202, answer
    job = await wait_job(answer["job"])
    assert job["status"] == "done", job
    assert job["effects"] == {"data": ["predictions"], "datasets": "changed"}
    result = job["result"]
    assert (result["name"], result["processed"]) == ("tiny-sam-masks", 2)
    assert result["predictions"] == len(rows(vl_app.catalog, "ground_truth"))
    status, dataset = await api("GET", "datasets/photos")
    (listed,) = [m for m in dataset["models"] if m["name"] == "tiny-sam-masks"]
    assert status == 200 and listed["label_types"]["masks"] == result["predictions"]
    status, again = await api("POST", "datasets/photos/segment/boxes", {"model": model})
    rerun = await wait_job(again["job"])
    assert (rerun["result"]["processed"], rerun["result"]["skipped"]) == (0, 2)
    body = {"model": model, "name": "fp32-masks", "dtype": "float32"}
    status, asked = await api("POST", "datasets/photos/segment/boxes", body)
    full = (await wait_job(asked["job"]))["result"]
    assert (full["dtype"], full["reduced_mask_iou"], full["processed"]) == ("float32", None, 2)
    for body, message in (
        ({}, "'model' is a required property"),
        ({"model": model, "source": "nope"}, "has no model 'nope'"),
        ({"model": model, "name": "bad name"}, "invalid name name"),
        ({"model": model, "name": "predictions"}, "'predictions' is reserved"),
        ({"model": model, "dtype": "float64"}, "'float64' is not one of"),
    ):
        status, refused = await api("POST", "datasets/photos/segment/boxes", body)
        assert status == 400 and message in refused["message"], (body, refused)
    status, _ = await api("POST", "datasets/none/segment/boxes", {"model": model})
    assert status == 404


def test_encoder_batches_give_the_masks_of_one_image_at_a_time(
    catalog: Catalog, tiny_sam: Path
) -> None:
    """The pipeline's encoder batches (all three images in one pass) store what one image
    per pass stores; an unreadable image inside a batch fails alone, the others are done."""
    one = run_box_masks(None, catalog, BoxMaskOptions("photos", str(tiny_sam), name="b1", batch_size=1), loader)  # fmt: skip
    three = run_box_masks(None, catalog, BoxMaskOptions("photos", str(tiny_sam), name="b3", batch_size=3), loader)  # fmt: skip
    assert (one["batch_size"], three["batch_size"]) == (1, 3) and "warm_up" not in three
    single, batched = rows(catalog, "b1"), rows(catalog, "b3")
    assert len(single) == len(batched) > 3
    for a, b in zip(single, batched, strict=True):
        assert a[:6] == b[:6] and a[9] == b[9]
        x, y = decoded(json.loads(a[7])), decoded(json.loads(b[7]))
        assert (x & y).sum() / max(1, (x | y).sum()) >= 0.999  # float rounding may flip a pixel
        assert a[6] == pytest.approx(b[6], abs=1e-4)
    with catalog.cursor() as cur:
        ((gone,),) = cur.execute(
            "SELECT location FROM samples ORDER BY sample_id LIMIT 1"
        ).fetchall()
    Path(gone).unlink()
    broken = run_box_masks(None, catalog, BoxMaskOptions("photos", str(tiny_sam), name="b3x", batch_size=3), loader)  # fmt: skip
    assert (broken["processed"], broken["failed"]) == (2, 1)
    assert "cannot be read" in broken["errors"][0]["message"]
    assert [r[:10] for r in rows(catalog, "b3x")] == [r[:10] for r in batched if r[10] != gone]
    auto = run_box_masks(None, catalog, BoxMaskOptions("photos", str(tiny_sam), name="auto"), loader)  # fmt: skip
    # auto starts at 1 on a CPU: two images measure it, and the next batches would be of 2
    assert auto["processed"] == 2 and list(auto["warm_up"]["images_per_second"]) == ["1"]
    assert auto["batch_size"] == 2
    with pytest.raises(SegmentError, match="batch size must be 1..4096 or auto"):
        BoxMaskOptions("photos", str(tiny_sam), batch_size=0)
