"""Semantic and panoptic ingests through a real Jupyter server's routes (issue #53): each is a
job whose result is what the CLI prints when it writes a catalog itself, ``visionlens
semantic-ingest`` / ``panoptic-ingest`` / ``*-predictions`` go through those routes while a
server owns the data directory, and every path a job reads or stores must lie inside the
server's ``allowed_roots``: a source outside them is a 403 before any job, a mask reached
through a symlink or a ``..`` name fails the job before anything is written."""

from __future__ import annotations

import asyncio
import io
import json
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.reads import queries
from visionlens_jlab.semantic.classes import voc_colors
from visionlens_jlab.semantic.ingest import ingest_semantic, ingest_semantic_predictions
from visionlens_jlab.semantic.layouts import open_semantic
from visionlens_jlab.semantic.mask_evaluation import evaluate_masks
from visionlens_jlab.semantic.panoptic import ingest_panoptic, ingest_panoptic_predictions
from visionlens_jlab.semantic.panoptic_quality import segment_ids

from .ingest_fixtures import allowed_settings, queued_job
from .panoptic_fixtures import write_panoptic
from .semantic_fixtures import write_voc


@pytest.fixture
def vl_settings(tmp_path: Path, jp_root_dir: Path) -> dict[str, Any]:
    return allowed_settings(tmp_path, jp_root_dir)


def _same_report(ours: dict[str, Any], local: dict[str, Any]) -> None:
    """Two evaluation reports with the same figures (the run's own keys aside)."""
    drop = {"key", "created_at", "seconds"}
    assert {k: v for k, v in ours.items() if k not in drop} == {
        k: v for k, v in local.items() if k not in drop
    }


async def test_semantic_and_panoptic_ingests_are_jobs_that_write_what_the_cli_writes(
    api: Any, wait_job: Any, vl_app: Any, tmp_path: Path
) -> None:
    allowed = tmp_path / "allowed"
    voc, preds, _, _ = write_voc(allowed / "seg", 6, seed=2)
    pan = write_panoptic(allowed / "pan", 5, seed=1)
    with Catalog(tmp_path / "local") as local:  # the CLI's own writes, as the reference
        want_seg = ingest_semantic(local, "seg", open_semantic(str(voc)))
        want_net = ingest_semantic_predictions(local, "seg", "net", str(preds))
        want_pan = ingest_panoptic(local, "pan", str(pan["gt_json"]), None, str(pan["images"]))
        want_m = ingest_panoptic_predictions(local, "pan", "m", str(pan["pred_json"]), None)
        local_seg, local_pan = (
            evaluate_masks(local, "seg", "net"),
            evaluate_masks(local, "pan", "m"),
        )
    assert local_seg is not None and local_pan is not None
    # each source's labels by the declared kinds: its label maps, one per masked image
    for result, masks in ((want_seg, 6), (want_net, 6), (want_pan, 5), (want_m, 5)):
        assert result["label_types"]["label_maps"] == masks, result
        assert sum(result["label_types"].values()) == masks, result

    seg = await queued_job(api, wait_job, "semantic-datasets", {"source": str(voc), "name": "seg"})
    assert seg["status"] == "done" and seg["result"] == want_seg, seg
    net = {"source": str(preds), "model": "net"}
    done = await queued_job(api, wait_job, "datasets/seg/semantic-predictions", net)
    assert done["status"] == "done" and done["result"] == want_net, done
    body = {"source": str(pan["gt_json"]), "name": "pan", "images": str(pan["images"])}
    done = await queued_job(api, wait_job, "panoptic-datasets", body)
    assert done["status"] == "done" and done["result"] == want_pan, done
    results = {"source": str(pan["pred_json"]), "model": "m"}
    done = await queued_job(api, wait_job, "datasets/pan/panoptic-predictions", results)
    assert done["status"] == "done" and done["result"] == want_m, done
    # the masks written through the routes evaluate as the CLI's do
    for dataset, model, local_report in (("seg", "net", local_seg), ("pan", "m", local_pan)):
        done = await queued_job(api, wait_job, f"datasets/{dataset}/evaluations", {"model": model})
        assert done["status"] == "done", done
        kind = "semantic" if dataset == "seg" else "panoptic"
        _same_report(done["result"][kind], local_report[kind])


