"""CVAT for video 1.1 as CVAT 2.x writes it (``dump_as_cvat_interpolation``): a job's export
(``<meta><job>``, no task name) with a byte-order mark, a project export of one task, the
track's ``source`` and ``group_id`` on the ``<track>``, a box's ``rotation``, and a skeleton
track, whose ``<skeleton>`` carries no ``outside``: it leaves when all its points do; a
rotated box exported back to CVAT with its ``rotation``."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.export_fixtures import run_cli
from tests.ingest_fixtures import ingest, tiny_jpeg
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.ingest.cvat import is_cvat_xml
from visionlens_jlab.ingest.detect import detect_dataset_format

LABELS = (
    "<labels><label><name>car</name><type>rectangle</type><attributes><attribute>"
    "<name>parked</name><input_type>checkbox</input_type></attribute></attributes></label>"
    "<label><name>person</name><type>skeleton</type><attributes/></label>"
    "<label><name>nose</name><type>points</type><parent>person</parent></label>"
    "<label><name>tail</name><type>points</type><parent>person</parent></label></labels>"
)
FRAMES = "<start_frame>0</start_frame><stop_frame>4</stop_frame><frame_filter></frame_filter>"
JOB = (
    f"<job><id>12</id><size>5</size><mode>interpolation</mode>{FRAMES}<segments><segment>"
    f"<id>10</id><start>0</start><stop>4</stop></segment></segments>{LABELS}</job>"
)
PROJECT = (
    f"<project><id>7</id><name>city</name>{LABELS}<tasks><task><id>3</id><name>street</name>"
    f"<size>5</size><mode>interpolation</mode>{FRAMES}</task></tasks></project>"
)


def _box(frame: int, x: float, rotation: str, keyframe: int = 1, outside: int = 0) -> str:
    turned = f' rotation="{rotation}"' if rotation else ""  # CVAT writes none for 0
    return (f'<box frame="{frame}" keyframe="{keyframe}" outside="{outside}" occluded="0" '
            f'xtl="{x:.2f}" ytl="2.00" xbr="{x + 10:.2f}" ybr="12.00" z_order="0"{turned}>'
            '<attribute name="parked">true</attribute></box>')  # fmt: skip


def _skeleton(frame: int, outside: int) -> str:
    points = "".join(
        f'<points label="{name}" keyframe="1" outside="{outside}" occluded="0" '
        f'points="{x}.00,{x}.00"></points>'
        for name, x in (("nose", 10 + frame), ("tail", 20 + frame))
    )
    return f'<skeleton frame="{frame}" keyframe="1" z_order="0">{points}</skeleton>'


TRACKS = (
    # keyframes at CVAT 0 and 2 turned 350 and 10 degrees: CVAT turns through 0, not 180
    f'<track id="0" label="car" source="auto" group_id="4">{_box(0, 0, "350.00")}'
    f"{_box(2, 20, '10.00')}{_box(3, 20, '', outside=1)}</track>"
    f'<track id="1" label="person" source="manual">{_skeleton(0, 0)}{_skeleton(1, 0)}'
    f"{_skeleton(2, 1)}</track>"
)


def _task(tmp_path: Path, meta: str, bom: bytes = b"\xef\xbb\xbf") -> Path:
    task = tmp_path / "task"
    (task / "images").mkdir(parents=True)
    for f in range(5):
        (task / "images" / f"frame_{f:06d}.PNG").write_bytes(tiny_jpeg(64, 48))
    xml = (
        '<?xml version="1.0" encoding="utf-8"?>\n<annotations><version>1.1</version>'
        f"<meta>{meta}<dumped>2024-01-01</dumped></meta>{TRACKS}</annotations>"
    )
    (task / "annotations.xml").write_bytes(bom + xml.encode())
    return task


@pytest.mark.parametrize(("meta", "name"), [(JOB, "images"), (PROJECT, "street")])
def test_a_job_or_one_task_project_export_with_a_bom_ingests_as_cvat_writes_it(
    tmp_path: Path, meta: str, name: str
) -> None:
    task = _task(tmp_path, meta)
    assert is_cvat_xml(str(task / "annotations.xml"))
    assert detect_dataset_format(str(task)) == "cvat"  # not VOC for want of the root
    with Catalog(tmp_path / "vl") as catalog:
        summary = ingest(catalog, "job", task).to_dict()
        with catalog.cursor() as cur:
            videos = cur.execute("SELECT name FROM videos").fetchall()
            boxes = cur.execute(
                "SELECT f.frame_number, a.x, a.attributes->>'rotation', "
                "a.attributes->>'source', a.attributes->>'group_id', a.attributes->>'parked' "
                "FROM annotations a JOIN video_frames f USING (sample_id) "
                "WHERE a.label = 'car' ORDER BY 1"
            ).fetchall()
    assert summary["errors"] == [] and summary["tracks"] == 2
    # the task's own name (a job has none: the frames folder's), never a label's or the
    # project's
    assert videos == [(name,)]
    assert [tuple(b) for b in boxes] == [
        (1, 0.0, "350.00", "auto", "4", "true"),
        (2, 10.0, "0.00", "auto", "4", "true"),  # halfway, through 0 degrees
        (3, 20.0, "10.00", "auto", "4", "true"),
    ]


def test_a_skeleton_track_ends_on_the_frame_all_its_points_are_outside(tmp_path: Path) -> None:
    task = _task(tmp_path, JOB, bom=b"")
    with Catalog(tmp_path / "vl") as catalog:
        ingest(catalog, "job", task)
        with catalog.cursor() as cur:
            skeletons = cur.execute(
                "SELECT f.frame_number, a.keypoints, a.attributes->>'source' "
                "FROM annotations a JOIN video_frames f USING (sample_id) "
                "WHERE a.label = 'person' ORDER BY 1"
            ).fetchall()
    # CVAT 1 and 2; from CVAT 2 on every point is outside: no object (not an empty one
    # held to the video's end)
    assert [tuple(s) for s in skeletons] == [
        (1, [10.0, 10.0, 2.0, 20.0, 20.0, 2.0], "manual"),
        (2, [11.0, 11.0, 2.0, 21.0, 21.0, 2.0], "manual"),
    ]


def test_a_rotated_box_is_exported_back_with_cvats_own_rotation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, out = tmp_path / "vl", tmp_path / "out"
    code, result = run_cli(capsys, data, "ingest", str(_task(tmp_path, JOB)), "--name", "job")
    assert code == 0, result
    code, result = run_cli(capsys, data, "export", "job", "--out", str(out),
                           "--format", "cvat-video")  # fmt: skip
    assert code == 0, result
    (xml,) = out.rglob("annotations.xml")
    (car,) = (t for t in ET.parse(xml).getroot().iter("track") if t.get("label") == "car")
    boxes = [b for b in car.iter("box") if b.get("outside") == "0"]
    # the box's own attribute, as CVAT writes and reads it: never an <attribute> child
    assert [b.get("rotation") for b in boxes] == ["350.00", "0.00", "10.00"]
    assert [a.get("name") for b in boxes for a in b.iter("attribute")] == ["parked"] * 3
    assert (car.get("group_id"), boxes[0].get("source")) == ("4", "auto")
