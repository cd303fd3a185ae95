"""Exporting a saved version: the labels as they were at ``visionlens snapshot``, rebuilt
from the operation log, not as they are now. Proven by the readers (pycocotools for COCO,
pyarrow for Parquet's every column, the samples' tags included) against the catalog's rows
taken at the snapshot, after relabels (one object twice), a delete (of an object also
edited before the snapshot), an add and a change of sample tags; through the CLI, the REST
job and ``ds.export(version=...)`` in a real kernel. An unknown version is a clear error
that leaves no folder behind."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from pycocotools.coco import COCO

from tests.export_fixtures import (
    coco_source,
    ingest_source,
    label_rows,
    leftovers,
    run_cli,
    server_source,
)
from tests.notebook_fixtures import running_kernel
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.writes.sample_tags import update_tags

COMPARED = ("file_name", "label", "x", "y", "w", "h", "area", "iscrowd", "segmentation")


def _edit(capsys: pytest.CaptureFixture[str], data_dir: Path, ops: list[dict[str, Any]]) -> Any:
    path = data_dir.parent / "ops.json"
    path.write_text(json.dumps(ops))
    code, result = run_cli(capsys, data_dir, "edit", "src", "--ops", str(path))
    assert code == 0, result
    return result


def _ann_ids(data_dir: Path) -> list[int]:
    cat = Catalog(data_dir)
    try:
        with cat.cursor() as cur:
            rows = cur.execute(
                "SELECT ann_id FROM annotations WHERE source = 'ground_truth' ORDER BY ann_id"
            ).fetchall()
    finally:
        cat.close()
    return [r[0] for r in rows]


def _edits_after(ids: list[int], sample_id: int) -> list[dict[str, Any]]:
    """After the snapshot: relabels (one object twice: the version keeps its
    state before the first), a delete, and an object added."""
    return [
        {"op": "relabel", "annotation_ids": [ids[1], ids[2]], "label": "class7"},
        {"op": "delete", "annotation_id": ids[3]},
        {"op": "add", "sample_id": sample_id, "label": "class2", "bbox": [1.0, 2.0, 5.0, 6.0]},
    ]


class _Captured:
    """``run_cli``'s capsys for a module fixture: the CLI's stdout, caught in a buffer."""

    def __init__(self, buffer: io.StringIO) -> None:
        self._buffer = buffer

    def readouterr(self) -> Any:
        text = self._buffer.getvalue()
        self._buffer.seek(0)
        self._buffer.truncate()
        return type("Captured", (), {"out": text, "err": ""})()


@pytest.fixture(scope="module")
def versioned(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Dataset ``src`` edited before and after ``visionlens snapshot`` (version 1): the
    catalog's ground-truth rows at the snapshot and now."""
    root = tmp_path_factory.mktemp("versions")
    buffer = io.StringIO()
    capsys: Any = _Captured(buffer)
    with contextlib.redirect_stdout(buffer):
        coco_source(root / "src", "segm")
        data_dir = ingest_source(capsys, root / "src", root / "vl")
        ids = _ann_ids(data_dir)
        _edit(capsys, data_dir, [{"op": "relabel", "annotation_id": ids[3], "label": "class1"}])
        first = _sample_id(data_dir)
        _tag(data_dir, [first, first + 1], add=["old"])
        code, version = run_cli(capsys, data_dir, "snapshot", "src", "--message", "v1")
        assert code == 0 and version["version"] == 1, version
        at_snapshot, tags_at_snapshot = label_rows(data_dir, "src"), _sample_tags(data_dir)
        _edit(capsys, data_dir, _edits_after(ids, first))
        _tag(data_dir, [first, first + 2], add=["new"], remove=("old",))  # after the snapshot
        _edit(capsys, data_dir, [{"op": "relabel", "annotation_id": ids[1], "label": "class5"}])
    now, tags_now = label_rows(data_dir, "src"), _sample_tags(data_dir)
    assert _compared(now) != _compared(at_snapshot)  # the edits changed what is exported
    assert tags_now != tags_at_snapshot
    return {"data_dir": data_dir, "at_snapshot": at_snapshot, "now": now,
            "tags_at_snapshot": tags_at_snapshot, "tags_now": tags_now}  # fmt: skip


