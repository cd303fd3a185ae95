"""Datasets exported one folder per split (Roboflow's COCO and VOC exports) and COCO's own
layout (``annotations/instances_<split>.json`` beside ``<split>/``, or ``images/<split>/`` as
datumaro and CVAT write it) ingest with one command.

The export is built from the real padilla-review-voc100 COCO file and photos, written as
Roboflow writes it: a ``_annotations.coco.json`` in ``train/``, ``valid/`` and ``test/``
beside that split's images (renamed ``<stem>_jpg.rf.<hash>.jpg``), image ids from 0 in each
file, an extra category 0 naming the project, ``segmentation: []`` on every box and README
text files at the root. Each split's file is the oracle for what the catalog must hold. The
VOC export holds each split's images beside their ``.xml`` files; its oracle is the same XMLs
read as one flat folder.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.paths import DATASETS
from tests.test_ingest_exports import cli
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.writes.dataset_writer import write_dataset
from visionlens_jlab.cli import main as cli_main
from visionlens_jlab.ingest.detect import detect_dataset_format
from visionlens_jlab.ingest.open import open_dataset
from visionlens_jlab.records.report import IngestError

VOC100 = DATASETS / "padilla-review-voc100"
SPLITS = {"train": 6, "valid": 3, "test": 2}  # images per split folder


def _roboflow_coco(root: Path) -> dict[str, dict[str, Any]]:
    """Write the export under ``root``; returns each split folder's COCO document."""
    source = json.loads((VOC100 / "gts" / "coco_format_v1" / "instances_default.json").read_text())
    categories = [{"id": 0, "name": "voc-objects", "supercategory": "none"}] + [
        {**c, "supercategory": "voc-objects"} for c in source["categories"]
    ]
    images = iter(sorted(source["images"], key=lambda i: i["file_name"]))
    docs = {}
    for folder, n in SPLITS.items():
        (root / folder).mkdir(parents=True)
        doc: dict[str, Any] = {
            "info": {"description": "Exported from roboflow.com"},
            "categories": categories,
            "images": [],
            "annotations": [],
        }
        for new_id in range(n):
            image = next(images)
            stem = Path(image["file_name"]).stem
            name = f"{stem}_jpg.rf.{hashlib.md5(stem.encode()).hexdigest()}.jpg"
            shutil.copy(VOC100 / "images" / image["file_name"], root / folder / name)
            doc["images"].append({**image, "id": new_id, "file_name": name})
            for ann in source["annotations"]:
                if ann["image_id"] == image["id"]:
                    doc["annotations"].append(
                        {
                            **ann,
                            "id": len(doc["annotations"]),
                            "image_id": new_id,
                            "segmentation": [],
                        }
                    )
        (root / folder / "_annotations.coco.json").write_text(json.dumps(doc))
        docs[folder] = doc
    for note in ("README.dataset.txt", "README.roboflow.txt"):
        (root / note).write_text("Exported via roboflow.com\n")
    return docs


def _expected(docs: dict[str, dict[str, Any]]) -> list[tuple[Any, ...]]:
    """``(split, file name, class, x, y, w, h)`` of every box, from the split files."""
    out = []
    for folder, doc in docs.items():
        split = "val" if folder == "valid" else folder
        names = {c["id"]: c["name"] for c in doc["categories"]}
        files = {i["id"]: i["file_name"] for i in doc["images"]}
        for ann in doc["annotations"]:
            row = (split, f"{folder}/{files[ann['image_id']]}", names[ann["category_id"]])
            out.append((*row, *(float(v) for v in ann["bbox"])))
    return sorted(out)


