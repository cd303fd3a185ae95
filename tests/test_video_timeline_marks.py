"""The timeline's marks and the tracking-outcome facets (issue #52 items 3 and 4).

On MOT sequences whose files say where each change is (a class turned mid-track, the
visibility and consider columns, a tracker that swaps an identity): the timeline's
``changes`` are the ones read back from ``gt.txt`` here, its ``switches`` the engine's
identity switches (equal to TrackEval: test_evaluate_tracking), CVAT's keyframes its listed
shapes; the ``track.*`` facets count exactly what the engine's per-row outcomes say, through
the server's routes and their documented answers."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.ingest_fixtures import ingest, ingest_predictions
from tests.test_evaluate_tracking_catalog import write_tracker
from tests.test_ingest_cvat_video import cvat_video_xml
from tests.test_wire_answers import assert_answers
from tests.video_fixtures import MotSequence, write_mot, write_video
from visionlens_jlab.catalog import Catalog, CatalogError
from visionlens_jlab.evaluate.tracking import evaluate_tracking, read_mot_folders
from visionlens_jlab.evaluate.tracking.catalog_sequences import evaluate_dataset_tracking
from visionlens_jlab.evaluate.tracking.report import (
    GT_MATCHED,
    GT_MISSED,
    TR_FALSE_POSITIVE,
    TR_MATCHED,
    TrackingReport,
)
from visionlens_jlab.importing.video_marks import track_marks
from visionlens_jlab.importing.video_timeline import video_timeline

GT = "ground_truth"
CLASSES = {1: "pedestrian", 3: "car"}
TIMELINE = "/datasets/{name}/samples/{sample_id}/timeline"


def _turn_a_class(seqs: list[MotSequence], root: Path) -> None:
    """Track 2 of the first sequence turns from its class to the other one half-way."""
    seq = seqs[0]
    frames = sorted(r[0] for r in seq.rows if r[1] == 2)
    assert len(frames) >= 2, "the fixture's track 2 needs two frames"
    half = frames[len(frames) // 2]
    seq.rows[:] = [
        (*r[:7], 3 if r[7] == 1 else 1, r[8]) if r[1] == 2 and r[0] >= half else r for r in seq.rows
    ]
    (root / seq.name / "gt" / "gt.txt").write_text(
        "".join(",".join(str(v) for v in r) + "\n" for r in seq.rows)
    )


def _write(root: Path) -> list[MotSequence]:
    seqs = write_mot(root / "mot", {"S1": 30, "S2": 20}, tracks=6, seed=2)
    _turn_a_class(seqs, root / "mot")
    write_tracker(root / "trk", seqs, seed=4)
    return seqs


def _expected_changes(seq: MotSequence) -> dict[int, list[tuple[int, str, Any, Any]]]:
    """Per MOT id, ``(frame, what, before, after)`` read from the rows: the class, the
    consider flag (conf), visibility by quarter (as numbers)."""
    out: dict[int, list[tuple[int, str, Any, Any]]] = {}
    by_id: dict[int, list[Any]] = {}
    for row in seq.rows:
        by_id.setdefault(row[1], []).append(row)
    for mot_id, rows in by_id.items():
        rows.sort(key=lambda r: r[0])
        found = out.setdefault(mot_id, [])
        for prev, row in zip(rows, rows[1:], strict=False):
            frame = row[0]
            if prev[7] != row[7]:
                found.append((frame, "label", CLASSES[prev[7]], CLASSES[row[7]]))
            if (prev[6] != 0) != (row[6] != 0):
                found.append((frame, "attributes.consider", str(prev[6] != 0).lower(),
                              str(row[6] != 0).lower()))  # fmt: skip
            if math.floor(4 * prev[8]) != math.floor(4 * row[8]):
                found.append((frame, "attributes.visibility", prev[8], row[8]))
        found.sort()
    return out


def _numbers(change: dict[str, Any]) -> tuple[int, str, Any, Any]:
    """A change as ``(frame, what, before, after)``, visibility's texts as numbers."""
    before, after = change["before"], change["after"]
    if change["what"] == "attributes.visibility":
        before, after = float(before), float(after)
    return change["frame"], change["what"], before, after


def _mot_ids(catalog: Catalog) -> dict[tuple[str, int], int]:
    """(source, track_id) -> the MOT id of the file (``source_ann_id``)."""
    with catalog.cursor() as cur:
        rows = cur.execute(
            "SELECT DISTINCT source, track_id, source_ann_id FROM annotations "
            "WHERE track_id IS NOT NULL"
        ).fetchall()
    return {(str(s), int(t)): int(i) for s, t, i in rows}


