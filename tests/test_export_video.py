"""``visionlens export`` of a video dataset: the exact frames, decoded on demand and
written as ``<video>/<frame number>.jpg`` (read back from the frame number drawn into the
pixels), the ``--frames`` modes, MOT Challenge and CVAT for video folders that our own
ingest reads back to the same boxes and tracks (and TrackEval's MOT reader parses), and
the refusals."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from tests.export_fixtures import coco_source, ingest_source, leftovers, run_cli
from tests.notebook_fixtures import running_kernel
from tests.tracking_fixtures import TRACKER, run_trackeval
from tests.video_fixtures import read_number, write_mot, write_video
from visionlens_jlab.export import ExportError, export_view

FRAMES = 30
TRACKS = """
  <track id="0" label="car" source="manual">
    <box frame="2" outside="0" occluded="0" keyframe="1" xtl="0" ytl="30" xbr="10" ybr="40" z_order="0"/>
    <box frame="6" outside="0" occluded="1" keyframe="1" xtl="8" ytl="34" xbr="26" ybr="44" z_order="0">
      <attribute name="colour">red</attribute>
    </box>
    <box frame="9" outside="1" occluded="0" keyframe="1" xtl="8" ytl="34" xbr="26" ybr="44" z_order="0"/>
    <box frame="20" outside="0" occluded="0" keyframe="1" xtl="50" ytl="50" xbr="60" ybr="70" z_order="1"/>
    <box frame="22" outside="1" occluded="0" keyframe="1" xtl="50" ytl="50" xbr="60" ybr="70" z_order="1"/>
  </track>
  <track id="1" label="person" source="manual">
    <box frame="25" outside="0" occluded="0" keyframe="1" xtl="1" ytl="31" xbr="9" ybr="49" z_order="0"/>
  </track>
"""
LABELLED = [3, 4, 5, 6, 7, 8, 9, 21, 22, 26, 27, 28, 29, 30]
"""The frames (from 1) the tracks above cover: CVAT 2-8 and 20-21 of track 0 (outside at
9 and 22), 25 to the end of track 1."""


def _task(root: Path) -> Path:
    """A CVAT for video task: ``street.mp4`` (frame numbers drawn in) and its tracks."""
    root.mkdir(parents=True)
    write_video(root / "street.mp4", FRAMES, gop=6, bframes=2)
    (root / "annotations.xml").write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n<annotations><version>1.1</version><meta><task>'
        f"<name>street</name><size>{FRAMES}</size><mode>interpolation</mode>"
        "<labels><label><name>car</name></label><label><name>person</name></label></labels>"
        "<original_size><width>192</width><height>112</height></original_size>"
        f"<source>street.mp4</source></task></meta>{TRACKS}</annotations>"
    )
    return root


@pytest.fixture
def street(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """Data dir with the CVAT task ingested as dataset ``street``."""
    data = tmp_path / "vl"
    code, result = run_cli(
        capsys, data, "ingest", str(_task(tmp_path / "task")), "--name", "street"
    )
    assert code == 0 and result["videos"] == 1, result
    return data


def _export(capsys: Any, data: Path, out: Path, *argv: str, dataset: str = "street") -> Any:
    code, result = run_cli(capsys, data, "export", dataset, "--out", str(out), *argv)
    assert code == 0, result
    return result


def _number(path: Path) -> int:
    return read_number(np.asarray(Image.open(path).convert("RGB")))


def _objects(data: Path, dataset: str) -> list[tuple[Any, ...]]:
    """``(video, frame, track, label, x, y, w, h, attributes)`` of the dataset's ground truth."""
    from visionlens_jlab.catalog import Catalog

    with Catalog(data) as catalog, catalog.cursor() as cur:
        rows = cur.execute(
            "SELECT v.name, f.frame_number, a.track_id, a.label, a.x, a.y, a.w, a.h, "
            "CAST(a.attributes AS VARCHAR) FROM annotations a "
            "JOIN video_frames f USING (sample_id) "
            "JOIN videos v ON v.dataset_id = f.dataset_id AND v.video_id = f.video_id "
            "JOIN datasets d ON d.dataset_id = a.dataset_id "
            "WHERE d.name = ? AND a.source = 'ground_truth' ORDER BY v.name, f.frame_number, a.ann_id",
            [dataset],
        ).fetchall()
    return [tuple(r) for r in rows]