def _rows(catalog: Catalog, name: str) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The dataset's boxes as :func:`_expected` gives them, and its samples' (split, file
    name, location, source image id)."""
    with catalog.cursor() as cur:
        boxes = cur.execute(
            "SELECT s.split, s.file_name, a.label, a.x, a.y, a.w, a.h FROM annotations a "
            "JOIN samples s USING (sample_id) JOIN datasets d ON d.dataset_id = a.dataset_id "
            "WHERE d.name = ? ORDER BY ALL",
            [name],
        ).fetchall()
        samples = cur.execute(
            "SELECT s.split, s.file_name, s.location, s.source_image_id FROM samples s "
            "JOIN datasets d USING (dataset_id) WHERE d.name = ? ORDER BY s.sample_id",
            [name],
        ).fetchall()
    return boxes, samples


def test_a_roboflow_coco_export_ingests_with_one_command(tmp_path: Path) -> None:
    root = tmp_path / "export"
    docs = _roboflow_coco(root)
    data = tmp_path / "vl"
    assert detect_dataset_format(str(root)) == "coco"
    whole = cli(data, "ingest", str(root), "--name", "rf")
    boxes = sum(len(d["annotations"]) for d in docs.values())
    assert (whole["samples"], whole["annotations"]) == (sum(SPLITS.values()), boxes)
    assert (whole["errors"], whole["warnings"]) == ([], [])  # the README files are not labels
    val = cli(data, "ingest", str(root), "--name", "rf-val", "--split", "val")
    assert (val["samples"], val["annotations"]) == (3, len(docs["valid"]["annotations"]))
    with Catalog(data) as catalog:
        got, samples = _rows(catalog, "rf")
        assert got == _expected(docs)
        # train, val, test in that order; every file where its name says, every id apart
        assert [s[0] for s in samples] == ["train"] * 6 + ["val"] * 3 + ["test"] * 2
        assert all(Path(loc) == root / name for _, name, loc, _ in samples)
        assert [s[3] for s in samples[:7]] == [*(f"train/{i}" for i in range(6)), "val/0"]
        assert catalog.get_dataset("rf")["media_root"] == str(root)
        assert {s[0] for s in _rows(catalog, "rf-val")[1]} == {"val"}
        with catalog.cursor() as cur:
            classes = cur.execute(
                "SELECT c.name FROM categories c JOIN datasets d USING (dataset_id) "
                "WHERE d.name = 'rf' ORDER BY c.category_id"
            ).fetchall()
        assert [c[0] for c in classes] == [c["name"] for c in docs["train"]["categories"]]


def test_the_report_counts_over_every_split(tmp_path: Path) -> None:
    """A bad box in two split files: one report row counting both, with both examples."""
    root = tmp_path / "export"
    docs = _roboflow_coco(root)
    for folder in ("valid", "test"):
        docs[folder]["annotations"][0]["bbox"] = [1, 2, -3, 4]
        (root / folder / "_annotations.coco.json").write_text(json.dumps(docs[folder]))
    out = cli(tmp_path / "vl", "ingest", str(root), "--name", "rf")
    boxes = sum(len(d["annotations"]) for d in docs.values())
    assert out["annotations"] == boxes - 2
    [row] = [e for e in out["errors"] if e["code"] == "coco_bad_bbox"]
    assert row["count"] == 2 and len(row["examples"]) == 2


def test_a_bad_split_file_fails_naming_it_and_writes_nothing(tmp_path: Path) -> None:
    """Every split's file is opened before any batch: a results list in the last split's
    place stops the ingest before the first split is read. A truncated one fails while
    it is read, after the other splits: the dataset is written whole or not at all."""
    _roboflow_coco(tmp_path / "export")
    bad = tmp_path / "export" / "test" / "_annotations.coco.json"
    bad.write_text("[]")
    with pytest.raises(IngestError, match=f"{bad} is a JSON array"):
        open_dataset(str(tmp_path / "export"))
    bad.write_text('{"images": [')
    code, text = _cli_failure(tmp_path / "vl", "ingest", str(tmp_path / "export"), "--name", "rf")
    assert code != 0 and f"{bad} is not valid JSON" in text
    with Catalog(tmp_path / "vl") as catalog:
        assert catalog.list_datasets() == []


def test_an_unknown_split_names_the_splits_there(tmp_path: Path) -> None:
    _roboflow_coco(tmp_path / "export")
    with pytest.raises(IngestError, match="no split 'dev'; its splits: test, train, val"):
        open_dataset(str(tmp_path / "export"), split="dev")


def test_cocos_own_layout_finds_the_images_beside_the_annotations_folder(tmp_path: Path) -> None:
    """``annotations/instances_val2017.json`` names bare file names that live in
    ``val2017/``: that folder is where they are looked for, with no ``--images``, whether
    the file or its dataset folder is given."""
    source = json.loads((VOC100 / "gts" / "coco_format_v1" / "instances_default.json").read_text())
    images = sorted(source["images"], key=lambda i: i["file_name"])[:3]
    (tmp_path / "coco" / "annotations").mkdir(parents=True)
    (tmp_path / "coco" / "val2017").mkdir()
    for image in images:
        shutil.copy(VOC100 / "images" / image["file_name"], tmp_path / "coco" / "val2017")
    ids = {i["id"] for i in images}
    doc = {
        **source,
        "images": images,
        "annotations": [a for a in source["annotations"] if a["image_id"] in ids],
    }
    file = tmp_path / "coco" / "annotations" / "instances_val2017.json"
    file.write_text(json.dumps(doc))
    out = cli(tmp_path / "vl", "ingest", str(file), "--name", "coco")
    assert (out["samples"], out["warnings"]) == (3, [])
    folder = cli(tmp_path / "vl", "ingest", str(tmp_path / "coco"), "--name", "folder")
    assert (folder["samples"], folder["warnings"]) == (3, [])
    with Catalog(tmp_path / "vl") as catalog:
        assert catalog.get_dataset("coco")["media_root"] == str(tmp_path / "coco" / "val2017")
        _, samples = _rows(catalog, "folder")
    # one subset: its name is the split, the ids stay COCO's own (results files match them)
    want = [("val2017", f"val2017/{i['file_name']}", str(i["id"])) for i in images]
    assert [(s[0], s[1], s[3]) for s in samples] == want


def test_a_roboflow_voc_export_ingests_with_its_splits(tmp_path: Path) -> None:
    root, flat = tmp_path / "export", tmp_path / "flat"
    flat.mkdir()
    xmls = sorted((VOC100 / "gts" / "pascalvoc_format").glob("*.xml"))
    start = 0
    for folder, n in SPLITS.items():
        (root / folder).mkdir(parents=True)
        for xml in xmls[start : start + n]:
            for dest in (root / folder, flat):
                shutil.copy(xml, dest)
                shutil.copy(VOC100 / "images" / f"{xml.stem}.jpg", dest)
        start += n
    (root / "README.roboflow.txt").write_text("Exported via roboflow.com\n")
    assert detect_dataset_format(str(root)) == "voc"
    data = tmp_path / "vl"
    out = cli(data, "ingest", str(root), "--name", "rf")
    cli(data, "ingest", str(flat), "--name", "flat")
    assert out["samples"] == sum(SPLITS.values())
    with Catalog(data) as catalog:
        got, samples = _rows(catalog, "rf")
        want, _ = _rows(catalog, "flat")
        stems = {f"{x.stem}.jpg": folder for folder, x in _folder_of(xmls)}
        assert got == sorted(
            ("val" if stems[name] == "valid" else stems[name], f"{stems[name]}/{name}", *rest)
            for _, name, *rest in want
        )
        assert [s[0] for s in samples] == ["train"] * 6 + ["val"] * 3 + ["test"] * 2


def _folder_of(xmls: list[Path]) -> list[tuple[str, Path]]:
    """Each of the first XMLs with the split folder :data:`SPLITS` puts it in."""
    folders = [folder for folder, n in SPLITS.items() for _ in range(n)]
    return list(zip(folders, xmls, strict=False))


def test_split_folders_of_bare_images_are_not_classes(tmp_path: Path) -> None:
    """Split folders holding images but no class folders are not a classification tree
    whose classes are ``train`` and ``val``."""
    for folder in ("train", "val"):
        (tmp_path / "splits" / folder).mkdir(parents=True)
        shutil.copy(VOC100 / "images" / "2007_000027.jpg", tmp_path / "splits" / folder)
    with pytest.raises(IngestError, match="cannot tell the format"):
        detect_dataset_format(str(tmp_path / "splits"))


DATUMARO_EXPORT = """
import sys
import datumaro as dm

