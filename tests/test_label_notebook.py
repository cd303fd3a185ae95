"""The notebook's tables of labels beyond the box: the boxes' ``mask`` column is COCO
compressed RLE that ``pycocotools.mask.decode`` turns into the mask drawn from the stored
polygons or RLE, with the keypoints, their count and the mask area beside it; the
image-level labels come as their own table, through the REST export and in a kernel."""

from __future__ import annotations

import io
import json
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from pycocotools import mask as mask_utils

from tests.notebook_fixtures import running_kernel
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.reads.export_queries import export_annotations, export_classifications
from visionlens_jlab.catalog.writes.dataset_writer import write_dataset, write_predictions
from visionlens_jlab.notebook.frames import annotations_frame, classifications_frame
from visionlens_jlab.notebook.masks import coco_rle

from .label_fixtures import LabelPredictions, LabelSource, label_rows
from .test_label_filters import GT, catalog, ids, rows  # noqa: F401 - the fixtures


def drawn(segmentation: Any, h: int, w: int) -> np.ndarray:
    """The mask of a stored segmentation, drawn by pycocotools from its own form."""
    if isinstance(segmentation, list):
        parts = mask_utils.frPyObjects(segmentation, h, w)
        return np.asarray(mask_utils.decode(parts).max(axis=2), dtype=np.uint8)
    if isinstance(segmentation["counts"], list):  # uncompressed: the run lengths, by column
        flat = np.repeat(np.arange(len(segmentation["counts"])) % 2, segmentation["counts"])
        return flat.reshape((w, h)).T.astype(np.uint8)
    rle = {"size": segmentation["size"], "counts": segmentation["counts"].encode()}
    return np.asarray(mask_utils.decode(rle), dtype=np.uint8)


def _form(segmentation: Any) -> str:
    if isinstance(segmentation, list):
        return "polygons"
    return "compressed" if isinstance(segmentation["counts"], str) else "uncompressed"


def test_the_mask_column_decodes_to_the_stored_mask(
    catalog: Catalog,  # noqa: F811 - the fixture
    rows: dict[str, Any],  # noqa: F811 - the fixture
) -> None:
    with export_annotations(catalog, "d", None, GT) as export:
        frame = annotations_frame(export.reader.read_all())
    objects = rows["objects"]
    assert len(frame) == len(objects)  # ground truth in ingest order: the rows as given
    forms = set()
    for (_, box), obj in zip(frame.iterrows(), objects, strict=True):
        if "segmentation" not in obj:
            assert box["mask"] is None and np.isnan(box["mask_area"])
            continue
        forms.add(_form(obj["segmentation"]))
        h, w = int(box["image_height"]), int(box["image_width"])
        mask = box["mask"]
        assert set(mask) == {"size", "counts"} and isinstance(mask["counts"], str)
        assert mask["size"] == [h, w]
        decoded = mask_utils.decode({"size": mask["size"], "counts": mask["counts"].encode()})
        assert np.array_equal(decoded, drawn(obj["segmentation"], h, w))
        assert decoded.sum() == box["mask_area"] == obj["mask_area"]
    assert len(forms) == 3  # polygons, compressed and uncompressed RLE
    with_points = frame[frame["keypoints"].notna()]
    assert len(with_points) == sum("keypoints" in o for o in objects)
    for _, box in with_points.iterrows():
        assert box["num_keypoints"] == int((np.asarray(box["keypoints"])[2::3] > 0).sum())


def test_masks_without_an_image_size_or_points() -> None:
    square = [[1.0, 1.0, 5.0, 1.0, 5.0, 5.0, 1.0, 5.0]]
    assert coco_rle(square, None, 10) is None  # nothing to rasterise a polygon on
    assert coco_rle(square, float("nan"), 10) is None
    assert coco_rle([[1.0, 2.0]], 10, 10) is None and coco_rle(None, 10, 10) is None
    mask = coco_rle(square, 10, 12)
    assert mask is not None and mask["size"] == [10, 12]
    decoded = mask_utils.decode({"size": mask["size"], "counts": mask["counts"].encode()})
    assert decoded.shape == (10, 12) and decoded[3, 3] == 1 and decoded[8, 8] == 0


def test_the_classifications_table(catalog: Catalog, rows: dict[str, Any], ids: np.ndarray) -> None:  # noqa: F811 - fixtures
    with export_classifications(catalog, "d", {"sample": {"split": {"in": ["val"]}}}) as export:
        frame = classifications_frame(export.reader.read_all())
    in_val = {int(ids[i]) for i, s in enumerate(rows["samples"]) if s["split"] == "val"}
    want = sorted(
        [(int(ids[r["sample_index"]]), GT, r["label"], None) for r in rows["gt_cls"]]
        + [
            (int(ids[int(r["image_ref"])]), "clf", r["label"], r["score"])
            for r in rows["model_cls"]
        ]
    )
    want = [w for w in want if w[0] in in_val]
    got = [(int(i), s, lab, None if np.isnan(sc) else sc)
           for i, s, lab, sc in frame[["sample_id", "source", "label", "score"]].itertuples(index=False)]  # fmt: skip
    assert sorted(got) == want
    assert list(frame.columns) == ["sample_id", "source", "label", "score", "scores"]


@pytest.fixture
def labelled(vl_app: Any, http_server_client: Any) -> str:
    data = label_rows(8, 12)
    write_dataset(vl_app.catalog, "lab", LabelSource(data))
    write_predictions(vl_app.catalog, "lab", "clf", LabelPredictions([], data["model_cls"]))
    return "lab"


async def test_export_classifications_endpoint(api: Any, labelled: str) -> None:
    status, raw = await api(
        "POST", f"datasets/{labelled}/export/classifications", {"source": "clf"}
    )
    assert status == 200
    table = pa.ipc.open_stream(io.BytesIO(raw)).read_all()
    assert table.num_rows > 0 and set(table.column("source").to_pylist()) == {"clf"}
    code, answer = await api("POST", f"datasets/{labelled}/export/classifications", {"source": 3})
    assert code == 400 and "'source': 3 is not of type" in answer["message"]
    code, answer = await api("POST", f"datasets/{labelled}/export/classifications", {"source": "x"})
    assert code == 400 and "unknown source 'x'" in answer["message"]


async def test_label_tables_in_a_kernel(labelled: str) -> None:
    async with running_kernel() as k:
        out = await k.check(
            "import json, visionlens_jlab.notebook as vl\n"
            "from pycocotools import mask as mu\n"
            "ds = vl.dataset('lab')\n"
            "b = ds.annotations(source='ground_truth')\n"
            "m = b[b['mask'].notna()]\n"
            "areas = [int(mu.decode({'size': r['size'], 'counts': r['counts'].encode()}).sum()) for r in m['mask']]\n"
            "c = ds.classifications(filter={'classifications': {'source': 'clf', 'differs_from_ground_truth': True}})\n"
            "print(json.dumps({'areas': areas, 'stored': m['mask_area'].tolist(),\n"
            "  'cols': c.columns.tolist(), 'n': len(c)}))\n"
        )
    got = json.loads(out)
    assert got["areas"] and got["areas"] == got["stored"]
    assert got["cols"] == ["sample_id", "source", "label", "score", "scores"]
