"""Helpers for the export tests: small source datasets with images, the CLI run in-process,
and a dataset's samples and labels as comparable rows."""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path
from typing import Any

import pytest

from tests.evaluate_label_fixtures import synthetic_keypoints, synthetic_segm
from tests.ingest_fixtures import tiny_jpeg
from visionlens_jlab import cli
from visionlens_jlab.catalog import Catalog


def write_images(folder: Path, images: list[dict[str, Any]]) -> Path:
    """A small JPEG of each COCO image's size under ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for im in images:
        (folder / im["file_name"]).write_bytes(tiny_jpeg(im["width"], im["height"]))
    return folder


def hold_image_copies(monkeypatch: pytest.MonkeyPatch) -> tuple[threading.Event, threading.Event]:
    """Make an export's image copies wait: ``started`` is set by the first copy, and every
    copy waits (30 s at most) until the test sets ``release``, so that the test can act in
    the middle of a job (cancel it, swap its folder)."""
    started, release = threading.Event(), threading.Event()
    copy = shutil.copyfile

    def held_copy(source: Any, dest: Any) -> Any:
        started.set()
        release.wait(30)
        return copy(source, dest)

    monkeypatch.setattr(shutil, "copyfile", held_copy)
    return started, release


def coco_source(root: Path, kind: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """``root/gt.json``, ``root/dets.json`` and ``root/images/`` of a synthetic ``segm``
    (polygons, multi-part polygons, RLE crowds; RLE results) or ``keypoints`` dataset, a
    split on every image (``train`` / ``val`` alternating)."""
    gt, dets = synthetic_segm(3, n_images=8) if kind == "segm" else synthetic_keypoints(3, 17, 8)
    for i, im in enumerate(gt["images"]):
        im["split"] = "train" if i % 2 else "val"
    write_images(root / "images", gt["images"])
    (root / "gt.json").write_text(json.dumps(gt))
    (root / "dets.json").write_text(json.dumps(dets))
    return gt, dets


def run_cli(capsys: pytest.CaptureFixture[str], data_dir: Path, *argv: str) -> tuple[int, Any]:
    """``visionlens ARGV --data-dir DATA_DIR --json`` in this process: exit code, JSON."""
    capsys.readouterr()
    code = cli.main([*argv, "--data-dir", str(data_dir), "--json"])
    out = capsys.readouterr().out.strip().splitlines()
    return code, json.loads(out[-1]) if out else None


def ingest_source(
    capsys: pytest.CaptureFixture[str], root: Path, data_dir: Path, *, model: bool = False
) -> Path:
    """Ingest :func:`coco_source`'s ``root`` as dataset ``src`` into ``data_dir`` and, with
    ``model``, its results as model ``m1`` (a bare results list naming classes by the ground
    truth's ids: the CLI finds them); returns ``data_dir``."""
    code, result = run_cli(
        capsys, data_dir, "ingest", str(root / "gt.json"), "--name", "src",
        "--images", str(root / "images"),
    )  # fmt: skip
    assert code == 0, result
    if model:
        code, result = run_cli(
            capsys, data_dir, "predictions", "src", str(root / "dets.json"), "--model", "m1"
        )
        assert code == 0, result
    return data_dir


def ingest_cli(capsys: pytest.CaptureFixture[str], data_dir: Path, source: Path, name: str) -> Any:
    """``visionlens ingest SOURCE --name NAME`` (format auto-detected); its JSON result."""
    code, result = run_cli(capsys, data_dir, "ingest", str(source), "--name", name)
    assert code == 0, result
    return result


def sample_rows(data_dir: Path, dataset: str) -> dict[str, dict[str, Any]]:
    """Each sample by its base file name: size and split."""
    cat = Catalog(data_dir)
    try:
        with cat.cursor() as cur:
            rows = cur.execute(
                "SELECT s.file_name, s.width, s.height, s.split FROM samples s "
                "JOIN datasets d USING (dataset_id) WHERE d.name = ?",
                [dataset],
            ).fetchall()
    finally:
        cat.close()
    return {r[0].rsplit("/", 1)[-1]: {"size": (r[1], r[2]), "split": r[3]} for r in rows}


def label_rows(data_dir: Path, dataset: str, source: str = "ground_truth") -> list[dict[str, Any]]:
    """The objects of ``source`` with their image's base name, in a stable order."""
    cat = Catalog(data_dir)
    try:
        with cat.cursor() as cur:
            cur.execute(
                "SELECT s.file_name, a.label, a.x, a.y, a.w, a.h, a.score, a.area, a.iscrowd, "
                "a.difficult, CAST(a.segmentation AS VARCHAR) AS segmentation, a.keypoints, "
                "a.num_keypoints, a.mask_area, s.width AS image_w, s.height AS image_h FROM annotations a JOIN samples s USING (sample_id) "
                "JOIN datasets d ON d.dataset_id = s.dataset_id WHERE d.name = ? AND a.source = ? "
                "ORDER BY s.file_name, a.ann_id",
                [dataset, source],
            )
            names = [d[0] for d in cur.description]
            rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    finally:
        cat.close()
    for row in rows:
        row["file_name"] = row["file_name"].rsplit("/", 1)[-1]
        row["segmentation"] = json.loads(row["segmentation"]) if row["segmentation"] else None
    return rows


def leftovers(parent: Path, name: str) -> list[str]:
    """Entries of ``parent`` an export to ``parent/name`` may have made (its staging
    folders included)."""
    return sorted(e.name for e in parent.iterdir() if e.name == name or f".{name}." in e.name)


def ultralytics_font(tmp_path: Path) -> None:
    """A font where Ultralytics (run by ``run_ultralytics`` with its settings under
    ``tmp_path/ultralytics``) looks for Arial: offline, it cannot download one."""
    import matplotlib

    folder = tmp_path / "ultralytics" / "Ultralytics"
    folder.mkdir(parents=True, exist_ok=True)
    font = Path(matplotlib.__file__).parent / "mpl-data" / "fonts" / "ttf" / "DejaVuSans.ttf"
    for name in ("Arial.ttf", "Arial.Unicode.ttf"):
        shutil.copy(font, folder / name)


def server_source(app: Any, root: Path) -> dict[str, Any]:
    """The synthetic 8-image segmentation dataset ``src`` (files under ``root``), ingested
    by the running server's ``app``; its COCO dict."""
    gt, _ = coco_source(root, "segm")
    job = app.ingest(name="src", source=str(root / "gt.json"), images=str(root / "images"))
    assert app.jobs.wait(job.id, timeout=120).status == "done", job.error
    return gt


def coco_counts(path: Path) -> tuple[int, int]:
    """How many images and objects pycocotools reads in the COCO file ``path``."""
    import contextlib
    import io

    from pycocotools.coco import COCO

    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO(str(path))
    return len(coco.getImgIds()), len(coco.getAnnIds())
