"""Every path confined at the moment it is used (issue #46), on a real Jupyter server with
``allowed_roots``: model and checkpoint paths however they are written, and every file an
ingest source names (a YOLO data.yaml's ``path``/``train``, an image list's lines, a COCO
``file_name``, a symlink on the way)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest
from PIL import Image

from tests.ingest_fixtures import tiny_jpeg
from tests.plugin_fixtures import FIELD_PLUGIN_TEMPLATE
from visionlens_jlab.importing.parse_process import parse_items
from visionlens_jlab.ingest.allowed_roots import SourceNotAllowedError, confine_local_path
from visionlens_jlab.jobs import WorkerError, stream_from_worker


@pytest.fixture
def vl_settings(tmp_path: Path, jp_root_dir: Path) -> dict[str, Any]:
    (tmp_path / "allowed").mkdir()
    return {"allowed_roots": [str(tmp_path / "allowed"), str(jp_root_dir)], "plugin_folder": "on"}


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder outside the roots holding a checkpoint and a labelled YOLO image."""
    out = tmp_path / "outside"
    (out / "models" / "detr").mkdir(parents=True)
    (out / "models" / "detr" / "config.json").write_text("{}")
    (out / "images" / "train").mkdir(parents=True)
    (out / "labels" / "train").mkdir(parents=True)
    (out / "images" / "train" / "secret.jpg").write_bytes(tiny_jpeg(20, 10))
    (out / "labels" / "train" / "secret.txt").write_text("0 0.5 0.5 0.2 0.2\n")
    return out


# --- A: model and checkpoint paths -------------------------------------------------------


async def test_model_paths_outside_the_roots_are_refused_however_written(
    api: Any, jp_root_dir: Path, outside: Path
) -> None:
    (jp_root_dir / "swap").mkdir()
    (jp_root_dir / "linked").symlink_to(outside / "models")  # a link out of a root
    models = [
        "swap/../../outside/models/detr",  # relative, climbing out of the root folder
        str(outside / "models" / "detr"),  # absolute
        "linked/detr",  # relative, no dot first: a local path because it exists
        "torchvision:fasterrcnn_resnet50_fpn=swap/../../outside/models/detr/config.json",
    ]
    for model in models:
        status, answer = await api("POST", "datasets/any/predict", {"model": model})
        assert status == 403, (model, answer)
        assert "allowed_roots" in answer["message"], answer
    for checkpoint in ("swap/../../outside/models/detr", "linked/detr"):
        status, answer = await api("POST", "datasets/any/embed", {"checkpoint": checkpoint})
        assert status == 403, (checkpoint, answer)
    for model in models[:3]:  # click-to-mask's model, and its prefetch
        click: dict[str, Any] = {"model": model, "points": [{"x": 1, "y": 1}]}
        status, answer = await api("POST", "datasets/any/samples/1/segment", click)
        assert status == 403 and "allowed_roots" in answer["message"], (model, answer)
        prefetch: dict[str, Any] = {"model": model, "sample_ids": [1]}
        status, answer = await api("POST", "datasets/any/segment/prefetch", prefetch)
        assert status == 403 and "allowed_roots" in answer["message"], (model, answer)


def test_local_model_paths_are_resolved_where_the_job_reads_them(tmp_path: Path) -> None:
    root, cwd = tmp_path / "root", tmp_path / "cwd"
    (root / "models" / "m").mkdir(parents=True)
    (cwd / "org").mkdir(parents=True)
    (cwd / "org" / "other").symlink_to(tmp_path)
    bases, roots = [str(root), str(cwd)], [str(root)]
    # a hub id that names no local path stays as it was (nothing to confine)
    assert confine_local_path("facebook/detr-resnet-50", bases, roots) is None
    # an existing relative path becomes the absolute path the job loads
    assert confine_local_path("models/m", bases, roots) == str(root / "models" / "m")
    assert confine_local_path("./models/m", bases, roots) == str(root / "models" / "m")
    # found under the working folder (where worker processes start), outside the roots
    with pytest.raises(SourceNotAllowedError):
        confine_local_path("org/other", bases, roots)
    # written as a path: refused before anything looks whether it exists
    with pytest.raises(SourceNotAllowedError, match="allowed_roots"):
        confine_local_path("models/../../nowhere/x", bases, roots)
    assert confine_local_path("anything", bases, []) is None  # no roots: a laptop


# --- B: every file an ingest source names ------------------------------------------------


