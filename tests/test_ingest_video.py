"""Video ingest with real files: MOT Challenge sequences written with Pillow frames, video
files encoded with PyAV, image-sequence folders. Counts are checked against what was
written; bad input (a frame past the sequence's end, a track with two boxes on one frame, a
truncated video) gets report rows; frames are samples the field filters and facets reach."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest

from tests.ingest_fixtures import count, ingest, ingest_predictions, tiny_jpeg
from tests.test_catalog_migrations import old_data
from tests.test_ingest_exports import cli
from tests.video_fixtures import index_first, write_mot, write_video
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.reads import queries
from visionlens_jlab.ingest.detect import detect_dataset_format, detect_predictions_format
from visionlens_jlab.video.locator import frame_location

__all__ = ["old_data"]


def _report(summary: dict, code: str) -> dict:
    entries = {e["code"]: e for e in summary["warnings"] + summary["errors"]}
    assert code in entries, entries
    return entries[code]


def test_a_mot_folder_ingests_every_frame_object_and_track(tmp_path: Path) -> None:
    seqs = write_mot(tmp_path / "mot" / "train", {"MOT-02": 14, "MOT-05": 9}, tracks=4)
    write_mot(tmp_path / "mot" / "test", {"MOT-07": 5}, gt=False, seed=3)
    assert detect_dataset_format(str(tmp_path / "mot")) == "mot"
    rows = [r for s in seqs for r in s.rows]
    with Catalog(tmp_path / "vl") as catalog:
        summary = ingest(catalog, "mot", tmp_path / "mot").to_dict()
        assert (summary["videos"], summary["frames"]) == (3, 14 + 9 + 5)
        assert summary["tracks"] == sum(s.tracks for s in seqs)
        assert (summary["samples"], summary["annotations"]) == (28, len(rows))
        assert summary["errors"] == summary["warnings"] == []
        videos = _rows(
            catalog,
            "SELECT name, kind, fps, num_frames, duration, codec, width, height, location "
            "FROM videos ORDER BY video_id",
        )
        assert [v[:8] for v in videos] == [  # split folders in natural order: test, train
            ("MOT-07", "sequence", 30.0, 5, 5 / 30, None, 64, 48),
            ("MOT-02", "sequence", 30.0, 14, 14 / 30, None, 64, 48),
            ("MOT-05", "sequence", 30.0, 9, 9 / 30, None, 64, 48),
        ]
        assert videos[1][8] == str(tmp_path / "mot" / "train" / "MOT-02")
        # every frame is a sample of its image file, mapped to its video and frame number
        frames = _rows(
            catalog,
            "SELECT v.name, f.frame_number, s.location, s.split, s.fields->>'frame_number', "
            "s.fields->>'video' FROM video_frames f JOIN samples s USING (sample_id) "
            "JOIN videos v ON v.dataset_id = f.dataset_id AND v.video_id = f.video_id "
            "ORDER BY s.sample_id",
        )
        assert len(frames) == 28
        for name, number, location, split, field_number, field_video in frames:
            folder = "test" if name == "MOT-07" else "train"
            expected = tmp_path / "mot" / folder / name / "img1" / f"{number:06d}.jpg"
            assert (location, split) == (str(expected), folder)
            assert (int(field_number), field_video) == (number, name)
        # each gt row is one object on its frame, its identity unique in the dataset
        objects = _rows(
            catalog,
            "SELECT v.name, f.frame_number, a.source_ann_id, a.track_id, a.label, a.x, a.y, "
            "a.attributes->>'consider', a.attributes->>'visibility' FROM annotations a "
            "JOIN video_frames f USING (sample_id) JOIN videos v "
            "ON v.dataset_id = f.dataset_id AND v.video_id = f.video_id "
            "ORDER BY a.ann_id",
        )
        written = [
            (s.name, r[0], str(r[1]), "pedestrian" if r[7] == 1 else "car", r[2], r[3],
             "true" if r[6] else "false", r[8])
            for s in seqs for r in s.rows
        ]  # fmt: skip
        assert [(o[0], o[1], o[2], o[4], o[5], o[6], o[7], float(o[8])) for o in objects] == written
        identities = {(o[0], o[2]): o[3] for o in objects}
        assert len(set(identities.values())) == len(identities) == summary["tracks"]
        assert [c[0] for c in _rows(catalog, "SELECT name FROM categories ORDER BY 1")] == [
            "car",
            "pedestrian",
        ]


def test_frames_are_reached_by_the_field_filters_and_facets(tmp_path: Path) -> None:
    seqs = write_mot(tmp_path / "mot", {"A": 6, "B": 4})
    with Catalog(tmp_path / "vl") as catalog:
        ingest(catalog, "m", tmp_path / "mot")
        page = queries.samples_page(catalog, "m", {"sample": {"fields.video": {"eq": "B"}}})
        assert page["total"] == 4
        late = {"sample": {"fields.frame_number": {"min": 5}}}
        assert queries.samples_page(catalog, "m", late)["total"] == 2  # A's 5 and 6
        entries = {e["name"]: e for e in queries.facets(catalog, "m", None)["facets"]}
        assert entries["fields.video"]["values"] == [
            {"value": "A", "count": 6},
            {"value": "B", "count": 4},
        ]
        assert (entries["fields.frame_number"]["min"], entries["fields.frame_number"]["max"]) == (
            1.0,
            6.0,
        )
        ignored = sum(r[6] == 0 for s in seqs for r in s.rows)
        consider = {v["value"]: v["count"] for v in entries["attributes.consider"]["values"]}
        assert consider["false"] == ignored > 0


def test_bad_mot_rows_are_report_rows_and_the_rest_ingests(tmp_path: Path) -> None:
    (seq,) = write_mot(tmp_path / "mot", {"S": 5}, tracks=2, seed=1)
    gt = tmp_path / "mot" / "S" / "gt" / "gt.txt"
    first = seq.rows[0]
    extra = [
        "7,1,1,1,5,5,1,1,1.0",  # past seqLength (5)
        "0,1,1,1,5,5,1,1,1.0",  # before the first frame
        f"{first[0]},{first[1]},9,9,5,5,1,1,1.0",  # the same track again on that frame
        "3,99,1,1,5,5,1,1,inf",  # a visibility JSON cannot hold: none
    ]
    gt.write_text(gt.read_text() + "\n".join(extra) + "\n")
    (tmp_path / "mot" / "T" / "img1").mkdir(parents=True)  # a sequence without gt: frames
    (tmp_path / "mot" / "T" / "img1" / "000001.jpg").write_bytes(tiny_jpeg())
    with Catalog(tmp_path / "vl") as catalog:
        summary = ingest(catalog, "m", tmp_path / "mot").to_dict()
        past = _report(summary, "mot_frame_out_of_range")
        assert past["count"] == 2 and "frame 7 of 5" in " ".join(past["examples"])
        repeated = _report(summary, "mot_track_repeated_on_frame")
        assert repeated["count"] == 1
        assert f"track {first[1]} on frame {first[0]}" in repeated["examples"][0]
        assert summary["annotations"] == len(seq.rows) + 1  # the first box of the track kept
        assert count(catalog, "SELECT attributes FROM annotations WHERE source_ann_id = '99'") == (
            '{"consider":true}'
        )
        assert (summary["videos"], summary["frames"]) == (2, 6)
        kept = count(catalog, "SELECT x FROM annotations WHERE source_ann_id = ? ORDER BY ann_id",
                     [str(first[1])])  # fmt: skip
        assert kept == first[2]


def test_a_folder_of_videos_probes_each_file_and_reports_the_unreadable(tmp_path: Path) -> None:
    folder = tmp_path / "clips"
    folder.mkdir()
    write_video(folder / "b.mp4", 30, gop=10, fps=25)
    write_video(folder / "a10.mp4", 12, gop=5, fps=10)
    write_video(folder / "a9.mp4", 20, gop=5, fps=20)
    whole = (folder / "a9.mp4").read_bytes()
    (folder / "cut.mp4").write_bytes(whole[: len(whole) // 2])  # truncated: no index
    (folder / "seq").mkdir()  # an image sequence, in natural order
    for i in (1, 2, 10):
        (folder / "seq" / f"f{i}.jpg").write_bytes(tiny_jpeg(32, 24))
    assert detect_dataset_format(str(folder)) == "video"
    with Catalog(tmp_path / "vl") as catalog:
        summary = ingest(catalog, "clips", folder).to_dict()
        unreadable = _report(summary, "video_unreadable")
        assert unreadable["count"] == 1 and "cut.mp4" in unreadable["examples"][0]
        assert (summary["videos"], summary["frames"], summary["tracks"]) == (4, 65, 0)
        assert summary["samples"] == 65
        videos = _rows(
            catalog,
            "SELECT name, kind, num_frames, round(fps, 3), codec, width, height, "
            "variable_frame_rate FROM videos ORDER BY video_id",
        )
        assert videos == [
            ("a9.mp4", "file", 20, 20.0, "h264", 192, 112, False),  # the fixture's size
            ("a10.mp4", "file", 12, 10.0, "h264", 192, 112, False),
            ("b.mp4", "file", 30, 25.0, "h264", 192, 112, False),
            ("seq", "sequence", 3, None, None, 32, 24, False),
        ]
        located = _rows(
            catalog,
            "SELECT s.location, s.file_name, s.source_image_id FROM video_frames f "
            "JOIN samples s USING (sample_id) JOIN videos v "
            "ON v.dataset_id = f.dataset_id AND v.video_id = f.video_id WHERE v.name IN ('b.mp4', 'seq') AND f.frame_number = 3 ORDER BY v.video_id",
        )
        assert located == [
            (frame_location(str(folder / "b.mp4"), 3), "b.mp4#frame=3", "b.mp4/3"),
            (str(folder / "seq" / "f10.jpg"), "seq/f10.jpg", "seq/3"),
        ]


def test_a_video_cut_short_after_its_index_is_a_report_row_with_its_frames(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "clips"
    folder.mkdir()
    write_video(tmp_path / "whole.mp4", 60, gop=10)
    index_first(tmp_path / "whole.mp4", folder / "web.mp4")
    whole = (folder / "web.mp4").read_bytes()
    (folder / "web.mp4").write_bytes(whole[: len(whole) * 6 // 10])  # opens: its index is first
    write_video(folder / "ok.mp4", 12, gop=5)
    with Catalog(tmp_path / "vl") as catalog:
        summary = ingest(catalog, "clips", folder).to_dict()
        cut = _report(summary, "video_truncated")
        (example,) = cut["examples"]
        kept = count(catalog, "SELECT num_frames FROM videos WHERE name = 'web.mp4'")
        assert 0 < kept < 60 and example.endswith(f"web.mp4: {kept} of 60 frames")
        assert (summary["videos"], summary["frames"]) == (2, kept + 12)
        assert "ok.mp4" not in str(summary["warnings"])


def test_mot_results_are_a_prediction_set_with_track_ids(tmp_path: Path) -> None:
    seqs = write_mot(tmp_path / "mot", {"S1": 8, "S2": 6}, tracks=3, seed=5)
    results = tmp_path / "tracker"
    results.mkdir()
    for s in seqs:  # the ground truth as a tracker's output, plus a frame the data lacks
        lines = [f"{r[0]},{r[1]},{r[2]},{r[3]},{r[4]},{r[5]},0.9,-1,-1,-1" for r in s.rows]
        (results / f"{s.name}.txt").write_text("\n".join([*lines, "99,1,0,0,5,5,0.5,-1,-1,-1"]))
    with Catalog(tmp_path / "vl") as catalog:
        ingest(catalog, "m", tmp_path / "mot")
        summary = ingest_predictions(catalog, "m", "trk", results, fmt="mot").to_dict()
        n = sum(len(s.rows) for s in seqs)
        assert (summary["predictions"], summary["tracks"]) == (n, sum(s.tracks for s in seqs))
        assert "99" in str(summary["warnings"] + summary["errors"])  # unmatched frame rows
        pairs = _rows(
            catalog,
            "SELECT g.track_id, p.track_id FROM annotations g JOIN annotations p "
            "ON g.sample_id = p.sample_id AND g.x = p.x AND g.y = p.y "
            "AND g.source_ann_id = p.source_ann_id "
            "WHERE g.source = 'ground_truth' AND p.source = 'trk'",
        )
        assert len(pairs) == n and all(p[1] is not None for p in pairs)
        # the same identities: one predicted track per ground-truth track and back
        assert len(set(pairs)) == len({g for g, _ in pairs}) == len({p for _, p in pairs})
        one = ingest_predictions(catalog, "m", "one", results / "S2.txt", fmt="auto").to_dict()
        assert one["predictions"] == len(seqs[1].rows)  # auto: its rows are MOT's
    assert detect_predictions_format(str(results)) == "mot"
    (results / "S3.txt").write_text("1 0.9 10 10 20 20\n")  # a per-image txt row among them
    assert detect_predictions_format(str(results)) != "mot"


def test_mot_detections_of_id_minus_one_are_boxes_without_a_track(tmp_path: Path) -> None:
    write_mot(tmp_path / "mot", {"S1": 8}, tracks=3, seed=6)
    results = tmp_path / "detector"
    results.mkdir()
    # MOT's detection rows (det.txt): id -1, two boxes on each frame; one tracked row beside
    lines = [f"{f},-1,{x},5,10,10,0.{f}" for f in range(1, 9) for x in (2, 30)]
    lines.append("3,7,40,20,8,8,0.9")
    (results / "S1.txt").write_text("\n".join(lines) + "\n")
    with Catalog(tmp_path / "vl") as catalog:
        ingest(catalog, "m", tmp_path / "mot")
        summary = ingest_predictions(catalog, "m", "det", results, fmt="mot").to_dict()
        assert (summary["predictions"], summary["tracks"]) == (17, 1)
        assert not summary["errors"]  # no box dropped as a track's second on its frame
        rows = _rows(
            catalog,
            "SELECT s.file_name, a.track_id FROM annotations a JOIN samples s "
            "USING (sample_id) WHERE a.source = 'det'",
        )
    untracked = Counter(name for name, track in rows if track is None)
    assert len(untracked) == 8 and set(untracked.values()) == {2}
    assert [track for _, track in rows if track is not None] == [1]
    # MOT's public detections, <sequence>/det/det.txt, are of that sequence
    det = tmp_path / "public" / "S1" / "det" / "det.txt"
    det.parent.mkdir(parents=True)
    det.write_text("\n".join(lines[:16]) + "\n")
    with Catalog(tmp_path / "vl") as catalog:
        public = ingest_predictions(catalog, "m", "public", det, fmt="mot").to_dict()
    assert (public["predictions"], public["tracks"]) == (16, 0)


def test_the_cli_ingests_with_auto_and_prints_the_video_counts(tmp_path: Path) -> None:
    seqs = write_mot(tmp_path / "mot", {"X": 4}, tracks=2)
    clips = tmp_path / "clips"
    clips.mkdir()
    write_video(clips / "c.mp4", 10, gop=5)
    data = tmp_path / "vl"
    out = cli(data, "ingest", str(tmp_path / "mot"), "--name", "m")
    assert (out["videos"], out["frames"], out["tracks"]) == (1, 4, seqs[0].tracks)
    out = cli(data, "ingest", str(clips), "--name", "c", "--format", "video")
    assert (out["videos"], out["frames"], out["tracks"]) == (1, 10, 0)
    (tmp_path / "res").mkdir()
    (tmp_path / "res" / "X.txt").write_text("1,7,1,1,4,4,0.8,-1,-1,-1\n2,7,2,2,4,4,0.7,-1,-1,-1\n")
    out = cli(data, "predictions", "m", str(tmp_path / "res"), "--format", "mot")
    assert (out["model"], out["predictions"]) == ("res", 2)  # named after its folder


def test_deleting_a_video_dataset_deletes_its_videos_and_frames(tmp_path: Path) -> None:
    write_mot(tmp_path / "mot", {"A": 3})
    with Catalog(tmp_path / "vl") as catalog:
        ingest(catalog, "m", tmp_path / "mot")
        ingest(catalog, "n", tmp_path / "mot")
        catalog.delete_dataset("m")
        left = _rows(
            catalog, "SELECT count(*) FROM videos UNION ALL SELECT count(*) FROM video_frames"
        )
        assert left == [(1,), (3,)]


def _rows(catalog: Catalog, sql: str) -> list[tuple]:
    with catalog.cursor() as cur:
        return [tuple(r) for r in cur.execute(sql).fetchall()]


@pytest.mark.parametrize("layout", ["one sequence", "nested"])
def test_a_single_sequence_folder_is_one_video(tmp_path: Path, layout: str) -> None:
    root = tmp_path / "one"
    write_mot(root, {"only": 3})
    source = root / "only" if layout == "one sequence" else root
    with Catalog(tmp_path / "vl") as catalog:
        summary = ingest(catalog, "m", source).to_dict()
    assert (summary["videos"], summary["frames"]) == (1, 3)
    assert os.path.isdir(source)


def test_a_catalog_written_before_videos_gets_track_ids_and_takes_a_video_dataset(
    old_data: Path, tmp_path: Path
) -> None:
    """Steps 20-21 on the catalog of an earlier release: its objects belong to no track, the
    video tables are empty, and a MOT dataset ingests into it beside the old one."""
    with Catalog(old_data) as catalog:
        before = count(catalog, "SELECT count(*) FROM annotations")
        assert count(catalog, "SELECT count(track_id) FROM annotations") == 0
        assert count(catalog, "SELECT count(track_id) FROM version_annotations") == 0
        assert count(catalog, "SELECT count(*) FROM videos") == 0
        seqs = write_mot(tmp_path / "mot", {"A": 5}, tracks=2)
        summary = ingest(catalog, "tracks", tmp_path / "mot").to_dict()
        assert summary["tracks"] == seqs[0].tracks
        assert count(catalog, "SELECT count(DISTINCT track_id) FROM annotations") == seqs[0].tracks
        assert count(catalog, "SELECT count(*) FROM annotations") == before + len(seqs[0].rows)
        assert count(catalog, "SELECT count(*) FROM video_frames") == 5


def test_an_edited_track_object_keeps_its_identity_through_undo_and_redo(tmp_path: Path) -> None:
    from visionlens_jlab import edits

    write_mot(tmp_path / "mot", {"A": 4}, tracks=2)
    with Catalog(tmp_path / "vl") as catalog:
        ingest(catalog, "m", tmp_path / "mot")
        before = _rows(catalog, "SELECT ann_id, track_id, x FROM annotations ORDER BY ann_id")
        first, second = before[0][0], before[1][0]
        ops = [
            {"op": "delete", "annotation_id": first},
            {"op": "move", "annotation_id": second, "bbox": [1, 2, 3, 4]},
        ]
        edits.apply_edits(catalog, "m", ops, "tester")
        moved = count(catalog, "SELECT [track_id, x] FROM annotations WHERE ann_id = ?", [second])
        assert moved == [before[1][1], 1.0]
        edits.undo(catalog, "m", "tester")
        assert (
            _rows(catalog, "SELECT ann_id, track_id, x FROM annotations ORDER BY ann_id") == before
        )
        edits.redo(catalog, "m", "tester")
        edits.undo(catalog, "m", "tester")
        assert (
            _rows(catalog, "SELECT ann_id, track_id, x FROM annotations ORDER BY ann_id") == before
        )


def test_a_video_view_becomes_a_dataset_with_its_frames_videos_and_tracks(
    tmp_path: Path,
) -> None:
    from visionlens_jlab.bulk.subset import subset_dataset

    write_mot(tmp_path / "mot", {"A": 6, "B": 4})
    with Catalog(tmp_path / "vl") as catalog:
        ingest(catalog, "m", tmp_path / "mot")
        subset_dataset(catalog, "m", "only-b", {"sample": {"fields.video": {"eq": "B"}}})
        sql = (
            "SELECT v.name, f.frame_number, a.track_id, a.x, a.y FROM video_frames f "
            "JOIN datasets d USING (dataset_id) JOIN videos v USING (dataset_id, video_id) "
            "JOIN annotations a ON a.sample_id = f.sample_id WHERE d.name = ? ORDER BY ALL"
        )
        with catalog.cursor() as cur:
            original = cur.execute(sql, ["m"]).fetchall()
            copied = cur.execute(sql, ["only-b"]).fetchall()
        assert copied and copied == [r for r in original if r[0] == "B"]
