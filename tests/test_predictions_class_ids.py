"""The ``category_id`` of a bare COCO results list on a dataset whose classes have no COCO
ids (a YOLO tree): counted as the tool that wrote it counts (``ingest/coco/class_ids.py``).

The results are the ground truth's own boxes, written as Ultralytics' ``val(save_json=True)``
writes them (``image_id`` = ``int(stem)``, its ``class_map``: ``c + 1``, or COCO's 91 ids on
an 80-class COCO dataset, ``ultralytics.data.converter.coco80_to_coco91_class`` as the
oracle), and as a script counting from 0 writes them: every prediction must get its box's
ground-truth class.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from visionlens_jlab.catalog import Catalog
from visionlens_jlab.importing.jobs import prediction_maps
from visionlens_jlab.ingest.coco.class_ids import COCO_91_IDS

from .ingest_fixtures import ingest, ingest_predictions, tiny_jpeg


@pytest.fixture
def catalog(tmp_path: Path) -> Any:
    cat = Catalog(tmp_path / "data")
    yield cat
    cat.close()


def _yolo(root: Path, names: list[str], classes: list[int]) -> Path:
    """A YOLO tree of one image per class in ``classes``, one box each."""
    (root / "images" / "val").mkdir(parents=True)
    (root / "labels" / "val").mkdir(parents=True)
    for i, c in enumerate(classes):
        (root / "images" / "val" / f"{i:012d}.jpg").write_bytes(tiny_jpeg())
        (root / "labels" / "val" / f"{i:012d}.txt").write_text(f"{c} 0.5 0.5 0.25 0.5\n")
    listed = "".join(f"  {k}: {name}\n" for k, name in enumerate(names))
    (root / "data.yaml").write_text(f"path: .\nval: images/val\nnames:\n{listed}")
    return root


def _truth(catalog: Catalog) -> list[tuple[str, str, list[float]]]:
    with catalog.cursor() as cur:
        rows = cur.execute(
            "SELECT s.file_name, a.label, a.x, a.y, a.w, a.h FROM annotations a "
            "JOIN samples s USING (sample_id) WHERE a.source = 'ground_truth' ORDER BY 1"
        ).fetchall()
    return [(r[0], r[1], [r[2], r[3], r[4], r[5]]) for r in rows]


def _predicted(catalog: Catalog, model: str) -> dict[str, str]:
    with catalog.cursor() as cur:
        rows = cur.execute(
            "SELECT s.file_name, a.label FROM annotations a JOIN samples s USING (sample_id) "
            "WHERE a.source = ?",
            [model],
        ).fetchall()
    return dict(rows)


def _results(path: Path, truth: list[tuple[str, str, list[float]]], id_of: Any) -> Path:
    records = [
        {"image_id": int(Path(name).stem), "category_id": id_of(label), "bbox": box,
         "score": 0.9}
        for name, label, box in truth
    ]  # fmt: skip
    path.write_text(json.dumps(records))
    return path


@pytest.mark.parametrize(
    ("counting", "first"), [("ultralytics", 1), ("from zero", 0)], ids=["from-1", "from-0"]
)
def test_results_ids_count_the_dataset_classes_as_their_writer_does(
    catalog: Catalog, tmp_path: Path, counting: str, first: int
) -> None:
    names = [f"c{k}" for k in range(20)]
    ingest(catalog, "yolo", _yolo(tmp_path / "yolo", names, [0, 3, 7, 19]))
    truth = _truth(catalog)
    results = _results(tmp_path / "r.json", truth, lambda label: names.index(label) + first)
    summary = ingest_predictions(catalog, "yolo", "m", results, **prediction_maps(catalog, "yolo"))
    assert _predicted(catalog, "m") == {name: label for name, label, _ in truth}
    (warning,) = [w for w in summary.warnings if w["code"] == "coco_category_ids_by_position"]
    assert f"from {first}" in warning["message"], warning


def test_coco_91_ids_on_an_80_class_yolo_tree_are_its_classes(
    catalog: Catalog, tmp_path: Path
) -> None:
    converter = pytest.importorskip("ultralytics.data.converter")
    assert tuple(converter.coco80_to_coco91_class()) == COCO_91_IDS
    names = [f"coco{k}" for k in range(80)]
    ingest(catalog, "coco", _yolo(tmp_path / "yolo", names, [0, 11, 12, 44, 79]))
    truth = _truth(catalog)
    results = _results(tmp_path / "r.json", truth, lambda label: COCO_91_IDS[names.index(label)])
    summary = ingest_predictions(catalog, "coco", "m", results, **prediction_maps(catalog, "coco"))
    assert _predicted(catalog, "m") == {name: label for name, label, _ in truth}
    codes = {w["code"]: w["message"] for w in summary.warnings}
    assert "91 ids" in codes["coco_category_ids_by_position"]