def _yolo(root: Path, yaml_text: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "data.yaml").write_text(yaml_text)
    return root / "data.yaml"


async def _ingest(api: Any, wait_job: Any, source: Path, name: str) -> dict[str, Any]:
    status, answer = await api("POST", "datasets", {"source": str(source), "name": name})
    assert status == 202, answer
    return await wait_job(answer["job"], timeout=120)


async def test_a_yolo_yaml_cannot_lead_the_ingest_out_of_the_roots(
    api: Any, wait_job: Any, tmp_path: Path, outside: Path, vl_app: Any
) -> None:
    allowed = tmp_path / "allowed"
    (allowed / "listed").mkdir()
    (allowed / "listed" / "train.txt").write_text(f"{outside / 'images/train/secret.jpg'}\n")
    (allowed / "linked" / "images").mkdir(parents=True)
    (allowed / "linked" / "images" / "train").symlink_to(outside / "images" / "train")
    sources = {
        "climb": _yolo(allowed / "climb", "path: ../../outside\ntrain: images/train\nnames: [a]\n"),
        "absolute": _yolo(
            allowed / "absolute", f"path: {outside}\ntrain: images/train\nnames: [a]\n"
        ),
        "split": _yolo(allowed / "split", f"train: {outside / 'images/train'}\nnames: [a]\n"),
        "listed": _yolo(allowed / "listed", "train: train.txt\nnames: [a]\n"),
        "linked": _yolo(allowed / "linked", "train: images/train\nnames: [a]\n"),
    }
    for name, source in sources.items():
        job = await _ingest(api, wait_job, source, name)
        assert job["status"] == "failed", (name, job)
        # a listed image is one image refused (the only one: nothing is left to ingest)
        said = (
            "images outside the server's allowed roots"
            if name == "listed"
            else "outside the folders this server may ingest from"
        )
        assert said in job["error"], job
        assert "allowed_roots" in job["error"]
    assert vl_app.catalog.list_datasets() == []
    # the same layout inside the roots ingests (the interpreter's own files stay readable)
    inside = allowed / "inside"
    for part in ("images", "labels"):
        (inside / part / "train").mkdir(parents=True)
    (inside / "images" / "train" / "a.jpg").write_bytes(tiny_jpeg(20, 10))
    (inside / "labels" / "train" / "a.txt").write_text("0 0.5 0.5 0.2 0.2\n")
    job = await _ingest(api, wait_job, _yolo(inside, "train: images/train\nnames: [a]\n"), "ok")
    assert job["status"] == "done", job
    assert job["result"]["samples"] == 1, job["result"]


async def test_image_files_named_by_an_annotation_file_are_confined(
    api: Any, wait_job: Any, tmp_path: Path, outside: Path, vl_app: Any
) -> None:
    """A COCO image without a size is read for one: never outside the roots. One outside is
    reported by name and kept without a size; the images inside are read as usual."""
    folder = tmp_path / "allowed" / "coco"
    folder.mkdir(parents=True)
    secret = outside / "images" / "train" / "secret.jpg"
    (folder / "a.jpg").write_bytes(tiny_jpeg(20, 10))  # an image inside is read for its size
    coco = {
        "images": [
            {"id": 1, "file_name": os.path.relpath(secret, folder)},
            {"id": 2, "file_name": "a.jpg"},
        ],
        "categories": [{"id": 1, "name": "cat"}],
        "annotations": [],
    }
    (folder / "ann.json").write_text(json.dumps(coco))
    job = await _ingest(api, wait_job, folder / "ann.json", "coco")
    assert job["status"] == "done", job
    (refused,) = [
        w for w in job["result"]["warnings"] if w["code"] == "image_outside_allowed_roots"
    ]
    assert refused["count"] == 1 and refused["examples"] == [str(secret)], refused
    with vl_app.catalog.cursor() as cur:
        sizes = cur.execute("SELECT file_name, width FROM samples ORDER BY file_name").fetchall()
    assert sizes == [(os.path.relpath(secret, folder), None), ("a.jpg", 20)]