async def test_paths_outside_the_allowed_roots_and_bad_requests_write_nothing(
    api: Any, wait_job: Any, vl_app: Any, tmp_path: Path
) -> None:
    allowed = tmp_path / "allowed"
    outside, _, _, _ = write_voc(tmp_path / "outside", 3, seed=5)
    status, answer = await api("POST", "semantic-datasets", {"source": str(outside), "name": "a"})
    assert status == 403 and "outside the folders this server may ingest from" in answer["message"]
    # a folder inside whose masks lead outside through a symlink: the job refuses it
    voc, _, _, _ = write_voc(allowed / "linked", 3, seed=6)
    mask = next((voc / "SegmentationClass").glob("*.png"))
    mask.unlink()
    mask.symlink_to(next((outside / "SegmentationClass").glob("*.png")))
    done = await queued_job(
        api, wait_job, "semantic-datasets", {"source": str(voc), "name": "linked"}
    )
    assert done["status"] == "failed" and "outside the folders" in done["error"], done
    # a panoptic annotation whose PNG name climbs out of the PNG folder: refused the same way
    pan = write_panoptic(allowed / "pan", 3, seed=2)
    doc = json.loads(pan["gt_json"].read_text())
    doc["annotations"][0]["file_name"] = "../../../outside/x.png"
    climbing = allowed / "climbing.json"
    climbing.write_text(json.dumps(doc))
    body = {"source": str(climbing), "name": "climb", "masks": str(pan["gt_folder"]),
            "images": str(pan["images"])}  # fmt: skip
    done = await queued_job(api, wait_job, "panoptic-datasets", body)
    assert done["status"] == "failed" and "outside the folders" in done["error"], done
    for name in ("a", "linked", "climb"):
        status, _ = await api("GET", f"datasets/{name}")
        assert status == 404, name  # nothing written
    # a folder without a semantic layout, a layout not offered, a name taken
    (allowed / "empty").mkdir()
    status, answer = await api("POST", "semantic-datasets", {"source": str(allowed / "empty"),
                                                             "name": "e"})  # fmt: skip
    assert status == 400 and "no semantic layout found" in answer["message"]
    bad = {"source": str(voc), "name": "e", "layout": "coco"}
    status, answer = await api("POST", "semantic-datasets", bad)
    assert status == 400, answer
    good, _, _, _ = write_voc(allowed / "good", 2, seed=7)
    done = await queued_job(
        api, wait_job, "semantic-datasets", {"source": str(good), "name": "good"}
    )
    assert done["status"] == "done", done
    status, answer = await api("POST", "semantic-datasets", {"source": str(good), "name": "good"})
    assert status == 409 and "already exists" in answer["message"]
    status, answer = await api("POST", "datasets/good/semantic-predictions",
                               {"source": str(outside), "model": "net"})  # fmt: skip
    assert status == 403, answer


async def _cli(data_dir: Path, *argv: str) -> dict[str, Any]:
    env = {**os.environ, "VISIONLENS_DATA_DIR": str(data_dir)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "visionlens_jlab.cli", *argv, "--json",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
    )  # fmt: skip
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    return dict(json.loads(out))


async def test_the_cli_goes_through_the_server_that_owns_the_catalog(
    vl_app: Any, vl_data_dir: Path, http_server_client: Any, tmp_path: Path
) -> None:
    allowed = tmp_path / "allowed"
    voc, preds, _, _ = write_voc(allowed / "seg", 4, seed=3)
    pan = write_panoptic(allowed / "pan", 3, seed=4)
    seg = await _cli(vl_data_dir, "semantic-ingest", str(voc), "--name", "seg")
    assert seg["semantic"] == {
        "layout": "voc",
        "masks": 4,
        "classes": 21,
        "masks_without_image": 0,
        "images_without_mask": 0,
    }
    net = await _cli(vl_data_dir, "semantic-predictions", "seg", str(preds), "--model", "net")
    assert (net["model"], net["masks"]) == ("net", 4)
    done = await _cli(vl_data_dir, "panoptic-ingest", str(pan["gt_json"]), "--name", "pan",
                      "--images", str(pan["images"]))  # fmt: skip
    assert done["panoptic"]["masks"] == 3
    done = await _cli(vl_data_dir, "panoptic-predictions", "pan", str(pan["pred_json"]),
                      "--model", "m")  # fmt: skip
    assert done["masks"] == 3
    # written by the server's catalog (the CLI never opened it): its evaluation sees them
    assert evaluate_masks(vl_app.catalog, "seg", "net") is not None
    assert evaluate_masks(vl_app.catalog, "pan", "m") is not None