def _first_frame_sample(catalog: Catalog, video: str) -> int:
    with catalog.cursor() as cur:
        row = cur.execute(
            "SELECT f.sample_id FROM video_frames f JOIN videos v USING (dataset_id, video_id) "
            "WHERE v.name = ? AND f.frame_number = 1",
            [video],
        ).fetchone()
    assert row is not None
    return int(row[0])


def _report(root: Path) -> TrackingReport:
    return evaluate_tracking(read_mot_folders(root / "mot", root / "trk"))


def test_marks_are_the_files_changes_and_the_engines_switches(tmp_path: Path) -> None:
    seqs = _write(tmp_path)
    report = _report(tmp_path)
    assert sum(len(d.switch_frame) for d in report.details.values()) >= 1
    with Catalog(tmp_path / "vl") as catalog:
        ingest(catalog, "m", tmp_path / "mot")
        ingest_predictions(catalog, "m", "trk", tmp_path / "trk", fmt="mot")
        sample = _first_frame_sample(catalog, "S1")
        before = video_timeline(catalog, "m", sample)  # no evaluation yet: no switches
        assert (before["tracking_models"], before["model"]) == ([], None)
        with pytest.raises(CatalogError, match="'trk' has no tracking evaluation.*--tracking"):
            video_timeline(catalog, "m", sample, "trk")
        evaluate_dataset_tracking(catalog, "m", "trk")
        ids = _mot_ids(catalog)
        label_changes = 0
        for seq in seqs:
            plain = video_timeline(catalog, "m", _first_frame_sample(catalog, seq.name))
            timeline = video_timeline(catalog, "m", _first_frame_sample(catalog, seq.name), "trk")
            assert (timeline["tracking_models"], timeline["model"]) == (["trk"], "trk")
            assert all(t["switches"] == [] for t in plain["tracks"])
            expected = _expected_changes(seq)
            d = report.details[seq.name]
            gt_switches: dict[int, list[int]] = {}
            tr_switches: dict[int, list[int]] = {}
            for frame, gt_id, to_id in zip(
                d.switch_frame.tolist(), d.switch_gt_id.tolist(), d.switch_to_id.tolist(),
                strict=True,
            ):  # fmt: skip
                gt_switches.setdefault(gt_id, []).append(frame)
                tr_switches.setdefault(to_id, []).append(frame)
            for track in timeline["tracks"]:
                mot_id = ids[(track["source"], track["track_id"])]
                assert track["keyframes"] == []  # MOT has none
                if track["source"] == GT:
                    got = [_numbers(c) for c in track["changes"]]
                    assert got == expected[mot_id]  # by frame, then what changed
                    assert track["changes_total"] == len(got)
                    label_changes += sum(c[1] == "label" for c in got)
                    assert track["switches"] == sorted(gt_switches.get(mot_id, []))
                else:  # the tracker's rows hold no class change, no attributes
                    assert track["changes"] == [] and track["changes_total"] == 0
                    assert track["switches"] == sorted(tr_switches.get(mot_id, []))
        assert label_changes == 1  # the turned class, on track 2 of S1