async def test_a_voc_mask_linked_out_of_the_roots_is_not_read(
    api: Any, wait_job: Any, tmp_path: Path, outside: Path
) -> None:
    root = tmp_path / "allowed" / "voc"
    for part in ("Annotations", "JPEGImages", "SegmentationClass"):
        (root / part).mkdir(parents=True)
    (root / "JPEGImages" / "a.jpg").write_bytes(tiny_jpeg(20, 10))
    (root / "Annotations" / "a.xml").write_text(
        "<annotation><filename>a.jpg</filename><size><width>20</width><height>10</height>"
        "<depth>3</depth></size><segmented>1</segmented><object><name>cat</name>"
        "<bndbox><xmin>1</xmin><ymin>1</ymin><xmax>9</xmax><ymax>9</ymax></bndbox>"
        "</object></annotation>"
    )
    Image.new("P", (20, 10), 8).save(outside / "secret.png")
    (root / "SegmentationClass" / "a.png").symlink_to(outside / "secret.png")
    job = await _ingest(api, wait_job, root, "voc")
    assert job["status"] == "failed", job
    assert "allowed_roots" in job["error"], job
    (root / "SegmentationClass" / "a.png").unlink()  # without the link, the same tree ingests
    job = await _ingest(api, wait_job, root, "voc2")
    assert job["status"] == "done", job


async def test_the_plugin_folder_outside_the_roots_still_loads(
    api: Any, wait_job: Any, tmp_path: Path, vl_data_dir: Path
) -> None:
    """The server's own plugins (in its data folder, outside the roots) are not the
    source's references: a table ingest, which asks the plugins for a format, works."""
    (vl_data_dir / "plugins").mkdir(parents=True, exist_ok=True)
    (vl_data_dir / "plugins" / "reader.py").write_text(
        FIELD_PLUGIN_TEMPLATE.format(name="reader", field="f", body="return {}")
    )
    folder = tmp_path / "allowed" / "table"
    folder.mkdir(parents=True)
    (folder / "a.jpg").write_bytes(tiny_jpeg(20, 10))
    (folder / "labels.csv").write_text("file,label\na.jpg,cat\n")
    job = await _ingest(api, wait_job, folder / "labels.csv", "table")
    assert job["status"] == "done", job


def test_the_working_folder_on_sys_path_does_not_widen_the_confinement(tmp_path: Path) -> None:
    """``python -m`` and PYTHONPATH put the working folder on sys.path; the code folders stay
    readable (a late import works), the working folder's data does not."""
    (tmp_path / "allowed").mkdir()
    (tmp_path / "outside.txt").write_text("secret")
    script = f"""
import sys
from visionlens_jlab.ingest.allowed_roots import SourceNotAllowedError, confine_reads
confine_reads([{str(tmp_path / "allowed")!r}])
import fractions  # a late import of the standard library
for path in ("outside.txt", {str(tmp_path / "outside.txt")!r}):
    try:
        open(path).read()
    except SourceNotAllowedError:
        continue
    sys.exit("read " + path)
print("confined")
"""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path])}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0 and done.stdout.strip() == "confined", done.stderr


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_an_image_label_table_swapped_for_a_link_out_after_the_request_is_not_read(
    tmp_path: Path, outside: Path, suffix: str
) -> None:
    """The server checks the table when the request arrives; the parse worker reads it later
    through pyarrow. A table replaced by a link out of the roots in between is refused
    there, as every other file the worker opens."""
    allowed = tmp_path / "allowed"
    for part in ("images", "labels"):
        (allowed / "yolo" / part / "train").mkdir(parents=True)
    (allowed / "yolo" / "images" / "train" / "a.jpg").write_bytes(tiny_jpeg(20, 10))
    (allowed / "yolo" / "labels" / "train" / "a.txt").write_text("0 0.5 0.5 0.2 0.2\n")
    source = _yolo(allowed / "yolo", "train: images/train\nnames: [a]\n")
    table = pa.table({"file": ["a.jpg"], "label": ["a"]})
    secret = outside / f"labels{suffix}"
    if suffix == ".csv":
        pa_csv.write_csv(table, secret)
    else:
        pq.write_table(table, secret)
    labels = allowed / f"labels{suffix}"
    options = {"source": str(source), "fmt": "yolo", "image_labels": str(labels)}
    shutil.copy(secret, labels)
    items = list(stream_from_worker(None, parse_items, "dataset", options, [str(allowed)]))
    assert items[-1][0] == "end"  # the table inside the roots is read
    labels.unlink()
    labels.symlink_to(secret)  # the swap
    with pytest.raises(WorkerError, match="outside the folders this server may ingest from"):
        list(stream_from_worker(None, parse_items, "dataset", options, [str(allowed)]))