async def test_a_page_names_its_samples_masks_and_a_tile_gets_them_fitted(
    api: Any, wait_job: Any, tmp_path: Path
) -> None:
    from PIL import Image

    allowed = tmp_path / "allowed"
    voc, preds, gts, outs = write_voc(allowed / "seg", 3, size=(48, 64), seed=4)
    (preds / "2007_000001.png").unlink()  # the model has masks of two of the three
    for path, body in (
        ("semantic-datasets", {"source": str(voc), "name": "seg"}),
        ("datasets/seg/semantic-predictions", {"source": str(preds), "model": "net"}),
    ):
        assert (await queued_job(api, wait_job, path, body))["status"] == "done"
    status, page = await api("POST", "datasets/seg/samples/query", {"limit": 10})
    assert status == 200
    by_name = {Path(s["file_name"]).stem: s for s in page["samples"]}
    assert {stem: s["mask_sources"] for stem, s in by_name.items()} == {
        "2007_000000": ["ground_truth", "net"],
        "2007_000001": ["ground_truth"],
        "2007_000002": ["ground_truth", "net"],
    }
    sample = by_name["2007_000002"]["sample_id"]
    colours = np.array([(*c, 255) for c in voc_colors(256)], dtype=np.uint8)
    colours[[0, 255]] = 0  # background and void: transparent
    for size, shape in ((20, (15, 20)), (64, (48, 64)), (4096, (48, 64))):
        status, png = await api(
            "GET", f"datasets/seg/samples/{sample}/masks/net", params={"size": size}
        )
        assert status == 200
        # PIL's nearest-pixel resize of the label map is the oracle
        small = np.asarray(Image.fromarray(outs[2]).resize(shape[::-1], Image.Resampling.NEAREST))
        assert np.array_equal(_pixels(png), colours[small]), size
    for bad in (8, 5000, "big"):
        status, answer = await api(
            "GET", f"datasets/seg/samples/{sample}/masks/net", params={"size": bad}
        )
        assert status == 400, answer


def _pixels(png: bytes) -> np.ndarray:
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        assert image.mode == "RGBA"
        return np.asarray(image)