@pytest.mark.parametrize("cap", [1, 2, 3, 1000])
def test_a_track_answers_at_most_the_cap_of_its_changes_evenly_spread(
    tmp_path: Path, cap: int
) -> None:
    seqs = _write(tmp_path)
    with Catalog(tmp_path / "vl") as catalog:
        ingest(catalog, "m", tmp_path / "mot")
        ids = _mot_ids(catalog)
        capped = 0
        with catalog.cursor() as cur:
            for seq in seqs:
                video_id = cur.execute(
                    "SELECT video_id FROM videos WHERE name = ?", [seq.name]
                ).fetchone()
                assert video_id is not None
                expected = _expected_changes(seq)
                marks = track_marks(cur, catalog.dataset_id(cur, "m"), video_id[0], None, cap)
                for key, track in marks.items():
                    every = expected[ids[key]]
                    stride = -(-len(every) // cap)  # every stride-th, from the first
                    assert track["changes_total"] == len(every)
                    assert [_numbers(c) for c in track["changes"]] == every[::stride]
                    assert len(track["changes"]) <= cap
                    capped += len(every) > cap
        assert capped >= (1 if cap < 3 else 0)  # the fixture has tracks over the small caps


def test_cvat_keyframes_and_occlusion_are_marks(tmp_path: Path) -> None:
    task = tmp_path / "task"
    task.mkdir()
    write_video(task / "street.mp4", 10, gop=5)
    (task / "annotations.xml").write_text(cvat_video_xml("street.mp4", 10))
    with Catalog(tmp_path / "vl") as catalog:
        ingest(catalog, "street", task)
        with catalog.cursor() as cur:
            first = cur.execute("SELECT min(sample_id) FROM video_frames").fetchone()
        assert first is not None
        timeline = video_timeline(catalog, "street", int(first[0]))
        cvat_id = _mot_ids(catalog)  # (source, track id) -> CVAT's track id
    by_cvat = {cvat_id[(GT, t["track_id"])]: t for t in timeline["tracks"]}
    # the car: listed at CVAT frames 0 and 4 (frames 1 and 5), occluded from the second
    assert by_cvat[0]["keyframes"] == [1, 5]
    assert by_cvat[0]["changes"] == [
        {"frame": 5, "what": "attributes.occluded", "before": "0", "after": "1"}
    ]
    assert by_cvat[1]["keyframes"] == [3] and by_cvat[1]["changes"] == []
    assert by_cvat[2]["keyframes"] == [9] and by_cvat[2]["runs"] == [[9, 10]]
    assert timeline["model"] is None and timeline["tracking_models"] == []


def _outcome_counts(
    root: Path, seqs: list[MotSequence], frames: set[tuple[str, int]] | None
) -> dict[tuple[str, str], Counter[Any]]:
    """The engine's per-row outcomes counted as the facets count them: (facet, source) ->
    value counts, over the rows on ``frames`` (every frame: None)."""
    report = _report(root)
    read = {s.name: s for s in read_mot_folders(root / "mot", root / "trk")}
    out: dict[tuple[str, str], Counter[Any]] = {}
    for seq in seqs:
        d, s = report.details[seq.name], read[seq.name]
        on_gt = np.array([frames is None or (seq.name, int(f)) in frames for f in s.gt_frame])
        on_tr = np.array([frames is None or (seq.name, int(f)) in frames for f in s.tr_frame])
        gt = {GT_MATCHED: "matched", GT_MISSED: "missed"}
        tr = {TR_MATCHED: "matched", TR_FALSE_POSITIVE: "false_positive"}
        statuses = [gt.get(int(v), "not_evaluated") for v in d.gt_status[on_gt]]
        out.setdefault(("track.status", GT), Counter()).update(statuses)
        tr_statuses = [tr.get(int(v), "ignored") for v in d.tr_status[on_tr]]
        out.setdefault(("track.status", "trk"), Counter()).update(tr_statuses)
        out.setdefault(("track.switched", GT), Counter()).update(d.gt_switched[on_gt].tolist())
        out.setdefault(("track.switched", "trk"), Counter()).update(d.tr_switched[on_tr].tolist())
        track = {int(i): k for k, i in enumerate(d.track_gt_id.tolist())}
        names = ("ML", "PT", "MT")
        for gt_id in s.gt_id[on_gt].tolist():
            if gt_id in track:
                k = track[gt_id]
                out.setdefault(("track.track_status", GT), Counter())[
                    names[int(d.track_status[k])]
                ] += 1
                out.setdefault(("track.track_switches", GT), Counter())[
                    int(d.track_switches[k])
                ] += 1
    return out


def _track_facets(
    answer: dict[str, Any], model: str = "trk"
) -> dict[tuple[str, str], dict[str, Any]]:
    """The ``track.*`` facets of ``model``'s evaluation by (name, source)."""
    return {
        (f["name"], f["source"]): f
        for f in answer["facets"]
        if f["name"].startswith("track.") and f["model"] == model
    }


def _assert_counts(
    got: dict[tuple[str, str], dict[str, Any]], expected: dict[tuple[str, str], Counter[Any]]
) -> None:
    """The facets count what ``expected`` (:func:`_outcome_counts`) says."""
    assert set(got) == set(expected) | {("track.track_switches", GT)}
    for (name, source), facet in got.items():
        counts = expected.get((name, source), Counter())
        if facet["type"] == "numeric":
            assert facet["count"] == sum(counts.values())
            assert (facet["min"], facet["max"]) == (min(counts), max(counts))
        else:
            assert {v["value"]: v["count"] for v in facet["values"]} == dict(counts)


async def test_tracking_outcome_facets_count_the_engines_rows(
    api: Any, vl_app: Any, tmp_path: Path
) -> None:
    seqs = _write(tmp_path)
    ingest(vl_app.catalog, "m", tmp_path / "mot")
    ingest_predictions(vl_app.catalog, "m", "trk", tmp_path / "trk", fmt="mot")
    status, body = await api("POST", "datasets/m/facets", {"filter": None})
    assert status == 200, body
    assert _track_facets(body) == {}  # no tracking evaluation: no such facets
    evaluate_dataset_tracking(vl_app.catalog, "m", "trk")
    report = _report(tmp_path)
    switched = {
        (name, int(f)) for name, d in report.details.items() for f in d.switch_frame.tolist()
    }
    on_switch = {"labels": [{"source": GT, "track": {"model": "trk", "switched": True}}]}
    for spec, frames in ((None, None), (on_switch, switched)):
        status, body = await api("POST", "datasets/m/facets", {"filter": spec})
        assert status == 200, body
        assert_answers("/datasets/{name}/facets", "post", body)
        got = _track_facets(body)
        expected = _outcome_counts(tmp_path, seqs, frames)
        if frames is not None:  # multi-pick: the facet the condition sets counts without it
            everywhere = _outcome_counts(tmp_path, seqs, None)
            expected[("track.switched", GT)] = everywhere[("track.switched", GT)]
        _assert_counts(got, expected)
        for (name, _), facet in got.items():
            assert facet["unit"] == "objects"
            assert facet["filter"] == {"path": "labels.track", "key": name[len("track.") :]}
        if frames is not None:  # the filter keeps the switch frames: each counts a switch
            assert sum(
                v["count"] for v in got[("track.switched", GT)]["values"] if v["value"] is True
            ) == len(switched)

    # the timeline route: the model's switches, its documented answer, a refused model
    sample = _first_frame_sample(vl_app.catalog, "S1")
    status, timeline = await api(
        "GET", f"datasets/m/samples/{sample}/timeline", params={"model": "trk"}
    )
    assert status == 200, timeline
    assert_answers(TIMELINE, "get", timeline)
    assert timeline["model"] == "trk"
    marked = {f for t in timeline["tracks"] if t["source"] == GT for f in t["switches"]}
    assert marked == {f for name, f in switched if name == "S1"}
    status, error = await api(
        "GET", f"datasets/m/samples/{sample}/timeline", params={"model": "nope"}
    )
    assert status == 400, error
    assert "'nope' has no tracking evaluation" in error["message"]
    assert_answers(TIMELINE, "get", error, "400")


async def test_a_picked_outcome_keeps_its_facets_other_values_and_other_models_facets_alone(
    api: Any, vl_app: Any, tmp_path: Path
) -> None:
    seqs = _write(tmp_path)
    ingest(vl_app.catalog, "m", tmp_path / "mot")
    for model in ("trk", "trk2"):  # the same tracker twice: the same outcomes
        ingest_predictions(vl_app.catalog, "m", model, tmp_path / "trk", fmt="mot")
        evaluate_dataset_tracking(vl_app.catalog, "m", model)
    report = _report(tmp_path)
    read = {s.name: s for s in read_mot_folders(tmp_path / "mot", tmp_path / "trk")}

    def frames(missed: bool | None, switched: bool | None) -> set[tuple[str, int]]:
        """The frames with a ground-truth object so (None: either way)."""
        out: set[tuple[str, int]] = set()
        for name, d in report.details.items():
            keep = np.ones(len(read[name].gt_frame), dtype=bool)
            if missed is not None:
                keep &= (d.gt_status == GT_MISSED) == missed
            if switched is not None:
                keep &= d.gt_switched == switched
            out |= {(name, int(f)) for f in read[name].gt_frame[keep]}
        return out

    condition = {"model": "trk", "status": ["missed"], "switched": False}
    spec = {"labels": [{"source": GT, "track": condition}]}
    status, body = await api("POST", "datasets/m/facets", {"filter": spec})
    assert status == 200, body
    kept = frames(True, False)
    assert kept and kept != frames(None, False)  # the pick narrows the view
    expected = _outcome_counts(tmp_path, seqs, kept)
    # another model's facets: under the whole filter (its own objects under its name)
    theirs = {(n, "trk2" if src == "trk" else src): c for (n, src), c in expected.items()}
    _assert_counts(_track_facets(body, "trk2"), theirs)
    # the model's own facets that the condition sets: each without its own part
    wider = {
        ("track.status", GT): _outcome_counts(tmp_path, seqs, frames(None, False)),
        ("track.switched", GT): _outcome_counts(tmp_path, seqs, frames(True, None)),
    }
    mine = {**expected, **{key: counts[key] for key, counts in wider.items()}}
    _assert_counts(_track_facets(body, "trk"), mine)
    statuses = {v["value"] for v in _track_facets(body)[("track.status", GT)]["values"]}
    assert {"missed", "matched"} <= statuses  # the other values stay to be picked too