def _tag(
    data_dir: Path, sample_ids: list[int], add: list[str], remove: tuple[str, ...] = ()
) -> None:
    """Tag samples as the grid and ``ds.tag`` do: one logged batch of sample tags."""
    with Catalog(data_dir) as cat:
        update_tags(cat, "src", {"ids": sample_ids}, add=add, remove=list(remove))


def _sample_tags(data_dir: Path) -> dict[int, list[str]]:
    """Every sample's tags (sorted) by id, as the catalog holds them now."""
    with Catalog(data_dir) as cat, cat.cursor() as cur:
        rows = cur.execute("SELECT sample_id, list_sort(tags) FROM samples").fetchall()
    return {int(s): list(t) for s, t in rows}


def _sample_id(data_dir: Path) -> int:
    cat = Catalog(data_dir)
    try:
        with cat.cursor() as cur:
            return int(cur.execute("SELECT MIN(sample_id) FROM samples").fetchall()[0][0])
    finally:
        cat.close()


def _compared(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return sorted(tuple(json.dumps(r[k], sort_keys=True) for k in COMPARED) for r in rows)


def _coco_rows(path: Path) -> list[dict[str, Any]]:
    """The objects of a COCO export as pycocotools reads them, as :func:`label_rows`."""
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO(str(path))
    names = {c["id"]: c["name"] for c in coco.loadCats(coco.getCatIds())}
    images = {im["id"]: im["file_name"].rsplit("/", 1)[-1] for im in coco.dataset["images"]}
    rows = []
    for ann in coco.loadAnns(coco.getAnnIds()):
        x, y, w, h = ann["bbox"]
        rows.append({
            "file_name": images[ann["image_id"]], "label": names[ann["category_id"]],
            "x": x, "y": y, "w": w, "h": h, "area": ann.get("area"),
            "iscrowd": bool(ann.get("iscrowd")), "segmentation": ann.get("segmentation") or None,
        })  # fmt: skip
    return rows


def test_a_coco_export_of_a_version_has_the_snapshots_labels(
    versioned: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir = versioned["data_dir"]
    out = tmp_path / "v1"
    code, result = run_cli(
        capsys, data_dir, "export", "src", "--format", "coco", "--out", str(out),
        "--images", "none", "--version", "1",
    )  # fmt: skip
    assert code == 0, result
    assert result["annotations"] == len(versioned["at_snapshot"])
    exported = _coco_rows(out / "labels.json")
    assert _compared(exported) == _compared(versioned["at_snapshot"])
    # the same export without --version writes the labels as they are now
    code, result = run_cli(
        capsys, data_dir, "export", "src", "--format", "coco", "--out", str(tmp_path / "now"),
        "--images", "none",
    )  # fmt: skip
    assert code == 0, result
    assert _compared(_coco_rows(tmp_path / "now" / "labels.json")) == _compared(versioned["now"])


def test_a_parquet_export_of_a_version_keeps_every_column(
    versioned: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "pq"
    code, result = run_cli(
        capsys, versioned["data_dir"], "export", "src", "--format", "parquet", "--out",
        str(out), "--images", "none", "--version", "1",
    )  # fmt: skip
    assert code == 0, result
    objects = pq.read_table(out / "objects.parquet").to_pylist()
    files = {
        r["sample_id"]: r["file_name"].rsplit("/", 1)[-1]
        for r in pq.read_table(out / "samples.parquet").to_pylist()
    }
    keys = ("label", "x", "y", "w", "h", "score", "area", "iscrowd", "difficult", "keypoints")
    got = sorted(
        (files[o["sample_id"]], *(o[k] for k in keys), _json(o["segmentation"])) for o in objects
    )
    want = sorted(
        (r["file_name"], *(r[k] for k in keys if k != "keypoints"), r["keypoints"],
         json.dumps(r["segmentation"], sort_keys=True) if r["segmentation"] else None)
        for r in versioned["at_snapshot"]
    )  # fmt: skip
    assert got == want
    assert all(o["eval_status"] is None for o in objects)  # no evaluation of a version


def test_a_parquet_export_of_a_version_has_the_samples_tags_then(
    versioned: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tags = {}
    for name, version in (("then", ["--version", "1"]), ("now", [])):
        code, result = run_cli(
            capsys, versioned["data_dir"], "export", "src", "--format", "parquet", "--out",
            str(tmp_path / name), "--images", "none", *version,
        )  # fmt: skip
        assert code == 0, result
        rows = pq.read_table(tmp_path / name / "samples.parquet").to_pylist()
        tags[name] = {r["sample_id"]: sorted(r["tags"]) for r in rows}
    assert tags["then"] == versioned["tags_at_snapshot"]
    assert tags["now"] == versioned["tags_now"]


def _json(text: str | None) -> str | None:
    return None if text is None else json.dumps(json.loads(text), sort_keys=True)


def test_a_yolo_export_of_a_version(
    versioned: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "yolo"
    code, result = run_cli(
        capsys, versioned["data_dir"], "export", "src", "--format", "yolo", "--out", str(out),
        "--images", "none", "--version", "1",
    )  # fmt: skip
    assert code == 0, result
    rows = sum(len(p.read_text().splitlines()) for p in (out / "labels").rglob("*.txt"))
    assert rows == result["annotations"] == len(versioned["at_snapshot"])


@pytest.mark.parametrize("version", ["7", "0"])
def test_an_unknown_version_is_refused_and_writes_nothing(
    versioned: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str], version: str
) -> None:
    out = tmp_path / "nope"
    code, result = run_cli(
        capsys, versioned["data_dir"], "export", "src", "--format", "coco", "--out", str(out),
        "--version", version,
    )  # fmt: skip
    assert code != 0
    message = result["errors"][0]["message"]
    assert ("no version 7" in message) if version == "7" else ("not 0" in message), message
    assert leftovers(tmp_path, "nope") == []


@pytest.fixture
def vl_settings(tmp_path: Path, jp_root_dir: Path) -> dict[str, Any]:
    return {"allowed_roots": [str(tmp_path), str(jp_root_dir)]}


async def test_the_rest_job_and_the_notebook_export_a_version(
    api: Any, wait_job: Any, vl_app: Any, http_server_client: Any, tmp_path: Path
) -> None:
    server_source(vl_app, tmp_path / "src")

    async def export(name: str, **options: Any) -> list[tuple[Any, ...]]:
        body = {"format": "coco", "out": str(tmp_path / name), "images": "none", **options}
        status, answer = await api("POST", "datasets/src/exports", body)
        assert status == 202, answer
        job = await wait_job(answer["job"])
        assert job["status"] == "done", job
        return _compared(_coco_rows(tmp_path / name / "labels.json"))

    status, answer = await api("POST", "datasets/src/versions", {"message": "v1"})
    assert status in (200, 201), answer
    at_snapshot = await export("before")
    with vl_app.catalog.cursor() as cur:
        ids = [r[0] for r in cur.execute("SELECT ann_id FROM annotations ORDER BY 1").fetchall()]
        sample_id = cur.execute("SELECT MIN(sample_id) FROM samples").fetchall()[0][0]
    status, answer = await api(
        "POST", "datasets/src/edits", {"operations": _edits_after(ids, int(sample_id))}
    )
    assert status == 200, answer
    assert await export("after") != at_snapshot
    assert await export("rest", version=1) == at_snapshot

    body = {"format": "coco", "out": str(tmp_path / "nine"), "version": 9}
    status, answer = await api("POST", "datasets/src/exports", body)
    assert status == 404 and "no version 9" in answer["message"], answer
    status, answer = await api("POST", "datasets/src/exports", {**body, "version": "1"})
    assert status == 400, answer
    assert leftovers(tmp_path, "nine") == []

    async with running_kernel() as k:
        await k.check(
            "import visionlens_jlab.notebook as vl\n"
            f"r = vl.dataset('src').export({str(tmp_path / 'nb')!r}, images='none', "
            "version=1, progress=False)\n"
        )
        answer = await k.execute(
            f"vl.dataset('src').export({str(tmp_path / 'nb9')!r}, version=9, progress=False)"
        )
        assert "no version 9" in answer["error"], answer
    assert _compared(_coco_rows(tmp_path / "nb" / "labels.json")) == at_snapshot
    assert leftovers(tmp_path, "nb9") == []
