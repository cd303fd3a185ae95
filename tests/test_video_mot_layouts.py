"""MOT Challenge files as other tools write them, ingested from real sequence folders: MOT15's
10-column ground truth (world coordinates, no class), rows with a trailing comma, a header
line (pandas), values separated by tabs or spaces, malformed rows among good ones, a
``seqinfo.ini`` with a byte-order mark or a key given twice, ground truth of 8 columns (a
class, no visibility), results of 7 (a score) and a track of id 0."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.ingest_fixtures import ingest, ingest_predictions, tiny_jpeg
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.ingest.detect import detect_predictions_format

INFO = "[Sequence]\nname=S\nimDir=img1\nframeRate=25\nseqLength=3\nimWidth=64\nimHeight=48\n"


def _sequence(root: Path, gt: str, info: bytes = INFO.encode()) -> Path:
    """A MOT sequence ``root/S`` of 3 frames with ``gt`` as its ``gt/gt.txt``."""
    seq = root / "S"
    (seq / "img1").mkdir(parents=True)
    (seq / "gt").mkdir()
    for i in range(1, 4):
        (seq / "img1" / f"{i:06d}.jpg").write_bytes(tiny_jpeg())
    (seq / "seqinfo.ini").write_bytes(info)
    (seq / "gt" / "gt.txt").write_text(gt)
    return root


def _objects(catalog: Catalog) -> list[tuple]:
    with catalog.cursor() as cur:
        return cur.execute(
            "SELECT label, source_ann_id, x, attributes->>'visibility' FROM annotations "
            "ORDER BY ann_id"
        ).fetchall()


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        # MOT15: frame, id, x, y, w, h, conf, then world coordinates x, y, z (-1)
        ("1,1,10,10,5,5,1,-1,-1,-1\n2,4,11,10,5,5,1,-1,-1,-1\n", ("pedestrian", None)),
        # MOT17 with a trailing comma on every row: still its class and visibility
        ("1,1,10,10,5,5,1,3,0.5,\n2,4,11,10,5,5,1,3,0.5,\n", ("car", "0.5")),
    ],
)
def test_ground_truth_columns_are_read_by_the_layout_that_wrote_them(
    tmp_path: Path, rows: str, expected: tuple
) -> None:
    with Catalog(tmp_path / "vl") as catalog:
        summary = ingest(catalog, "m", _sequence(tmp_path / "mot", rows)).to_dict()
        assert summary["errors"] == summary["warnings"] == []
        assert summary["annotations"] == summary["tracks"] == 2
        objects = _objects(catalog)
        with catalog.cursor() as cur:
            names = [c[0] for c in cur.execute("SELECT name FROM categories").fetchall()]
    assert [(o[0], o[3]) for o in objects] == [expected, expected]
    assert [(o[1], o[2]) for o in objects] == [("1", 10.0), ("4", 11.0)]
    assert names == [expected[0]]  # no class_-1 from MOT15's world coordinates


@pytest.mark.parametrize(
    "info",
    [
        b"\xef\xbb\xbf" + INFO.encode(),  # a byte-order mark (Windows Notepad)
        (INFO + "frameRate=25\n").encode(),  # a key given twice
        INFO.replace("\n", "\r\n").encode(),
    ],
)
def test_seqinfo_written_by_other_tools_gives_its_frame_rate(tmp_path: Path, info: bytes) -> None:
    root = _sequence(tmp_path / "mot", "1,1,10,10,5,5,1,1,1\n", info)
    with Catalog(tmp_path / "vl") as catalog:
        summary = ingest(catalog, "m", root).to_dict()
        with catalog.cursor() as cur:
            video = cur.execute("SELECT name, fps, num_frames, width FROM videos").fetchall()
    assert summary["errors"] == []
    assert video == [("S", 25.0, 3, 64)]


def test_sequences_of_one_name_become_videos_of_their_own_names(tmp_path: Path) -> None:
    # train/S and test/S, and a copied seqinfo.ini naming its sequence S in folder T
    root = tmp_path / "mot"
    _sequence(root / "train", "1,1,10,10,5,5,1,1,1\n2,1,11,10,5,5,1,1,1\n")
    _sequence(root / "test", "1,1,20,10,5,5,1,1,1\n")
    _sequence(root / "train" / "copy", "3,1,30,10,5,5,1,1,1\n").joinpath("S").rename(
        root / "train" / "T"
    )
    results = tmp_path / "tracker"
    results.mkdir()
    (results / "S.txt").write_text("1,5,40,10,5,5,0.9,-1,-1,-1\n")
    with Catalog(tmp_path / "vl") as catalog:
        summary = ingest(catalog, "m", root).to_dict()
        predicted = ingest_predictions(catalog, "m", "trk", results, fmt="mot").to_dict()
        with catalog.cursor() as cur:
            videos = cur.execute("SELECT name, location FROM videos ORDER BY video_id").fetchall()
            names = cur.execute("SELECT source_image_id FROM samples").fetchall()
            boxes = cur.execute(
                "SELECT v.name, a.source, a.x FROM annotations a JOIN video_frames f "
                "USING (sample_id) JOIN videos v ON v.dataset_id = f.dataset_id "
                "AND v.video_id = f.video_id ORDER BY a.ann_id"
            ).fetchall()
    assert [(name, Path(location).relative_to(root).as_posix()) for name, location in videos] == [
        ("S", "test/S"),
        ("S (2)", "train/S"),
        ("T", "train/T"),
    ]
    assert len({n[0] for n in names}) == len(names) == 9  # every frame named once
    (warning,) = summary["warnings"]
    assert warning["code"] == "mot_duplicate_name" and warning["count"] == 2
    # the results of S are the first S's (test/S) alone, not mixed into another's frames
    assert predicted["predictions"] == 1
    assert boxes == [
        ("S", "ground_truth", 20.0),
        ("S (2)", "ground_truth", 10.0),
        ("S (2)", "ground_truth", 11.0),
        ("T", "ground_truth", 30.0),
        ("S", "trk", 40.0),
    ]


def test_rows_without_a_frame_or_id_number_are_report_rows(tmp_path: Path) -> None:
    rows = "1,1,10,10,5,5,1,1,1\n2,,11,10,5,5,1,1,1\n,1,12,10,5,5,1,1,1\n3,nan,13,10,5,5,1,1,1\n"
    with Catalog(tmp_path / "vl") as catalog:
        summary = ingest(catalog, "m", _sequence(tmp_path / "mot", rows)).to_dict()
        objects = _objects(catalog)
    (error,) = summary["errors"]
    assert (error["code"], error["count"]) == ("mot_bad_row", 3)
    assert error["examples"][0].endswith("gt.txt: line 2: no frame, id or box value")
    assert [(o[1], o[2]) for o in objects] == [("1", 10.0)]


def test_a_header_line_as_pandas_writes_it_is_skipped(tmp_path: Path) -> None:
    root = _sequence(tmp_path / "mot", "")
    columns = ["frame", "id", "bb_left", "bb_top", "bb_width", "bb_height", "conf", "x", "y", "z"]
    frame = pd.DataFrame([[1, 1, 10.0, 10.0, 5.0, 5.0, 1, -1, -1, -1],
                          [2, 4, 11.0, 10.0, 5.0, 5.0, 1, -1, -1, -1]], columns=columns)  # fmt: skip
    frame.to_csv(root / "S" / "gt" / "gt.txt", index=False)
    results = tmp_path / "tracker"
    results.mkdir()
    frame.assign(conf=0.9).to_csv(results / "S.txt", index=False)  # a tracker's, with a header
    with Catalog(tmp_path / "vl") as catalog:
        summary = ingest(catalog, "m", root).to_dict()
        objects = _objects(catalog)
        predicted = ingest_predictions(catalog, "m", "trk", results).to_dict()  # format detected
    assert predicted["predictions"] == 2
    assert summary["errors"] == []
    (warning,) = summary["warnings"]
    assert (warning["code"], warning["count"]) == ("mot_header_skipped", 1)
    assert warning["examples"][0].endswith(
        "gt.txt: frame,id,bb_left,bb_top,bb_width,bb_height,conf,x,y,z"
    )
    assert [(o[1], o[2]) for o in objects] == [("1", 10.0), ("4", 11.0)]


def test_malformed_rows_are_report_rows_by_line_and_the_others_ingest(tmp_path: Path) -> None:
    rows = (
        "1,1,10,10,5,5,1,1,1\n"
        "2,1,11\n"  # line 2: short
        "\n"  # a blank line: no row, no report
        "2,2,12,10,5,5,1,1,1,7,7\n"  # line 4: long
        "3,1,x,10,5,5,1,1,1\n"  # line 5: not a number
        "3,2,13.5,10,5,5,1,1,1\n"  # a fraction after whole numbers: read as such
    )
    with Catalog(tmp_path / "vl") as catalog:
        summary = ingest(catalog, "m", _sequence(tmp_path / "mot", rows)).to_dict()
        objects = _objects(catalog)
    (error,) = summary["errors"]
    assert (error["code"], error["count"]) == ("mot_bad_row", 3)
    assert sorted(e.split("gt.txt: ")[1] for e in error["examples"]) == [
        "line 2: 3 values, not 9",
        "line 4: 11 values, not 9",
        "line 5: 'x' is not a number",
    ]
    assert [(o[1], o[2]) for o in objects] == [("1", 10.0), ("2", 13.5)]


@pytest.mark.parametrize("separator", ["\t", " ", ", "])
def test_rows_separated_by_tabs_or_spaces_are_read(tmp_path: Path, separator: str) -> None:
    rows = "".join(
        separator.join(r) + "\n"
        for r in (["1", "1", "10", "10", "5", "5", "1", "3", "0.5"],
                  ["2", "4", "11", "10", "5", "5", "1", "3", "0.5"])
    )  # fmt: skip
    with Catalog(tmp_path / "vl") as catalog:
        summary = ingest(catalog, "m", _sequence(tmp_path / "mot", rows)).to_dict()
        objects = _objects(catalog)
    assert summary["errors"] == summary["warnings"] == []
    assert objects == [("car", "1", 10.0, "0.5"), ("car", "4", 11.0, "0.5")]


def test_values_aligned_by_runs_of_spaces_are_refused_with_what_to_do(tmp_path: Path) -> None:
    rows = "  1  1  10  10  5  5  1  1  1\n"
    with Catalog(tmp_path / "vl") as catalog:
        summary = ingest(catalog, "m", _sequence(tmp_path / "mot", rows)).to_dict()
    (error,) = summary["errors"]
    assert error["code"] == "mot_unreadable"
    assert "write one comma, tab or space between values" in error["examples"][0]


def test_a_frame_or_id_that_is_not_whole_is_a_report_row_not_truncated(tmp_path: Path) -> None:
    # truncated, id 1.5 would be track 1: another object's box on that identity
    rows = (
        "1,1,10,10,5,5,1,1,1\n2,1.5,11,10,5,5,1,1,1\n2.5,2,12,10,5,5,1,1,1\n3,2,13,10,5,5,1,1,1\n"
    )
    with Catalog(tmp_path / "vl") as catalog:
        summary = ingest(catalog, "m", _sequence(tmp_path / "mot", rows)).to_dict()
        objects = _objects(catalog)
    (error,) = summary["errors"]
    assert (error["code"], error["count"]) == ("mot_fractional_frame_or_id", 2)
    assert [e.split("gt.txt: ")[1] for e in error["examples"]] == [
        "line 2: frame 2, id 1.5",
        "line 3: frame 2.5, id 2",
    ]
    assert summary["tracks"] == 2
    assert [(o[1], o[2]) for o in objects] == [("1", 10.0), ("2", 13.0)]


def test_boxes_with_no_area_are_report_rows_in_ground_truth_and_results(tmp_path: Path) -> None:
    rows = "1,1,10,10,0,5,1,1,1\n2,1,11,10,5,-3,1,1,1\n3,1,12,10,5,5,1,1,1\n"
    results = tmp_path / "tracker"
    results.mkdir()
    (results / "S.txt").write_text("1,7,40,10,-5,5,0.9,-1,-1,-1\n2,7,41,10,5,5,0.9,-1,-1,-1\n")
    with Catalog(tmp_path / "vl") as catalog:
        summary = ingest(catalog, "m", _sequence(tmp_path / "mot", rows)).to_dict()
        predicted = ingest_predictions(catalog, "m", "trk", results, fmt="mot").to_dict()
        with catalog.cursor() as cur:
            boxes = cur.execute(
                "SELECT source, x, area FROM annotations ORDER BY ann_id"
            ).fetchall()
    (warning,) = summary["warnings"]
    assert (warning["code"], warning["count"]) == ("mot_empty_box", 2)
    assert [e.split("gt.txt: ")[1] for e in warning["examples"]] == [
        "line 1: w 0, h 5",
        "line 2: w 5, h -3",
    ]
    assert [w["code"] for w in predicted["warnings"]] == ["mot_empty_box"]
    assert boxes == [("ground_truth", 12.0, 25.0), ("trk", 41.0, 25.0)]


def test_frame_names_with_digits_that_are_no_numbers_do_not_crash() -> None:
    """``'²'.isdigit()`` is true but ``int('²')`` fails: such names are names, not numbers."""
    from visionlens_jlab.ingest.mot import image_numbers
    from visionlens_jlab.ingest.video_rows import natural_key

    assert image_numbers(["1.jpg", "².jpg"]) is None
    assert image_numbers(["1.jpg", "2.jpg"]).tolist() == [1, 2]  # type: ignore[union-attr]
    assert sorted(["²", "10", "9"], key=natural_key) == ["9", "10", "²"]


@pytest.mark.parametrize("header", ["", "frame,id,bb_left,bb_top,bb_width,bb_height,conf\n\n"])
def test_rows_refused_after_the_parse_name_their_file_and_line(tmp_path: Path, header: str) -> None:
    # a row of frame 0 (a tool counting from 0), one past seqLength, a track twice on a
    # frame: each by its line, read by the fast path or (a header, a blank line) not
    rows = "0,1,10,10,5,5,1,1,1\n1,1,10,10,5,5,1,1,1\n1,1,11,10,5,5,1,1,1\n4,2,1,1,5,5,1,1,1\n"
    root = _sequence(tmp_path / "mot", header + rows)
    gt, skip = root / "S" / "gt" / "gt.txt", header.count("\n")
    with Catalog(tmp_path / "vl") as catalog:
        summary = ingest(catalog, "m", root).to_dict()
    errors = {e["code"]: e for e in summary["errors"]}
    assert errors["mot_frame_out_of_range"]["examples"] == [
        f"S: frame 0 of 3 ({gt} line {1 + skip})",
        f"S: frame 4 of 3 ({gt} line {4 + skip})",
    ]
    assert "MOT counts frames from 1" in errors["mot_frame_out_of_range"]["message"]
    assert errors["mot_track_repeated_on_frame"]["examples"] == [
        f"S: track 1 on frame 1 ({gt} line {3 + skip})"
    ]
    assert summary["annotations"] == 1


def test_a_trackers_folder_in_trackeval_layout_is_its_data_results(tmp_path: Path) -> None:
    # trackers/mot_challenge/<benchmark>/<tracker>/data/<sequence>.txt: the tracker's folder
    # is what one names, its results in data/
    root = _sequence(tmp_path / "mot", "1,1,10,10,5,5,1,1,1\n")
    tracker = tmp_path / "trackers" / "mot_challenge" / "MOT17-train" / "MPNTrack"
    (tracker / "data").mkdir(parents=True)
    (tracker / "data" / "S.txt").write_text(
        "1,3,12,10,5,5,0.9,-1,-1,-1\n2,3,13,10,5,5,0.8,-1,-1,-1\n"
    )
    assert detect_predictions_format(str(tracker)) == "mot"
    with Catalog(tmp_path / "vl") as catalog:
        ingest(catalog, "m", root)
        summary = ingest_predictions(catalog, "m", "trk", tracker).to_dict()
        with catalog.cursor() as cur:
            boxes = cur.execute(
                "SELECT x, score FROM annotations WHERE source = 'trk' ORDER BY x"
            ).fetchall()
    assert summary["errors"] == [] and (summary["predictions"], summary["tracks"]) == (2, 1)
    assert [tuple(b) for b in boxes] == [(12.0, 0.9), (13.0, 0.8)]


def test_results_counting_frames_from_zero_are_refused_not_shifted(tmp_path: Path) -> None:
    """A tracker writing frames from 0 would put every box a frame early: its file is a
    report row and none of it ingests (TrackEval refuses it too); the other file ingests."""
    root = _sequence(tmp_path / "mot", "1,1,10,10,5,5,1,1,1\n")
    data = tmp_path / "data"
    data.mkdir()
    (data / "S.txt").write_text("1,3,12,10,5,5,0.9,-1,-1,-1\n2,3,13,10,5,5,0.8,-1,-1,-1\n")
    (data / "T.txt").write_text("0,1,10,10,5,5,0.9,-1,-1,-1\n1,1,11,10,5,5,0.9,-1,-1,-1\n")
    with Catalog(tmp_path / "vl") as catalog:
        ingest(catalog, "m", root)
        summary = ingest_predictions(catalog, "m", "trk", data).to_dict()
    (error,) = summary["errors"]
    assert error["code"] == "mot_results_frame_below_one"
    assert error["examples"] == [f"T: frame 0 ({data / 'T.txt'} line 1)"]
    assert summary["predictions"] == 2  # S's two boxes, none of T's


def test_eight_columns_are_a_class_without_a_visibility(tmp_path: Path) -> None:
    """MOT16-style ground truth that stops after the class column: the class is read (car),
    the visibility is absent."""
    rows = "1,1,10,10,5,5,1,3\n2,4,11,10,5,5,1,3\n"
    with Catalog(tmp_path / "vl") as catalog:
        summary = ingest(catalog, "m", _sequence(tmp_path / "mot", rows)).to_dict()
        objects = _objects(catalog)
    assert summary["errors"] == summary["warnings"] == []
    assert objects == [("car", "1", 10.0, None), ("car", "4", 11.0, None)]


def test_seven_column_results_keep_their_scores(tmp_path: Path) -> None:
    """A tracker's results of frame, id, box and score only: the 7th column is the score."""
    root = _sequence(tmp_path / "mot", "1,1,10,10,5,5,1,1,1\n")
    results = tmp_path / "tracker"
    results.mkdir()
    (results / "S.txt").write_text("1,3,12,10,5,5,0.9\n2,3,13,10,5,5,0.25\n")
    with Catalog(tmp_path / "vl") as catalog:
        ingest(catalog, "m", root)
        summary = ingest_predictions(catalog, "m", "trk", results, fmt="mot").to_dict()
        with catalog.cursor() as cur:
            boxes = cur.execute(
                "SELECT x, score FROM annotations WHERE source = 'trk' ORDER BY x"
            ).fetchall()
    assert summary["errors"] == [] and summary["predictions"] == 2
    assert [tuple(b) for b in boxes] == [(12.0, 0.9), (13.0, 0.25)]


def test_id_zero_is_a_track_and_is_one_box_per_frame(tmp_path: Path) -> None:
    """Only id -1 is MOT's box without identity: id 0 is a track like any other, so its
    second box on frame 1 is refused (line 2) and its boxes share one track."""
    rows = "1,0,10,10,5,5,1,1,1\n1,0,11,10,5,5,1,1,1\n2,0,12,10,5,5,1,1,1\n"
    root = _sequence(tmp_path / "mot", rows)
    gt = root / "S" / "gt" / "gt.txt"
    with Catalog(tmp_path / "vl") as catalog:
        summary = ingest(catalog, "m", root).to_dict()
        with catalog.cursor() as cur:
            tracks = cur.execute("SELECT track_id FROM annotations ORDER BY ann_id").fetchall()
    (error,) = summary["errors"]
    assert error["code"] == "mot_track_repeated_on_frame"
    assert error["examples"] == [f"S: track 0 on frame 1 ({gt} line 2)"]
    assert summary["annotations"] == 2 and summary["tracks"] == 1
    assert tracks[0][0] is not None and tracks[0] == tracks[1]
