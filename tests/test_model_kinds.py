"""One model name holds one kind of prediction on a dataset (visionlens_jlab/catalog/reads/
model_kinds.py): label maps (semantic or panoptic) or objects and image labels. An import of
the other kind under a name is refused, nothing written, by the CLI (non-zero, the message
naming the dataset, the model, what it holds and the fix) and by the REST routes (400 before
a job starts); a merge refuses a model that is of one kind in each dataset; a catalog that
already holds both under one name (written before the rule) is not evaluated silently as
its masks: the CLI and the evaluation route refuse, naming both kinds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from visionlens_jlab.bulk.merge import check_merge
from visionlens_jlab.catalog import Catalog, CatalogError
from visionlens_jlab.semantic.ingest import ingest_semantic, ingest_semantic_predictions
from visionlens_jlab.semantic.layouts import open_semantic
from visionlens_jlab.semantic.panoptic import ingest_panoptic, ingest_panoptic_predictions

from .evaluate_fixtures import ingest_predictions
from .panoptic_fixtures import write_panoptic
from .semantic_fixtures import run_cli, write_voc


def _results(path: Path, images: list[Any]) -> Path:
    """A COCO results file: one box on each of ``images`` (ids or stems)."""
    rows = [{"image_id": i, "category_id": 1, "bbox": [1, 2, 8, 6], "score": 0.9} for i in images]
    path.write_text(json.dumps(rows))
    return path


def _dataset(
    root: Path, catalog: Catalog, layout: str, name: str = "seg"
) -> tuple[str, Path, Path]:
    """A semantic (``name``) or panoptic (``pan``) dataset of three images; its name, the
    model's label maps (a PNG folder or a panoptic JSON) and a COCO results file on it."""
    if layout == "semantic":
        voc, preds, _, _ = write_voc(root, 3, seed=1)
        ingest_semantic(catalog, name, open_semantic(str(voc), "auto", None, None))
        stems = [f"2007_{i:06d}" for i in range(3)]
        return name, preds, _results(root / "boxes.json", stems)
    files = write_panoptic(root / "pan", 3, seed=1)
    ingest_panoptic(catalog, "pan", str(files["gt_json"]), None, str(files["images"]))
    return "pan", files["pred_json"], _results(root / "boxes.json", [0, 1, 2])


def _snapshot(catalog: Catalog, dataset: str) -> dict[str, Any]:
    """The dataset's rows in every label table and its ``models`` rows."""
    with catalog.cursor() as cur:
        (dataset_id,) = cur.execute(
            "SELECT dataset_id FROM datasets WHERE name = ?", [dataset]
        ).fetchone() or (None,)
        counts = {
            table: cur.execute(
                f"SELECT source, COUNT(*) FROM {table} WHERE dataset_id = ? "  # noqa: S608
                "GROUP BY source ORDER BY source",
                [dataset_id],
            ).fetchall()
            for table in ("annotations", "classifications", "semantic_masks", "semantic_sources")
        }
        counts["models"] = cur.execute(
            "SELECT name, format, num_predictions, created_at FROM models "
            "WHERE dataset_id = ? ORDER BY name",
            [dataset_id],
        ).fetchall()
    return counts


def _maps_cli(dataset: str, maps: Path, model: str) -> list[str]:
    command = "semantic-predictions" if dataset == "seg" else "panoptic-predictions"
    return [command, dataset, str(maps), "--model", model]


@pytest.mark.parametrize("layout", ["semantic", "panoptic"])
def test_label_maps_under_a_box_model_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], layout: str
) -> None:
    data = str(tmp_path / "data")
    with Catalog(tmp_path / "data") as catalog:
        dataset, maps, boxes = _dataset(tmp_path, catalog, layout)
        ingest_predictions(catalog, dataset, "net", boxes, "coco")
        before = _snapshot(catalog, dataset)
    code, out = run_cli(capsys, *_maps_cli(dataset, maps, "net"), "--data-dir", data)
    assert code != 0, out
    message = out["stderr"]
    for words in (f"'{dataset}'", "'net'", "3 objects", "--model",
                  f"visionlens delete {dataset} --model net --yes"):  # fmt: skip
        assert words in message, message
    with Catalog(tmp_path / "data") as catalog:
        assert _snapshot(catalog, dataset) == before


@pytest.mark.parametrize("layout", ["semantic", "panoptic"])
def test_boxes_under_a_label_map_model_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], layout: str
) -> None:
    data = str(tmp_path / "data")
    with Catalog(tmp_path / "data") as catalog:
        dataset, maps, boxes = _dataset(tmp_path, catalog, layout)
    assert run_cli(capsys, *_maps_cli(dataset, maps, "net"), "--data-dir", data)[0] == 0
    with Catalog(tmp_path / "data") as catalog:
        before = _snapshot(catalog, dataset)
    argv = ["predictions", dataset, str(boxes), "--model", "net", "--data-dir", data]
    code, out = run_cli(capsys, *argv)
    assert code != 0, out
    message = out["stderr"]
    for words in (f"'{dataset}'", "'net'", "3 label maps", "another --model name",
                  f"visionlens delete {dataset} --model net --yes"):  # fmt: skip
        assert words in message, message
    with Catalog(tmp_path / "data") as catalog:
        assert _snapshot(catalog, dataset) == before


