"""CVAT for video 1.1 with a real video (PyAV) or its exported frames: every frame a track
covers is one object with the track's identity, boxes interpolated linearly between
keyframes, other shapes held, ``outside`` ending a track, CVAT's 0-based frames shifted to
VisionLens' 1-based ones (a task's start frame and step mapping them onto images of other
names); overlapping shapes and frames past the end are report rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ingest_fixtures import ingest, tiny_jpeg
from tests.video_fixtures import index_first, write_video
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.ingest.detect import detect_dataset_format
from visionlens_jlab.records.report import IngestError

TRACKS = """
  <track id="0" label="car" source="manual">
    <box frame="0" outside="0" occluded="0" keyframe="1" xtl="0" ytl="0" xbr="10" ybr="10" z_order="0"/>
    <box frame="4" outside="0" occluded="1" keyframe="1" xtl="8" ytl="4" xbr="26" ybr="14" z_order="0"/>
    <box frame="6" outside="1" occluded="0" keyframe="1" xtl="8" ytl="4" xbr="26" ybr="14" z_order="0"/>
  </track>
  <track id="1" label="person" source="manual">
    <polygon frame="2" outside="0" occluded="0" keyframe="1" points="1,1;9,1;9,9" z_order="0">
      <attribute name="pose">standing</attribute>
    </polygon>
    <polygon frame="3" outside="1" occluded="0" keyframe="1" points="1,1;9,1;9,9" z_order="0"/>
  </track>
  <track id="2" label="person" source="manual">
    <points frame="8" outside="0" occluded="0" keyframe="1" points="3,4;5,6" z_order="0"/>
  </track>
  <track id="3" label="car" source="manual">
    <box frame="1" outside="0" occluded="0" keyframe="1" xtl="1" ytl="1" xbr="5" ybr="5" z_order="0"/>
    <box frame="1" outside="0" occluded="0" keyframe="1" xtl="2" ytl="2" xbr="6" ybr="6" z_order="0"/>
    <box frame="2" outside="1" occluded="0" keyframe="1" xtl="2" ytl="2" xbr="6" ybr="6" z_order="0"/>
    <box frame="12" outside="0" occluded="0" keyframe="1" xtl="2" ytl="2" xbr="6" ybr="6" z_order="0"/>
  </track>
"""


def cvat_video_xml(source: str, frames: int) -> str:
    """A CVAT for video 1.1 task of ``frames`` frames (media ``source``) with the tracks of
    ``TRACKS``: 64x48 frames, classes car and person."""
    return f"""<?xml version="1.0" encoding="utf-8"?>
<annotations>
  <version>1.1</version>
  <meta>
    <task>
      <id>7</id><name>street</name><size>{frames}</size><mode>interpolation</mode>
      <start_frame>0</start_frame><stop_frame>{frames - 1}</stop_frame>
      <labels>
        <label><name>car</name><type>any</type><attributes/></label>
        <label><name>person</name><type>any</type><attributes/></label>
      </labels>
      <original_size><width>64</width><height>48</height></original_size>
      <source>{source}</source>
    </task>
  </meta>{TRACKS}</annotations>