def _same_tracks(a: list[tuple[Any, ...]], b: list[tuple[Any, ...]]) -> None:
    """The same boxes on the same frames of the same videos, grouped into the same tracks
    (track ids may be renumbered: a one-to-one map)."""
    assert len(a) == len(b)
    ids: dict[Any, Any] = {}
    for x, y in zip(a, b, strict=True):
        assert x[:2] == y[:2] and x[3] == y[3]
        assert x[4:8] == pytest.approx(y[4:8], abs=1e-9)
        assert ids.setdefault(x[2], y[2]) == y[2]
    assert len(set(ids.values())) == len(ids)


def test_labelled_frames_are_the_exact_frames_in_coco(
    street: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "coco"
    result = _export(capsys, street, out, "--format", "coco")
    assert result["samples"] == len(LABELLED)
    written = sorted(int(p.stem) for p in (out / "data" / "street").glob("*.jpg"))
    assert written == LABELLED
    for n in written:  # the pixels say which frame the decoder gave
        assert _number(out / "data" / "street" / f"{n}.jpg") == n
    labels = json.loads((out / "labels.json").read_text())
    names = {im["id"]: im["file_name"] for im in labels["images"]}
    assert sorted(names.values()) == sorted(f"street/{n}.jpg" for n in LABELLED)
    assert {im["frame_number"] for im in labels["images"]} == set(LABELLED)
    assert len(labels["annotations"]) == result["annotations"] == len(LABELLED)
    by_frame = {names[a["image_id"]]: a["bbox"] for a in labels["annotations"]}
    assert by_frame["street/3.jpg"] == pytest.approx([0, 30, 10, 10])  # CVAT frame 2


@pytest.mark.parametrize(
    ("frames", "expected"),
    [
        ("labelled", LABELLED),
        ("all", list(range(1, FRAMES + 1))),
        ("every:7", [1, 8, 15, 22, 29]),
        ("every:1", list(range(1, FRAMES + 1))),
    ],
)
def test_frames_modes_choose_the_frames(
    street: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    frames: str,
    expected: list[int],
) -> None:
    out = tmp_path / "yolo"
    result = _export(capsys, street, out, "--format", "yolo", "--frames", frames)
    images = out / "images" / "train" / "street"
    assert sorted(int(p.stem) for p in images.glob("*.jpg")) == expected
    assert result["samples"] == len(expected)
    for n in expected[:: max(1, len(expected) // 5)]:
        assert _number(images / f"{n}.jpg") == n
    labels = out / "labels" / "train" / "street"
    with_rows = {int(p.stem) for p in labels.glob("*.txt") if p.read_text().strip()}
    assert with_rows == set(expected) & set(LABELLED)  # unlabelled frames: empty files
    assert len(list(labels.glob("*.txt"))) == len(expected)


def test_a_view_of_frames_labelled_or_its_whole_videos(
    street: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    few = json.dumps({"sample": {"fields.frame_number": {"min": 5, "max": 12}}})
    out = tmp_path / "few"
    assert _export(capsys, street, out, "--format", "coco", "--filter", few)["samples"] == 5
    assert sorted(int(p.stem) for p in (out / "data" / "street").glob("*.jpg")) == [5, 6, 7, 8, 9]
    # every K-th frame of the videos the view has a frame of, past the view's own frames
    out = tmp_path / "every"
    _export(capsys, street, out, "--format", "coco", "--filter", few, "--frames", "every:10")
    assert sorted(int(p.stem) for p in (out / "data" / "street").glob("*.jpg")) == [1, 11, 21]
    none = json.dumps({"sample": {"fields.frame_number": {"min": 10, "max": 12}}})
    code, result = run_cli(
        capsys, street, "export", "street", "--out", str(tmp_path / "none"), "--format", "coco",
        "--filter", none,
    )  # fmt: skip
    assert code != 0 and "no frame of the view has a label" in json.dumps(result)


def test_mot_export_of_a_video_file_has_its_frames_and_tracks(
    street: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "mot"
    _export(capsys, street, out, "--format", "mot", "--frames", "all")
    seq = out / "street"
    info = (seq / "seqinfo.ini").read_text()
    assert "seqLength=30" in info and "imWidth=192" in info and "frameRate=25" in info
    assert _number(seq / "img1" / "000001.jpg") == 1
    assert _number(seq / "img1" / "000030.jpg") == 30
    rows = [line.split(",") for line in (seq / "gt" / "gt.txt").read_text().splitlines()]
    assert sorted(int(r[0]) for r in rows) == LABELLED
    assert {r[7] for r in rows} == {"3", "14"}  # car is MOT17's 3; person is not a MOT class
    assert (out / "classes.txt").read_text() == "14 person\n"


def test_mot_round_trip_and_trackeval_reads_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "MOT"
    write_mot(source, {"seq-a": 12, "seq-b": 9}, tracks=4, seed=3)
    data = tmp_path / "vl"
    code, result = run_cli(capsys, data, "ingest", str(source), "--name", "mot", "--format", "mot")
    assert code == 0, result
    out = tmp_path / "trackeval" / "gt"  # TrackEval's layout: gt/<seq>/, trackers/<t>/data/
    exported = _export(capsys, data, out, "--format", "mot", "--frames", "all", dataset="mot")
    assert exported["samples"] == 21
    code, again = run_cli(capsys, data, "ingest", str(out), "--name", "again", "--format", "mot")
    assert code == 0, again
    assert (again["videos"], again["frames"], again["tracks"]) == (2, 21, result["tracks"])
    before, after = _objects(data, "mot"), _objects(data, "again")
    _same_tracks(before, after)
    # consider and visibility come back
    assert [json.loads(r[8]) for r in before] == [json.loads(r[8]) for r in after]
    _trackeval_reads(out.parent, ["seq-a", "seq-b"])


def _trackeval_reads(root: Path, sequences: list[str]) -> None:
    """TrackEval's MOT reader takes the written ``gt.txt`` and ``seqinfo.ini``: a tracker
    giving back the ground truth's pedestrians to be evaluated scores MOTA and IDF1 1."""
    data = root / "trackers" / TRACKER / "data"
    data.mkdir(parents=True)
    for seq in sequences:
        rows = [r.split(",") for r in (root / "gt" / seq / "gt" / "gt.txt").read_text().split()]
        kept = [r for r in rows if r[7] == "1" and r[6] == "1"]  # pedestrians considered
        assert kept, seq
        (data / f"{seq}.txt").write_text("".join(f"{','.join(r[:6])},1,-1,-1,-1\n" for r in kept))
    combined = run_trackeval(root, sequences)["COMBINED_SEQ"]
    assert combined["CLEAR"]["MOTA"] == pytest.approx(1.0)
    assert combined["Identity"]["IDF1"] == pytest.approx(1.0)
    assert combined["CLEAR"]["CLR_TP"] > 0


def test_cvat_video_round_trip(
    street: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "cvat"
    _export(capsys, street, out, "--format", "cvat-video", "--frames", "all")
    task = out / "street"
    assert _number(task / "images" / "frame_000000.jpg") == 1  # CVAT counts from 0
    assert _number(task / "images" / "frame_000029.jpg") == 30
    code, again = run_cli(
        capsys, street, "ingest", str(task), "--name", "again", "--format", "cvat"
    )
    assert code == 0, again
    assert (again["videos"], again["frames"], again["tracks"]) == (1, 30, 2)
    before, after = _objects(street, "street"), _objects(street, "again")
    _same_tracks([b[1:] for b in before], [a[1:] for a in after])
    assert [json.loads(r[8]) for r in before] == [json.loads(r[8]) for r in after]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--format", "coco", "--frames", "every:0"], "every:K takes a whole number K from 1"),
        (["--format", "coco", "--frames", "some"], "--frames takes labelled, all or every:K"),
        (["--format", "coco", "--frames", "all", "--images", "symlink"], "cannot be symlinked"),
    ],
)
def test_bad_frames_options_are_refused_and_leave_nothing(
    street: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    out = tmp_path / "exports" / "bad"
    out.parent.mkdir()
    code, result = run_cli(capsys, street, "export", "street", "--out", str(out), *argv)
    assert code != 0 and message in json.dumps(result) + capsys.readouterr().err
    assert not out.exists() and leftovers(out.parent, "bad") == []


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--format", "mot"], "--format mot writes videos and 'src' has none"),
        (["--format", "cvat-video"], "--format cvat-video writes videos and 'src' has none"),
        (["--format", "coco", "--frames", "all"], "--frames chooses frames of videos"),
    ],
)
def test_video_options_on_a_dataset_of_images_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    coco_source(tmp_path / "src", "segm")  # the 8 images of the other export tests
    data = ingest_source(capsys, tmp_path / "src", tmp_path / "vl")
    out = tmp_path / "exports" / "bad"
    out.parent.mkdir()
    code, result = run_cli(capsys, data, "export", "src", "--out", str(out), *argv)
    assert code != 0 and message in json.dumps(result)
    assert leftovers(out.parent, "bad") == []
    # without the video options the same dataset exports as before
    assert _export(capsys, data, out, "--format", "coco", dataset="src")["samples"] == 8


def test_the_visionlens_command_refuses_mot_for_still_images(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    coco_source(tmp_path / "src", "segm")
    data = ingest_source(capsys, tmp_path / "src", tmp_path / "vl")
    out = tmp_path / "exports" / "mot"
    out.parent.mkdir()
    argv = ["export", "src", "--format", "mot", "--out", str(out), "--data-dir", str(data)]
    done = subprocess.run(
        [sys.executable, "-m", "visionlens_jlab.cli", *argv],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1, (done.stdout, done.stderr)
    said = done.stdout + done.stderr
    assert "--format mot writes videos and 'src' has none" in said, said
    assert "--format coco|yolo|voc|dota|classification|parquet" in said, said
    assert "Traceback" not in said
    assert list(out.parent.iterdir()) == []  # neither the folder nor a staging one


async def test_the_rest_export_job_takes_frames(
    api: Any, wait_job: Any, vl_app: Any, tmp_path: Path
) -> None:
    task = _task(tmp_path / "task")
    job = vl_app.ingest(name="street", source=str(task))
    assert vl_app.jobs.wait(job.id, timeout=120).status == "done", job.error
    out = tmp_path / "exports" / "mot"
    body = {"format": "mot", "out": str(out), "frames": "every:10"}
    status, answer = await api("POST", "datasets/street/exports", body)
    assert status == 202, answer
    done = await wait_job(answer["job"])
    assert done["status"] == "done" and done["result"]["samples"] == 3, done
    assert sorted(p.name for p in (out / "street" / "img1").iterdir()) == [
        "000001.jpg", "000011.jpg", "000021.jpg",
    ]  # fmt: skip
    assert _number(out / "street" / "img1" / "000021.jpg") == 21
    bad = {"format": "coco", "out": str(tmp_path / "exports" / "bad"), "frames": "every:0"}
    status, answer = await api("POST", "datasets/street/exports", bad)
    assert status == 400 and "every:K takes a whole number K from 1" in answer["message"]
    assert not (tmp_path / "exports" / "bad").exists()


async def test_a_video_format_for_a_view_with_still_images_is_refused_before_any_job(
    api: Any, wait_job: Any, vl_app: Any, tmp_path: Path
) -> None:
    from visionlens_jlab.bulk.merge import merge_datasets

    job = vl_app.ingest(name="street", source=str(_task(tmp_path / "task")))
    assert vl_app.jobs.wait(job.id, timeout=120).status == "done", job.error
    coco_source(tmp_path / "src", "segm")
    job = vl_app.ingest(
        name="stills",
        source=str(tmp_path / "src" / "gt.json"),
        images=str(tmp_path / "src" / "images"),
    )
    assert vl_app.jobs.wait(job.id, timeout=120).status == "done", job.error
    merged = merge_datasets(vl_app.catalog, "stills", "street", "file_name")
    assert merged.added > 0
    jobs_before = len(vl_app.jobs.list())
    out = tmp_path / "exports" / "mot"
    for fmt in ("mot", "cvat-video"):
        status, answer = await api(
            "POST", "datasets/street/exports", {"format": fmt, "out": str(out)}
        )
        assert status == 400, answer
        assert (
            f"{merged.added} of the view's {FRAMES + merged.added} samples are no frame of a video"
            in answer["message"]
        )
        assert f"--format {fmt} writes videos only" in answer["message"]
    assert len(vl_app.jobs.list()) == jobs_before and not out.exists()
    # the CLI without a server runs the export itself: refused as a whole, nothing staged
    for fmt in ("mot", "cvat-video"):
        with pytest.raises(ExportError, match=f"{merged.added} of the view's") as refused:
            export_view(vl_app.catalog, "street", fmt, out)
        assert f"--format {fmt} writes videos only; leave them out" in str(refused.value)
    assert not out.exists()
    # a view of the frames alone passes the check and is exported
    with vl_app.catalog.cursor() as cur:
        frames = [r[0] for r in cur.execute("SELECT sample_id FROM video_frames").fetchall()]
    assert len(frames) == FRAMES
    body = {"format": "mot", "out": str(out), "filter": {"ids": frames}, "frames": "every:10"}
    status, answer = await api("POST", "datasets/street/exports", body)
    assert status == 202, answer
    done = await wait_job(answer["job"])
    assert done["status"] == "done" and done["result"]["samples"] == 3, done


async def test_the_notebook_and_the_cli_through_a_server_take_frames(
    vl_app: Any, vl_data_dir: Path, http_server_client: Any, tmp_path: Path
) -> None:
    job = vl_app.ingest(name="street", source=str(_task(tmp_path / "task")))
    assert vl_app.jobs.wait(job.id, timeout=120).status == "done", job.error
    out = tmp_path / "nb"
    async with running_kernel() as k:
        printed = await k.check(
            "import json, visionlens_jlab.notebook as vl\n"
            "ds = vl.dataset('street')\n"
            f"r = ds.export({str(out)!r}, format='cvat-video', frames='every:15', progress=False)\n"
            "print(json.dumps(r))\n"
        )
    assert json.loads(printed.strip().splitlines()[-1])["samples"] == 2
    images = sorted(p.name for p in (out / "street" / "images").iterdir())
    assert images == ["frame_000000.jpg", "frame_000015.jpg"]  # frames 1 and 16
    assert _number(out / "street" / "images" / "frame_000015.jpg") == 16
    # the CLI asks the server owning the data directory, --frames in its request
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "visionlens_jlab.cli", "export", "street", "--format", "yolo",
        "--out", str(tmp_path / "cli"), "--frames", "all", "--json",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "VISIONLENS_DATA_DIR": str(vl_data_dir)},
    )  # fmt: skip
    stdout, stderr = await proc.communicate()
    assert proc.returncode == 0, stderr.decode()
    assert json.loads(stdout)["samples"] == FRAMES
    assert [j.kind for j in vl_app.jobs.list()].count("export") == 2  # both ran as jobs