def test_the_same_kind_under_the_same_name_is_still_replaced(tmp_path: Path) -> None:
    with Catalog(tmp_path / "data") as catalog:
        dataset, maps, boxes = _dataset(tmp_path, catalog, "semantic")
        ingest_semantic_predictions(catalog, dataset, "masks", str(maps))
        assert ingest_semantic_predictions(catalog, dataset, "masks", str(maps))["masks"] == 3
        ingest_predictions(catalog, dataset, "boxes", boxes, "coco")
        two = _results(tmp_path / "two.json", ["2007_000000", "2007_000001"])
        assert ingest_predictions(catalog, dataset, "boxes", two, "coco").predictions == 2
        snap = _snapshot(catalog, dataset)
    assert snap["annotations"] == [("boxes", 2)]
    assert ("masks", 3) in snap["semantic_masks"]
    assert [(name, n) for name, _, n, _ in snap["models"]] == [("boxes", 2), ("masks", 3)]


def _merge_pair(tmp_path: Path, catalog: Catalog) -> None:
    """``src`` and ``dst``, the same three semantic images: ``net`` is boxes in ``src`` and
    label maps in ``dst``."""
    voc, preds, _, _ = write_voc(tmp_path, 3, seed=1)
    for name in ("src", "dst"):
        ingest_semantic(catalog, name, open_semantic(str(voc), "auto", None, None))
    stems = [f"2007_{i:06d}" for i in range(3)]
    ingest_predictions(catalog, "src", "net", _results(tmp_path / "b.json", stems), "coco")
    ingest_semantic_predictions(catalog, "dst", "net", str(preds))


@pytest.mark.parametrize("into", ["dst", "src"])
def test_a_merge_of_a_model_of_two_kinds_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], into: str
) -> None:
    other = "src" if into == "dst" else "dst"
    with Catalog(tmp_path / "data") as catalog:
        _merge_pair(tmp_path, catalog)
        with pytest.raises(CatalogError, match="model 'net' holds label maps") as refused:
            check_merge(catalog, other, into, "file_name")
        assert "another --model name" in str(refused.value)
        before = _snapshot(catalog, into)
    argv = ["merge", other, "--into", into, "--key", "file_name"]
    code, out = run_cli(capsys, *argv, "--data-dir", str(tmp_path / "data"))
    assert code != 0 and "'net'" in out["stderr"], out
    with Catalog(tmp_path / "data") as catalog:
        assert _snapshot(catalog, into) == before


def _legacy_mix(catalog: Catalog, tmp_path: Path, name: str = "seg") -> None:
    """``net`` with label maps and boxes on semantic dataset ``name``, as the imports before
    the rule wrote them (the boxes' rows written directly: the import refuses them now)."""
    _, maps, _ = _dataset(tmp_path, catalog, "semantic", name)
    ingest_semantic_predictions(catalog, name, "net", str(maps))
    with catalog.write() as cur:
        cur.execute(
            "INSERT INTO annotations (ann_id, sample_id, dataset_id, source, label, x, y, w, h, "
            "score, area, iscrowd, difficult) SELECT 900000 + sample_id, sample_id, dataset_id, "
            "'net', 'aeroplane', 1, 2, 8, 6, 0.9, 48, FALSE, FALSE FROM samples s "
            "WHERE dataset_id = (SELECT dataset_id FROM datasets WHERE name = ?)",
            [name],
        )


@pytest.mark.parametrize("iou_type", [None, "bbox"])
def test_the_cli_refuses_to_evaluate_a_model_holding_both_kinds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], iou_type: str | None
) -> None:
    with Catalog(tmp_path / "data") as catalog:
        _legacy_mix(catalog, tmp_path)
    argv = ["evaluate", "seg", "--model", "net", "--data-dir", str(tmp_path / "data")]
    code, out = run_cli(capsys, *argv, *(["--iou-type", iou_type] if iou_type else []))
    assert code != 0, out
    message = out["stderr"]
    for words in ("'net'", "'seg'", "3 label maps", "3 objects", "separate them",
                  "visionlens delete seg --model net --yes"):  # fmt: skip
        assert words in message, message
    assert "semantic" not in {k for k in out if k != "stderr"}


async def test_the_routes_refuse_the_other_kind_and_a_mixed_evaluation(
    api: Any, vl_app: Any, tmp_path: Path
) -> None:
    catalog = vl_app.catalog
    _, maps, boxes = _dataset(tmp_path / "s", catalog, "semantic")
    _, results, pan_boxes = _dataset(tmp_path / "p", catalog, "panoptic")
    ingest_predictions(catalog, "seg", "boxes", boxes, "coco")
    ingest_semantic_predictions(catalog, "seg", "masks", str(maps))
    ingest_predictions(catalog, "pan", "boxes", pan_boxes, "coco")
    ingest_panoptic_predictions(catalog, "pan", "masks", str(results), None)
    before = {name: _snapshot(catalog, name) for name in ("seg", "pan")}
    refused = [
        ("datasets/seg/semantic-predictions", {"source": str(maps), "model": "boxes"}),
        ("datasets/pan/panoptic-predictions", {"source": str(results), "model": "boxes"}),
        ("datasets/seg/predictions", {"source": str(boxes), "model": "masks"}),
        ("datasets/pan/predictions", {"source": str(pan_boxes), "model": "masks"}),
    ]
    for route, body in refused:
        status, answer = await api("POST", route, body)
        assert status == 400, (route, answer)
        assert "one model holds one kind of prediction" in answer["message"], answer
        assert f"{body['model']!r}" in answer["message"], answer
    assert {name: _snapshot(catalog, name) for name in ("seg", "pan")} == before
    _legacy_mix(catalog, tmp_path / "mix", "mix")
    status, answer = await api("POST", "datasets/mix/evaluations", {"model": "net"})
    assert status == 400 and "holds both 3 label maps and 3 objects" in answer["message"], answer