dm.Dataset.import_from(sys.argv[1], "coco_instances").export(sys.argv[2], "coco", save_media=True)
"""


def test_a_datumaro_coco_export_with_two_subsets_ingests_with_one_command(tmp_path: Path) -> None:
    """datumaro (CVAT's COCO export is datumaro's) writes ``annotations/instances_<subset>.json``
    and ``images/<subset>/``; its input here is the Roboflow export's train and valid files
    in COCO's own layout, which are also the oracle."""
    path = os.environ.get("VISIONLENS_DATUMARO_PATH")
    if not path:
        pytest.skip("VISIONLENS_DATUMARO_PATH (a folder datumaro is installed into) is not set")
    docs = _roboflow_coco(tmp_path / "rf")
    source = tmp_path / "source"
    (source / "annotations").mkdir(parents=True)
    for subset, folder in (("train", "train"), ("val", "valid")):
        shutil.copytree(tmp_path / "rf" / folder, source / "images" / subset)
        (source / "images" / subset / "_annotations.coco.json").unlink()
        doc = {**docs[folder], "categories": docs[folder]["categories"][1:]}  # used ones only
        (source / "annotations" / f"instances_{subset}.json").write_text(json.dumps(doc))
    done = subprocess.run(
        [sys.executable, "-c", DATUMARO_EXPORT, str(source), str(tmp_path / "out")],
        capture_output=True, text=True, timeout=300, check=False,
        env={**os.environ, "PYTHONPATH": path},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    data = tmp_path / "vl"
    assert detect_dataset_format(str(tmp_path / "out")) == "coco"
    out = cli(data, "ingest", str(tmp_path / "out"), "--name", "dm")
    # datumaro takes annotation id 0 for "no id" and numbers it after the others, onto an id
    # in use: one duplicate per file, every box kept and counted
    assert out["samples"] == 9
    assert [(w["code"], w["count"]) for w in out["warnings"]] == [
        ("coco_duplicate_annotation_id", 2)
    ]
    with Catalog(data) as catalog:
        got, samples = _rows(catalog, "dm")
    want = [
        (split, f"images/{split}/{name.split('/', 1)[1]}", *rest)
        for split, name, *rest in _expected({k: docs[k] for k in ("train", "valid")})
    ]
    assert got == sorted(want)
    assert [s[0] for s in samples] == ["train"] * 6 + ["val"] * 3


def test_a_results_file_of_one_split_imports_with_split(tmp_path: Path) -> None:
    """A COCO results file made against the ``valid`` split's own file names its images by
    that file's ids, which every split's file reuses: ``--split val`` matches them among
    the val samples; without it they match nothing, and an unknown split is named."""
    root = tmp_path / "export"
    docs = _roboflow_coco(root)
    data = tmp_path / "vl"
    cli(data, "ingest", str(root), "--name", "rf")
    valid = docs["valid"]
    results = [
        {"image_id": a["image_id"], "category_id": a["category_id"], "bbox": a["bbox"],
         "score": 0.5}
        for a in valid["annotations"]
    ]  # fmt: skip
    file = tmp_path / "valid_results.json"
    file.write_text(json.dumps(results))
    out = cli(data, "predictions", "rf", str(file), "--model", "m", "--split", "val")
    assert out["predictions"] == len(results)
    with Catalog(data) as catalog, catalog.cursor() as cur:
        got = cur.execute(
            "SELECT s.split, s.file_name, a.label, a.x, a.y, a.w, a.h FROM annotations a "
            "JOIN samples s USING (sample_id) WHERE a.source = 'm' ORDER BY ALL"
        ).fetchall()
    assert got == [row for row in _expected(docs) if row[0] == "val"]
    code, text = _cli_failure(data, "predictions", "rf", str(file), "--model", "m2")
    assert code != 0 and "no prediction could be matched" in text
    empty = tmp_path / "empty.json"
    empty.write_text("[]")  # a model that found nothing: said as such, not as unmatched
    code, text = _cli_failure(data, "predictions", "rf", str(empty), "--model", "m4")
    assert code != 0 and "(it holds no prediction)" in text, text
    code, text = _cli_failure(data, "predictions", "rf", str(file), "--model", "m3", "--split",
                              "valid")  # fmt: skip
    assert code != 0 and "no split 'valid'; its splits: test, train, val" in text


async def test_the_rest_import_takes_a_split(
    vl_app: Any, api: Any, wait_job: Any, tmp_path: Path
) -> None:
    docs = _roboflow_coco(tmp_path / "export")
    write_dataset(vl_app.catalog, "rf", open_dataset(str(tmp_path / "export")))
    file = tmp_path / "valid_results.json"
    results = [{**a, "score": 0.5} for a in docs["valid"]["annotations"]]
    file.write_text(json.dumps(results))
    body = {"source": str(file), "model": "m", "split": "val"}
    status, answer = await api("POST", "datasets/rf/predictions", body)
    assert status == 202, answer
    job = await wait_job(answer["job"])
    assert job["status"] == "done" and job["result"]["predictions"] == len(results), job
    status, answer = await api("POST", "datasets/rf/predictions", {**body, "split": "dev"})
    job = await wait_job(answer["job"])
    assert job["status"] == "failed" and "no split 'dev'" in json.dumps(job), job


def _cli_failure(data: Path, *argv: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli_main([*argv, "--data-dir", str(data), "--json"])
    return code, out.getvalue()


def test_a_hugging_face_imagefolder_ingests_with_its_splits(tmp_path: Path) -> None:
    """``imagefolder``: ``train/metadata.csv`` (file_name, label) beside the split's images;
    the tables are the oracle."""
    root = tmp_path / "hf"
    photos = iter(sorted((VOC100 / "images").glob("*.jpg")))
    want = []
    for split, labels in (("train", ["cat", "dog", "cat"]), ("test", ["dog", "dog"])):
        (root / split).mkdir(parents=True)
        rows = ["file_name,label"]
        for label in labels:
            photo = next(photos)
            shutil.copy(photo, root / split)
            rows.append(f"{photo.name},{label}")
            want.append((split, f"{split}/{photo.name}", label))
        (root / split / "metadata.csv").write_text("\n".join(rows) + "\n")
    assert detect_dataset_format(str(root)) == "classification"
    data = tmp_path / "vl"
    out = cli(data, "ingest", str(root), "--name", "hf")
    assert (out["samples"], out["annotations"], out["warnings"]) == (5, 5, [])
    with Catalog(data) as catalog, catalog.cursor() as cur:
        got = cur.execute(
            "SELECT s.split, s.file_name, c.label FROM classifications c "
            "JOIN samples s USING (sample_id) ORDER BY s.sample_id"
        ).fetchall()
    assert got == want


def test_readme_and_licence_files_are_not_labels_but_similar_names_are(tmp_path: Path) -> None:
    from visionlens_jlab.ingest.txt import list_txt

    for name in ("README.roboflow.txt", "LICENSE.txt", "licence.txt", "license_plate_1.txt"):
        (tmp_path / name).write_text("0 0.5 0.5 0.1 0.1\n")
    assert list_txt(str(tmp_path)) == ["license_plate_1.txt"]