"""


def _objects(catalog: Catalog) -> list[tuple]:
    with catalog.cursor() as cur:
        return [
            tuple(r)
            for r in cur.execute(
                "SELECT a.track_id, a.source_ann_id, f.frame_number, a.label, a.x, a.y, a.w, a.h, "
                "a.attributes->>'keyframe', a.segmentation IS NOT NULL, a.keypoints "
                "FROM annotations a JOIN video_frames f USING (sample_id) ORDER BY a.ann_id"
            ).fetchall()
        ]


def test_a_cvat_video_task_ingests_its_tracks_frame_by_frame(tmp_path: Path) -> None:
    task = tmp_path / "task"
    task.mkdir()
    write_video(task / "street.mp4", 10, gop=5)
    (task / "annotations.xml").write_text(cvat_video_xml("street.mp4", 10))
    assert detect_dataset_format(str(task)) == "cvat"
    with Catalog(tmp_path / "vl") as catalog:
        summary = ingest(catalog, "street", task).to_dict()
        assert (summary["videos"], summary["frames"], summary["tracks"]) == (1, 10, 4)
        errors = {e["code"]: e for e in summary["errors"]}
        assert errors["cvat_track_overlap"]["examples"] == ["track 3 frame 1"]
        assert "track 3 frame 12 of 10" in errors["cvat_frame_out_of_range"]["examples"][0]
        objects = _objects(catalog)
    car = [o for o in objects if o[1] == "0"]
    # CVAT frames 0-5 are frames 1-6; 1-3 interpolated between the keyframes at 0 and 4;
    # the outside shape at CVAT frame 6 ends the track
    assert [o[2] for o in car] == [1, 2, 3, 4, 5, 6]
    assert car[2][4:8] == pytest.approx((4.0, 2.0, 14.0, 10.0))  # halfway, CVAT frame 2
    assert [o[8] for o in car] == ["1", "0", "0", "0", "1", "0"]
    assert car[5][4:8] == pytest.approx((8.0, 4.0, 18.0, 10.0))  # held after frame 4
    polygon = [o for o in objects if o[1] == "1"]
    assert [(o[2], o[9]) for o in polygon] == [(3, True)]
    points = [o for o in objects if o[1] == "2"]  # no outside: held to the video's end
    assert [o[2] for o in points] == [9, 10]
    assert points[1][10] == [3.0, 4.0, 2.0, 5.0, 6.0, 2.0]
    overlap = [o for o in objects if o[1] == "3"]
    assert [(o[2], o[4]) for o in overlap] == [(2, 1.0)]  # the first shape on CVAT frame 1
    assert len({o[0] for o in objects}) == 4 and len(objects) == 6 + 1 + 2 + 1


def test_a_cvat_video_export_with_frames_reads_them_as_a_sequence(tmp_path: Path) -> None:
    task = tmp_path / "task"
    (task / "images").mkdir(parents=True)
    for i in range(10):
        (task / "images" / f"frame_{i:06d}.PNG").write_bytes(tiny_jpeg(64, 48))
    (task / "annotations.xml").write_text(
        cvat_video_xml("street.mp4", 10)
    )  # the video not exported
    with Catalog(tmp_path / "vl") as catalog:
        summary = ingest(catalog, "frames", task / "annotations.xml", fmt="cvat").to_dict()
        assert (summary["videos"], summary["frames"]) == (1, 10)
        with catalog.cursor() as cur:
            (row,) = cur.execute(
                "SELECT s.file_name FROM samples s JOIN video_frames f USING (sample_id) "
                "WHERE f.frame_number = 3"
            ).fetchall()
        assert row[0] == "frame_000002.PNG"  # CVAT's frame 2
        assert [o[2] for o in _objects(catalog) if o[1] == "0"] == [1, 2, 3, 4, 5, 6]


def test_a_task_video_cut_short_is_a_report_row_and_its_frames_ingest(tmp_path: Path) -> None:
    task = tmp_path / "task"
    task.mkdir()
    write_video(tmp_path / "whole.mp4", 40, gop=5)
    index_first(tmp_path / "whole.mp4", task / "street.mp4")
    whole = (task / "street.mp4").read_bytes()
    (task / "street.mp4").write_bytes(whole[: len(whole) // 2])
    (task / "annotations.xml").write_text(cvat_video_xml("street.mp4", 40))
    with Catalog(tmp_path / "vl") as catalog:
        summary = ingest(catalog, "street", task).to_dict()
    warnings = {w["code"]: w for w in summary["warnings"]}
    (example,) = warnings["video_truncated"]["examples"]
    assert example.endswith(f"street.mp4: {summary['frames']} of 40 frames")
    assert 0 < summary["frames"] < 40


def _task_xml(frames: str, tracks: str) -> str:
    """A CVAT for video task of the frames ``frames`` (meta elements) holding ``tracks``."""
    return (
        '<?xml version="1.0" encoding="utf-8"?><annotations><version>1.1</version><meta><task>'
        f"<name>street</name>{frames}<labels><label><name>car</name></label></labels>"
        f"<source>street.mp4</source></task></meta>{tracks}</annotations>"
    )


def _box(frame: int, x: float, keyframe: int = 1) -> str:
    return (f'<box frame="{frame}" outside="0" occluded="0" keyframe="{keyframe}" xtl="{x}" '
            f'ytl="0" xbr="{x + 10}" ybr="10" z_order="0"/>')  # fmt: skip


def test_a_task_of_part_of_a_video_exported_with_images_maps_frames_by_its_step(
    tmp_path: Path,
) -> None:
    # CVAT names a task's frames by the source video's: start 10, every 5th (10, 15...30);
    # "save images" writes only those, and every shape names its source frame
    task = tmp_path / "task"
    (task / "images").mkdir(parents=True)
    for f in range(10, 31, 5):
        (task / "images" / f"frame_{f:06d}.PNG").write_bytes(tiny_jpeg(64, 48))
    meta = (
        "<start_frame>10</start_frame><stop_frame>30</stop_frame>"
        "<frame_filter>step=5</frame_filter>"
    )
    track = "".join(_box(f, f) for f in (10, 20, 30)) + _box(12, 12)  # 12: not a task frame
    (task / "annotations.xml").write_text(
        _task_xml(meta, f'<track id="0" label="car">{track}</track>')
    )
    with Catalog(tmp_path / "vl") as catalog:
        summary = ingest(catalog, "frames", task / "annotations.xml", fmt="cvat").to_dict()
        with catalog.cursor() as cur:
            rows = cur.execute(
                "SELECT f.frame_number, s.file_name, a.x FROM annotations a "
                "JOIN video_frames f USING (sample_id) JOIN samples s USING (sample_id) "
                "ORDER BY f.frame_number"
            ).fetchall()
    assert summary["frames"] == 5
    (error,) = summary["errors"]
    assert error["code"] == "cvat_frame_out_of_range" and error["count"] == 1
    assert "track 0 frame 12" in error["examples"][0]
    # each box on the image CVAT named it by, that frame (from 1) of the source video; 15
    # and 25 interpolated between the keyframes
    assert rows == [
        (11, "frame_000010.PNG", 10.0),
        (16, "frame_000015.PNG", 15.0),
        (21, "frame_000020.PNG", 20.0),
        (26, "frame_000025.PNG", 25.0),
        (31, "frame_000030.PNG", 30.0),
    ]


def test_a_track_is_held_to_the_tasks_stop_frame_and_other_shapes_are_read_or_reported(
    tmp_path: Path,
) -> None:
    task = tmp_path / "task"
    task.mkdir()
    write_video(task / "street.mp4", 10, width=64, height=48, gop=5)
    tracks = (
        f'<track id="0" label="car">{_box(2, 2)}</track>'  # held to the task's stop, CVAT 4
        '<track id="1" label="car"><mask frame="1" outside="0" occluded="0" keyframe="1" '
        'rle="4, 4, 4" left="1" top="1" width="3" height="4" z_order="0"/></track>'
        '<track id="2" label="car"><ellipse frame="0" outside="0" occluded="0" keyframe="1" '
        'cx="5" cy="5" rx="2" ry="3" z_order="0"/></track>'
        '<track id="3" label="car"><box frame="two" outside="0" occluded="0" keyframe="1" '
        'xtl="0" ytl="0" xbr="5" ybr="5" z_order="0"/></track>'
    )
    meta = "<start_frame>0</start_frame><stop_frame>4</stop_frame>"
    (task / "annotations.xml").write_text(_task_xml(meta, tracks))
    with Catalog(tmp_path / "vl") as catalog:
        summary = ingest(catalog, "street", task).to_dict()
        objects = _objects(catalog)
    assert [o[2] for o in objects if o[1] == "0"] == [3, 4, 5]
    mask = [o for o in objects if o[1] == "1"]
    assert [o[2] for o in mask] == [2, 3, 4, 5] and all(o[9] for o in mask)
    assert [w["code"] for w in summary["warnings"]] == ["cvat_shape_skipped"]
    (bad,) = summary["errors"]
    assert bad["code"] == "cvat_bad_shape" and "track 3 frame two" in bad["examples"][0]


def test_a_project_export_of_several_tasks_is_refused_with_what_to_do(tmp_path: Path) -> None:
    # CVAT 2.x's project export: <meta><project><tasks>, a <task> each (its own video), and
    # every track naming its task: frames of one number would be of different videos
    task = tmp_path / "project"
    task.mkdir()
    write_video(task / "street.mp4", 6, width=64, height=48, gop=3)
    tasks = "".join(
        f"<task><id>{i}</id><name>{name}</name><size>6</size><mode>interpolation</mode>"
        f"<start_frame>0</start_frame><stop_frame>5</stop_frame><source>{name}.mp4</source>"
        "</task>"
        for i, name in ((1, "street"), (2, "square"))
    )
    (task / "annotations.xml").write_text(
        '<?xml version="1.0" encoding="utf-8"?><annotations><version>1.1</version><meta>'
        f"<project><id>7</id><name>city</name><labels><label><name>car</name></label></labels>"
        f"<tasks>{tasks}</tasks></project></meta>"
        f'<track id="0" label="car" task_id="1" subset="default">{_box(1, 1)}</track>'
        f'<track id="1" label="car" task_id="2" subset="default">{_box(1, 30)}</track>'
        "</annotations>"
    )
    with Catalog(tmp_path / "vl") as catalog:
        with pytest.raises(IngestError, match="project export of 2 tasks .street, square.") as e:
            ingest(catalog, "city", task / "annotations.xml")
        assert "Export each task on its own" in str(e.value)
        with catalog.cursor() as cur:
            assert cur.execute("SELECT count(*) FROM annotations").fetchone() == (0,)


def test_frame_tags_are_image_labels_of_their_frames(tmp_path: Path) -> None:
    # CVAT for video writes a frame's tag beside the tracks: <tag frame="f" label="...">;
    # a task labelled with tags alone has no track at all
    task = tmp_path / "task"
    task.mkdir()
    write_video(task / "street.mp4", 6, gop=3)
    tags = """
  <tag frame="0" label="day" source="manual"><attribute name="lit">true</attribute></tag>
  <tag frame="4" label="rain" source="manual"/>
  <tag frame="9" label="rain" source="manual"/>
