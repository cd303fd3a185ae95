"""Random and truncated inputs: every parser either ingests (with a report) or raises
IngestError -- never any other exception."""

from __future__ import annotations

import itertools
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.ingest_fixtures import DATASETS
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.writes.dataset_writer import write_dataset, write_predictions
from visionlens_jlab.ingest.open import open_dataset, open_predictions
from visionlens_jlab.records.report import IngestError

MAL = DATASETS / "malformed-datumaro"
COCO_TEMPLATE = (MAL / "coco" / "valid_template.json").read_bytes()
VOC_TEMPLATE = (MAL / "voc" / "valid_template.xml").read_bytes()
FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
_names = (f"d{i}" for i in itertools.count())


@pytest.fixture(scope="module")
def catalog() -> Any:
    tmp = tempfile.mkdtemp(prefix="vl-fuzz-")
    with Catalog(Path(tmp) / "data") as cat:
        yield cat
    shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="module")
def workdir() -> Any:
    tmp = Path(tempfile.mkdtemp(prefix="vl-fuzz-src-"))
    yield tmp
    shutil.rmtree(tmp, ignore_errors=True)


def _try_dataset(catalog: Catalog, source: Path, fmt: str = "auto") -> None:
    try:
        summary = write_dataset(catalog, next(_names), open_dataset(str(source), fmt))
    except IngestError as exc:
        assert str(exc)  # a message for the user
        return
    assert summary.samples >= 1


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "id",
                    "image_id",
                    "category_id",
                    "bbox",
                    "iscrowd",
                    "segmentation",
                    "file_name",
                    "width",
                    "height",
                    "name",
                    "score",
                    "area",
                    "counts",
                    "size",
                    "x",
                ]
            ),
            inner,
            max_size=6,
        )
    ),
    max_leaves=25,
)


@FUZZ
@given(
    cut=st.integers(0, len(COCO_TEMPLATE)),
    flip=st.integers(0, len(COCO_TEMPLATE) - 1),
    byte=st.integers(0, 255),
    mode=st.sampled_from(["cut", "flip"]),
)
def test_coco_truncated_or_corrupted(
    catalog: Catalog, workdir: Path, cut: int, flip: int, byte: int, mode: str
) -> None:
    data = bytearray(COCO_TEMPLATE)
    if mode == "cut":
        data = data[:cut]
    else:
        data[flip] = byte
    (workdir / "c.json").write_bytes(bytes(data))
    _try_dataset(catalog, workdir / "c.json", "coco")


@FUZZ
@given(images=json_values, annotations=json_values, categories=json_values)
def test_coco_random_structures(
    catalog: Catalog, workdir: Path, images: Any, annotations: Any, categories: Any
) -> None:
    doc = {"images": images, "annotations": annotations, "categories": categories}
    (workdir / "r.json").write_text(json.dumps(doc))
    _try_dataset(catalog, workdir / "r.json", "coco")
    # the same records as predictions (dataset-dict shape, and a bare results list)
    for payload in (doc, annotations):
        (workdir / "p.json").write_text(json.dumps(payload))
        try:
            parsed = open_predictions(str(workdir / "p.json"), "coco", categories={1: "a"})
            list(parsed.batches())
        except IngestError:
            pass


@FUZZ
@given(
    cut=st.integers(0, len(VOC_TEMPLATE)),
    junk=st.binary(max_size=40),
    mode=st.sampled_from(["cut", "junk", "insert"]),
    at=st.integers(0, len(VOC_TEMPLATE)),
)
def test_voc_truncated_or_corrupted(
    catalog: Catalog, workdir: Path, cut: int, junk: bytes, mode: str, at: int
) -> None:
    data = (
        VOC_TEMPLATE[:cut]
        if mode == "cut"
        else junk
        if mode == "junk"
        else (VOC_TEMPLATE[:at] + junk + VOC_TEMPLATE[at:])
    )
    folder = workdir / "voc"
    folder.mkdir(exist_ok=True)
    (folder / "a.xml").write_bytes(data)
    _try_dataset(catalog, folder, "voc")


@FUZZ
@given(
    text=st.text(alphabet=st.sampled_from(list("0123456789 .-e\t\r\nabcnaif")), max_size=80),
    raw=st.binary(max_size=30),
    fmt=st.sampled_from(["yolo", "yolo-obb"]),
)
def test_yolo_random_label_files(
    catalog: Catalog, workdir: Path, text: str, raw: bytes, fmt: str
) -> None:
    root = workdir / "yolo"
    if not root.exists():
        shutil.copytree(MAL / "yolo" / "valid_base", root)
    (root / "obj_train_data" / "1.txt").write_bytes(text.encode() + raw)
    _try_dataset(catalog, root, fmt)


@FUZZ
@given(
    text=st.text(alphabet=st.sampled_from(list("0123456789 .-e\t\r\ncatdog")), max_size=80),
    fmt=st.sampled_from(["auto", "txt", "txt-xywh", "yolo", "yolo-conf-last", "yolo-obb"]),
)
def test_txt_predictions_random(catalog: Catalog, workdir: Path, text: str, fmt: str) -> None:
    if "gt" not in {d["name"] for d in catalog.list_datasets()}:
        write_dataset(
            catalog,
            "gt",
            open_dataset(str(DATASETS / "padilla-review-toy" / "gts_vocpascal_format")),
        )
    folder = workdir / "preds"
    folder.mkdir(exist_ok=True)
    (folder / "2007_000549.txt").write_text(text)
    try:
        write_predictions(catalog, "gt", "m", open_predictions(str(folder), fmt, classes=["cat"]))
    except IngestError as exc:
        assert str(exc)