async def test_a_samples_mask_is_a_png_in_its_classes_colours(
    api: Any, wait_job: Any, vl_app: Any, tmp_path: Path
) -> None:
    allowed = tmp_path / "allowed"
    voc, preds, gts, outs = write_voc(allowed / "seg", 3, seed=8)
    pan = write_panoptic(allowed / "pan", 2, seed=9)
    for path, body in (
        ("semantic-datasets", {"source": str(voc), "name": "seg"}),
        ("datasets/seg/semantic-predictions", {"source": str(preds), "model": "net"}),
        ("panoptic-datasets", {"source": str(pan["gt_json"]), "name": "pan",
                               "images": str(pan["images"])}),
    ):  # fmt: skip
        assert (await queued_job(api, wait_job, path, body))["status"] == "done"
    status, dataset = await api("GET", "datasets/seg")
    assert status == 200 and dataset["mask_sources"] == ["ground_truth", "net"]
    status, page = await api("POST", "datasets/seg/samples/query", {"limit": 10})
    ids = [s["sample_id"] for s in sorted(page["samples"], key=lambda s: s["file_name"])]
    colours = np.array([(*c, 255) for c in voc_colors(256)], dtype=np.uint8)
    for sample, (source, label_map) in zip(
        [*ids, *ids],
        [*(("ground_truth", g) for g in gts), *(("net", o) for o in outs)],
        strict=True,
    ):
        status, png = await api("GET", f"datasets/seg/samples/{sample}/masks/{source}")
        assert status == 200, png
        want = colours[label_map]
        want[(label_map == 0) | (label_map == 255)] = 0  # background and void: transparent
        assert np.array_equal(_pixels(png), want), (sample, source)
    # panoptic: each segment in its category's colour, void (id 0) transparent
    doc = json.loads(pan["gt_json"].read_text())
    status, page = await api("POST", "datasets/pan/samples/query", {"limit": 10})
    by_image = {s["file_name"]: s["sample_id"] for s in page["samples"]}
    status, answer = await api("GET", "datasets/pan")
    assert answer["mask_sources"] == ["ground_truth"]
    colour_of = {c["id"]: (*voc_colors(len(doc["categories"]) + 1)[k + 1], 255)
                 for k, c in enumerate(doc["categories"])}  # fmt: skip
    for image, ann in zip(doc["images"], doc["annotations"], strict=True):
        status, png = await api("GET", f"datasets/pan/samples/{by_image[image['file_name']]}"
                                f"/masks/ground_truth")  # fmt: skip
        assert status == 200
        ids_png = segment_ids(str(pan["gt_folder"] / ann["file_name"]))
        want = np.zeros((*ids_png.shape, 4), dtype=np.uint8)
        for segment in ann["segments_info"]:
            want[ids_png == segment["id"]] = colour_of[segment["category_id"]]
        assert np.array_equal(_pixels(png), want)
    status, _ = await api("GET", f"datasets/seg/samples/{ids[0]}/masks/nope")
    assert status == 404
    status, _ = await api("GET", "datasets/seg/samples/999999/masks/ground_truth")
    assert status == 404


async def test_models_of_label_maps_are_listed_with_the_dataset(
    api: Any, vl_app: Any, tmp_path: Path
) -> None:
    """A model's semantic or panoptic masks make it one of the dataset's models in ``GET
    /datasets/{name}`` (and the listing), as an import of boxes does: its format, mask count,
    label maps and import time; imported again it keeps one row, dated anew; deleting a
    sample takes its mask out of the count, its undo puts it back."""
    from datetime import datetime

    voc, preds, _, _ = write_voc(tmp_path / "seg", 4, seed=3)
    pan = write_panoptic(tmp_path / "pan", 3, seed=1)
    catalog = vl_app.catalog
    ingest_semantic(catalog, "seg", open_semantic(str(voc)))
    ingest_semantic_predictions(catalog, "seg", "net", str(preds))
    ingest_panoptic(catalog, "pan", str(pan["gt_json"]), None, str(pan["images"]))
    ingest_panoptic_predictions(catalog, "pan", "m", str(pan["pred_json"]), None)

    async def model(dataset: str) -> dict[str, Any]:
        status, answer = await api("GET", f"datasets/{dataset}")
        assert status == 200, answer
        (only,) = answer["models"]
        return dict(only)

    net = await model("seg")
    assert (net["name"], net["format"], net["num_predictions"]) == ("net", "semantic", 4)
    assert net["label_types"]["label_maps"] == 4 and net["report"]["counts"]["predictions"] == 4
    m = await model("pan")
    assert (m["name"], m["format"], m["num_predictions"]) == ("m", "coco-panoptic", 3)
    assert m["label_types"]["label_maps"] == 3
    listed = {d["name"]: [x["name"] for x in d["models"]] for d in catalog.list_datasets()}
    assert listed == {"seg": ["net"], "pan": ["m"]}

    ingest_semantic_predictions(catalog, "seg", "net", str(preds))
    again = await model("seg")  # one row still (a second would fail the unpacking)
    assert datetime.fromisoformat(again["created_at"]) > datetime.fromisoformat(net["created_at"])

    ids = queries.sample_ids(catalog, "seg", {}).to_pylist()[:1]
    status, answer = await api(
        "POST", "datasets/seg/edits/delete_samples", {"filter": {"ids": ids}}
    )
    assert status == 200 and answer["samples"] == 1, answer
    assert (await model("seg"))["num_predictions"] == 3
    status, _ = await api("POST", "datasets/seg/edits/undo")
    assert status == 200 and (await model("seg"))["num_predictions"] == 4
