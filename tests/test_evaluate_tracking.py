"""The tracking evaluation against TrackEval (and py-motmetrics): every CLEAR, Identity and
HOTA field per sequence and combined, on random MOT splits written to disk and read back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from visionlens_jlab import cli
from visionlens_jlab.evaluate.tracking import (
    SequenceData,
    evaluate_tracking,
    read_mot_folders,
)

from .tracking_fixtures import (
    TRACKER,
    random_sequence,
    run_trackeval,
    write_random_split,
    write_sequence,
)

TOLERANCE = 1e-6


def _evaluate(root: Path) -> Any:
    return evaluate_tracking(read_mot_folders(root / "gt", root / "trackers" / TRACKER))


def assert_equal_to_trackeval(root: Path, names: list[str], benchmark: str = "MOT17") -> None:
    """Every field TrackEval reports, per sequence and combined, within 1e-6."""
    reference = run_trackeval(root, names, benchmark)
    report = _evaluate(root)
    assert sorted(report.sequences) == sorted(names)
    compared = 0
    for seq in [*names, "COMBINED_SEQ"]:
        ours = report.combined if seq == "COMBINED_SEQ" else report.sequences[seq]
        for metric in ("HOTA", "CLEAR", "Identity"):
            for name, value in reference[seq][metric].items():
                mine = np.asarray(ours[metric][name], dtype=float)
                np.testing.assert_allclose(
                    mine,
                    np.asarray(value, dtype=float),
                    rtol=0,
                    atol=TOLERANCE,
                    err_msg=f"{seq} {metric} {name}",
                )
                compared += 1
    assert compared == (len(names) + 1) * 43  # HOTA 15 fields, CLEAR 22, Identity 6


@pytest.mark.parametrize("seed", range(10))
def test_random_splits_equal_trackeval(tmp_path: Path, seed: int) -> None:
    names = write_random_split(tmp_path, seed)
    assert_equal_to_trackeval(tmp_path, names)


@pytest.mark.parametrize("seed", [100, 101])
def test_crowded_splits_equal_trackeval(tmp_path: Path, seed: int) -> None:
    """Many overlapping tracks: most frames need the Hungarian assignment."""
    names = write_random_split(tmp_path, seed, num_sequences=2, num_frames=120, num_tracks=40)
    assert_equal_to_trackeval(tmp_path, names)


def test_mot20_counts_non_mot_vehicles_as_distractors_as_trackeval_does(tmp_path: Path) -> None:
    """MOT20's sequences (named ``MOT20-NN``) are evaluated as TrackEval's benchmark MOT20,
    whose distractors add class 6, non-MOT vehicles: a tracker box on one is no false
    positive there (it is in MOT17)."""
    rng = np.random.default_rng(20)
    names = ["MOT20-01", "MOT20-02"]
    for name in names:
        gt, tr = random_sequence(rng, 40, 8)
        gt[np.isin(gt[:, 1], [1, 2, 3]), 7] = 6  # three tracks of non-MOT vehicles
        write_sequence(tmp_path, name, 40, gt, tr)
    assert_equal_to_trackeval(tmp_path, names, "MOT20")
    as_mot17 = run_trackeval(tmp_path, names, "MOT17")["COMBINED_SEQ"]["CLEAR"]["CLR_FP"]
    assert _evaluate(tmp_path).combined["CLEAR"]["CLR_FP"] < as_mot17


def _rows(frames: list[int], ids: list[int], boxes: list[list[float]], columns: int) -> np.ndarray:
    rows = np.zeros((len(frames), columns))
    rows[:, 0], rows[:, 1], rows[:, 2:6] = frames, ids, boxes
    rows[:, 6] = 1
    if columns == 9:
        rows[:, 7], rows[:, 8] = 1, 1
    else:
        rows[:, 7:] = -1
    return rows


BOX = [10.0, 10.0, 40.0, 80.0]
FAR = [150.0, 150.0, 30.0, 30.0]


def test_edge_cases_equal_trackeval(tmp_path: Path) -> None:
    """No ground truth at all, nothing but distractors and conf-0 rows, no tracker rows,
    trailing empty frames, a tracker box only on a distractor, every frame empty."""
    gt_only_distractors = _rows([1, 2, 3], [1, 1, 2], [BOX, BOX, FAR], 9)
    gt_only_distractors[:2, 7] = 8  # distractor
    gt_only_distractors[2, 6] = 0  # not considered
    tr_on_distractor = _rows([1, 2, 3], [5, 5, 6], [BOX, BOX, FAR], 10)
    one = _rows([2, 3], [1, 1], [BOX, BOX], 9)
    cases = {
        "no-gt": (np.zeros((0, 9)), _rows([1, 4], [3, 3], [BOX, BOX], 10)),
        "distractors": (gt_only_distractors, tr_on_distractor),
        "no-tracker": (one, np.zeros((0, 10))),
        "exact": (one, _rows([2, 3], [7, 7], [BOX, BOX], 10)),
        "empty": (np.zeros((0, 9)), np.zeros((0, 10))),
    }
    for name, (gt, tr) in cases.items():
        write_sequence(tmp_path, name, 6, gt, tr)
    assert_equal_to_trackeval(tmp_path, list(cases))
    report = _evaluate(tmp_path)
    assert report.sequences["exact"]["CLEAR"]["MOTA"] == 1.0
    assert report.sequences["distractors"]["CLEAR"]["CLR_FP"] == 1  # only the conf-0 one


def test_switch_details_name_frames_and_ids(tmp_path: Path) -> None:
    """Ground truth 1 followed by tracker 7 on frames 1-2 and by 9 on frames 3-5: one switch
    at frame 3, from 7 to 9; tracker 4 is a false positive on frame 5."""
    gt = _rows([1, 2, 3, 4, 5], [1] * 5, [BOX] * 5, 9)
    tr = _rows([1, 2, 3, 4, 5, 5], [7, 7, 9, 9, 9, 4], [BOX] * 5 + [FAR], 10)
    write_sequence(tmp_path, "s", 5, gt, tr)
    assert_equal_to_trackeval(tmp_path, ["s"])
    report = _evaluate(tmp_path)
    d = report.details["s"]
    assert report.sequences["s"]["CLEAR"]["IDSW"] == 1
    assert d.switch_frame.tolist() == [3]
    assert (d.switch_gt_id.tolist(), d.switch_from_id.tolist(), d.switch_to_id.tolist()) == (
        [1],
        [7],
        [9],
    )
    assert d.frame_switches.tolist() == [0, 0, 1, 0, 0]
    assert d.frame_fp.tolist() == [0, 0, 0, 0, 1]
    assert d.track_assigned_id.tolist() == [9]  # Identity: 3 frames with 9, 2 with 7
    assert d.tr_status.tolist() == [1, 1, 1, 1, 1, 0]


@pytest.mark.parametrize("seed", range(4))
def test_details_add_up_to_the_metrics(tmp_path: Path, seed: int) -> None:
    write_random_split(tmp_path, seed)
    report = _evaluate(tmp_path)
    for name, d in report.details.items():
        clear = report.sequences[name]["CLEAR"]
        assert d.frame_fp.sum() == clear["CLR_FP"]
        assert d.frame_fn.sum() == clear["CLR_FN"]
        assert d.frame_switches.sum() == d.track_switches.sum() == clear["IDSW"]
        assert len(d.switch_frame) == clear["IDSW"]
        assert np.all(d.switch_from_id != d.switch_to_id)
        assert d.track_fragments.sum() == clear["Frag"]
        assert (d.gt_status == 1).sum() == (d.tr_status == 1).sum() == clear["CLR_TP"]
        assert [(d.track_status == s).sum() for s in (2, 1, 0)] == [
            clear["MT"],
            clear["PT"],
            clear["ML"],
        ]


def _sequence(gt: np.ndarray, tr: np.ndarray, n: int) -> SequenceData:
    return SequenceData(
        "s",
        n,
        gt[:, 0],
        gt[:, 1],
        gt[:, 2:6],
        gt[:, 7],
        gt[:, 6],
        gt[:, 8],
        tr[:, 0],
        tr[:, 1],
        tr[:, 2:6],
        tr[:, 6],
    )


def test_bad_input_is_refused_clearly() -> None:
    gt = _rows([1, 1], [1, 1], [BOX, FAR], 9)
    tr = _rows([1], [3], [BOX], 10)
    with pytest.raises(ValueError, match="id 1 more than once in frame 1"):
        _sequence(gt, tr, 3)
    with pytest.raises(ValueError, match="frame 9, outside 1..3"):
        _sequence(gt[:1], _rows([9], [3], [BOX], 10), 3)
    bad_class = gt[:1].copy()
    bad_class[0, 7] = 14
    with pytest.raises(ValueError, match="class 14 is not a MOT Challenge class"):
        _sequence(bad_class, tr, 3)
    with pytest.raises(ValueError, match="no sequence"):
        evaluate_tracking([])


def test_reader_accepts_whitespace_and_trailing_commas(tmp_path: Path) -> None:
    gt = _rows([1, 2], [1, 1], [BOX, BOX], 9)
    write_sequence(tmp_path, "s", 2, gt, _rows([1, 2], [4, 4], [BOX, BOX], 10))
    results = tmp_path / "trackers" / TRACKER / "data" / "s.txt"
    results.write_text("1 4 10 10 40 80 0.9 -1 -1 -1\n2 4 10 10 40 80 0.9 -1 -1 -1\n")
    gt_file = tmp_path / "gt" / "s" / "gt" / "gt.txt"
    gt_file.write_text(gt_file.read_text().replace("\n", ",\n"))
    (seq,) = read_mot_folders(tmp_path / "gt", tmp_path / "trackers" / TRACKER)
    assert seq.tr_id.tolist() == [4, 4] and seq.gt_box.tolist() == [BOX, BOX]
    assert evaluate_tracking([seq]).headline()["MOTA"] == 1.0


def test_reader_errors_name_the_file(tmp_path: Path) -> None:
    write_sequence(tmp_path, "s", 3, _rows([1], [1], [BOX], 9), _rows([1], [2], [BOX], 10))
    data = tmp_path / "trackers" / TRACKER / "data"
    (data / "s.txt").write_text("1,2,3\n")
    with pytest.raises(ValueError, match="s.txt: a MOT results row needs 7 numeric columns"):
        read_mot_folders(tmp_path / "gt", data)
    (data / "s.txt").unlink()
    (data / "other.txt").write_text("")
    with pytest.raises(ValueError, match="no results for sequence s"):
        read_mot_folders(tmp_path / "gt", data)
    (tmp_path / "gt" / "s" / "seqinfo.ini").write_text("[Sequence]\nname=s\n")
    (data / "s.txt").write_text("")
    with pytest.raises(ValueError, match="no \\[Sequence\\] seqLength"):
        read_mot_folders(tmp_path / "gt", data)
    with pytest.raises(ValueError, match="no <sequence>/gt/gt.txt"):
        read_mot_folders(tmp_path, data)


def test_cli_prints_trackeval_numbers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    """``visionlens evaluate-mot GT RESULTS --json``: headline figures combined and per
    sequence under py-motmetrics' names, equal to TrackEval; a readable table without it."""
    names = write_random_split(tmp_path, 7)
    reference = run_trackeval(tmp_path, names)
    results = str(tmp_path / "trackers" / TRACKER / "data")
    assert cli.main(["evaluate-mot", str(tmp_path / "gt"), results, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    for seq, values in [("COMBINED_SEQ", out["tracking"]), *out["sequences"].items()]:
        ref = reference[seq]
        assert values["MOTA"] == pytest.approx(ref["CLEAR"]["MOTA"], abs=TOLERANCE)
        assert values["num_switches"] == ref["CLEAR"]["IDSW"]
        assert values["num_false_positives"] == ref["CLEAR"]["CLR_FP"]
        assert values["num_misses"] == ref["CLEAR"]["CLR_FN"]
        assert values["IDF1"] == pytest.approx(ref["Identity"]["IDF1"], abs=TOLERANCE)
        for name in ("HOTA", "DetA", "AssA", "LocA"):
            assert values[name] == pytest.approx(np.mean(ref["HOTA"][name]), abs=TOLERANCE)
    assert out["trackeval"]["combined"]["HOTA"]["HOTA"] == pytest.approx(
        reference["COMBINED_SEQ"]["HOTA"]["HOTA"], abs=TOLERANCE
    )
    assert cli.main(["evaluate-mot", str(tmp_path / "gt"), results]) == 0
    text = capsys.readouterr().out
    assert text.splitlines()[0].split()[:3] == ["sequence", "HOTA", "MOTA"]
    assert any(line.startswith("COMBINED") for line in text.splitlines())


def test_cli_reports_bad_input(tmp_path: Path, capsys: Any) -> None:
    assert cli.main(["evaluate-mot", str(tmp_path), str(tmp_path), "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert "no <sequence>/gt/gt.txt" in out["errors"][0]["message"]


def test_reader_refuses_results_of_other_classes(tmp_path: Path) -> None:
    """TrackEval evaluates pedestrians only and refuses results naming another class."""
    tr = _rows([1], [2], [BOX], 10)
    tr[0, 7] = 3
    write_sequence(tmp_path, "s", 3, _rows([1], [1], [BOX], 9), tr)
    with pytest.raises(ValueError, match="results name class 3"):
        read_mot_folders(tmp_path / "gt", tmp_path / "trackers" / TRACKER)


def test_thresholds_met_exactly_equal_trackeval(tmp_path: Path) -> None:
    """Values that sit exactly on a threshold count as reaching it, as in TrackEval: IoU 0.5
    is a CLEAR and an Identity match, IoU 0.6 reaches HOTA's alpha 0.6 (which ``arange``
    builds as 0.6000000000000001), a track matched in 1 of its 5 frames (ratio 0.2) is
    partly tracked, and a consider flag of 0.4 reads as 0 (the box is not evaluated)."""
    five = [1, 2, 3, 4, 5]
    half = [10.0, 10.0, 40.0, 160.0]  # BOX inside it: IoU 3200 / 6400 = 0.5
    six_tenths = [10.0, 10.0, 40.0, 48.0]  # inside BOX: IoU 1920 / 3200 = 0.6
    consider = _rows([1, 2, 3], [1, 1, 1], [BOX] * 3, 9)
    consider[2, 6] = 0.4
    cases = {
        "iou-half": (_rows(five, [1] * 5, [BOX] * 5, 9), _rows(five, [2] * 5, [half] * 5, 10)),
        "iou-six-tenths": (
            _rows(five, [1] * 5, [BOX] * 5, 9),
            _rows(five, [2] * 5, [six_tenths] * 5, 10),
        ),
        "one-in-five": (_rows(five, [1] * 5, [BOX] * 5, 9), _rows([1], [2], [BOX], 10)),
        "consider-fraction": (consider, _rows([1, 2, 3], [2, 2, 2], [BOX] * 3, 10)),
    }
    for name, (gt, tr) in cases.items():
        write_sequence(tmp_path, name, 5, gt, tr)
    assert_equal_to_trackeval(tmp_path, list(cases))
    seqs = _evaluate(tmp_path).sequences
    assert seqs["iou-half"]["CLEAR"]["CLR_TP"] == 5 and seqs["iou-half"]["CLEAR"]["MOTA"] == 1.0
    assert seqs["iou-half"]["Identity"]["IDTP"] == 5
    alpha = list(np.round(np.arange(0.05, 0.99, 0.05), 2)).index(0.6)
    assert seqs["iou-six-tenths"]["HOTA"]["HOTA_TP"][alpha] == 5
    assert seqs["iou-six-tenths"]["HOTA"]["HOTA_TP"][alpha + 1] == 0
    one = seqs["one-in-five"]["CLEAR"]
    assert (one["MT"], one["PT"], one["ML"]) == (0, 1, 0)
    considered = seqs["consider-fraction"]["CLEAR"]
    assert (considered["CLR_TP"], considered["CLR_FP"], considered["CLR_FN"]) == (2, 1, 0)


def test_identity_assigns_no_tracker_to_a_track_it_never_overlaps(tmp_path: Path) -> None:
    """Ground truth 1 is followed by tracker 7; ground truth 2 stays far from tracker 8's box
    in every frame, so Identity pairs it with no tracker (-1), though the assignment solver
    hands every row some column."""
    gt = _rows([1, 1, 2, 2], [1, 2, 1, 2], [BOX, FAR, BOX, FAR], 9)
    tr = _rows([1, 1, 2, 2], [7, 8, 7, 8], [BOX, [300.0, 0.0, 20.0, 20.0]] * 2, 10)
    write_sequence(tmp_path, "s", 2, gt, tr)
    assert_equal_to_trackeval(tmp_path, ["s"])
    report = _evaluate(tmp_path)
    assert report.sequences["s"]["Identity"]["IDTP"] == 2
    assert report.details["s"].track_assigned_id.tolist() == [7, -1]