"""
    xml = cvat_video_xml("street.mp4", 6).replace(TRACKS, tags)
    (task / "annotations.xml").write_text(xml)
    assert detect_dataset_format(str(task)) == "cvat"
    with Catalog(tmp_path / "vl") as catalog:
        summary = ingest(catalog, "street", task).to_dict()
        with catalog.cursor() as cur:
            labels = cur.execute(
                "SELECT f.frame_number, c.label FROM classifications c "
                "JOIN video_frames f USING (sample_id) ORDER BY 1"
            ).fetchall()
    assert [tuple(r) for r in labels] == [(1, "day"), (5, "rain")]  # CVAT counts from 0
    (error,) = summary["errors"]
    assert error["code"] == "cvat_frame_out_of_range"
    assert error["examples"] == ["tag 'rain' frame 9 of 6 (CVAT counts from 0)"]


def _polygon(frame: int, x: float) -> str:
    return (f'<polygon frame="{frame}" outside="0" occluded="0" keyframe="1" '
            f'points="{x},0;{x + 10},0;{x + 10},10" z_order="0"/>')  # fmt: skip


def test_a_part_of_a_video_in_images_of_other_names_is_mapped_by_start_and_step(
    tmp_path: Path,
) -> None:
    """Images not named by CVAT's frames are the task's frames in order: CVAT frame f (start
    10, every 5th) is image (f - 10) / 5, for shapes and tags alike; a shape or tag on a frame
    between two of the task's is reported; a polygon is held, not interpolated, between its keyframes."""
    task = tmp_path / "task"
    (task / "images").mkdir(parents=True)
    for i in range(1, 6):
        (task / "images" / f"img{i}.PNG").write_bytes(tiny_jpeg(64, 48))
    meta = (
        "<start_frame>10</start_frame><stop_frame>30</stop_frame>"
        "<frame_filter>step=5</frame_filter>"
    )
    boxes = "".join(_box(f, f) for f in (10, 20, 30)) + _box(12, 12)  # 12: not a task frame
    polygons = _polygon(10, 1) + _polygon(20, 7)
    tracks = (
        f'<track id="0" label="car">{boxes}</track>'
        f'<track id="1" label="car">{polygons}</track>'
        '<tag frame="25" label="rain" source="manual"/>'
        '<tag frame="12" label="fog" source="manual"/>'  # not a task frame either
    )
    (task / "annotations.xml").write_text(_task_xml(meta, tracks))
    with Catalog(tmp_path / "vl") as catalog:
        summary = ingest(catalog, "frames", task / "annotations.xml", fmt="cvat").to_dict()
        with catalog.cursor() as cur:
            rows = cur.execute(
                "SELECT a.source_ann_id, f.frame_number, s.file_name, a.x, "
                "a.segmentation IS NOT NULL FROM annotations a "
                "JOIN video_frames f USING (sample_id) JOIN samples s USING (sample_id) "
                "ORDER BY a.source_ann_id, f.frame_number"
            ).fetchall()
            tags = cur.execute(
                "SELECT s.file_name, c.label FROM classifications c JOIN samples s "
                "USING (sample_id)"
            ).fetchall()
    assert summary["frames"] == 5
    (error,) = summary["errors"]
    assert error["code"] == "cvat_frame_out_of_range" and error["count"] == 2
    assert "track 0 frame 12" in error["examples"][0]
    assert "frames from 10 every 5" in error["examples"][0]
    assert error["examples"][1].startswith("tag 'fog' frame 12")
    # CVAT 10, 15 (interpolated), 20, 25 (interpolated), 30: images 1 to 5
    assert [tuple(r) for r in rows if r[0] == "0"] == [
        ("0", i + 1, f"img{i + 1}.PNG", 10.0 + 5 * i, False) for i in range(5)
    ]
    # the polygon of CVAT 10 held on 15, then CVAT 20's held to the end
    polygon = [(r[1], r[3], r[4]) for r in rows if r[0] == "1"]
    assert polygon == [(1, 1.0, True), (2, 1.0, True), (3, 7.0, True), (4, 7.0, True),
                       (5, 7.0, True)]  # fmt: skip
    assert [tuple(t) for t in tags] == [("img4.PNG", "rain")]


def test_an_outside_shape_on_a_frame_without_its_image_ends_the_track(tmp_path: Path) -> None:
    """Images named by CVAT's frames with frame 3 deleted: the track's outside shape there
    is no error and still ends the track (nothing on CVAT frame 4)."""
    task = tmp_path / "task"
    (task / "images").mkdir(parents=True)
    for f in (0, 1, 2, 4):
        (task / "images" / f"frame_{f:06d}.PNG").write_bytes(tiny_jpeg(64, 48))
    outside = (
        '<box frame="3" outside="1" occluded="0" keyframe="1" xtl="0" ytl="0" xbr="10" '
        'ybr="10" z_order="0"/>'
    )
    meta = "<start_frame>0</start_frame><stop_frame>4</stop_frame>"
    (task / "annotations.xml").write_text(
        _task_xml(meta, f'<track id="0" label="car">{_box(0, 0)}{outside}</track>')
    )
    with Catalog(tmp_path / "vl") as catalog:
        summary = ingest(catalog, "frames", task / "annotations.xml", fmt="cvat").to_dict()
        frames = [o[2] for o in _objects(catalog)]
    assert summary["errors"] == []
    assert frames == [1, 2, 3]


def test_images_naming_one_frame_twice_are_not_read_by_their_names() -> None:
    """Two images of one CVAT frame (two suffixes): no telling which, so the names are not
    frame numbers; increasing names with gaps are."""
    from visionlens_jlab.ingest.cvat_video import cvat_frame_numbers

    assert cvat_frame_numbers(["frame_000001.jpg", "frame_000001.png"]) is None
    assert cvat_frame_numbers(["frame_000001.jpg", "frame_000003.jpg"]) == [1, 3]
    assert cvat_frame_numbers(["frame_000001.jpg", "img.jpg"]) is None
