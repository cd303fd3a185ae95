"""The tracks of a view as tiles (``POST datasets/{name}/tracks/query``, the lab's tracks
view) on a real Jupyter server: a CVAT video task over a real encoded video (PyAV's
libx264) whose tracks are known from its XML, MOT sequences checked against their
``gt.txt`` read with pandas, and a model's tracks made by the tracker; which tracks a
filter keeps, their patches spread over time (each one's crop served), paging and bad
requests; the answers are the document's (``openapi.yaml``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.ingest_fixtures import ingest
from tests.test_ingest_cvat_video import cvat_video_xml
from tests.test_video_facets import gt_rows, three_sequences
from tests.test_video_tiles import evenly_spread
from tests.test_video_tracking import SEQUENCES, detect
from tests.test_wire_answers import assert_answers
from tests.tracking_fixtures import write_moving_mot
from tests.video_fixtures import write_video
from visionlens_jlab.predict.tracking import track_detections

DOC_ROUTE = "/datasets/{name}/tracks/query"
KNOWN = [
    # (CVAT track id, class, first frame, last frame, length): the XML's tracks, CVAT's
    # 0-based frames shifted to 1-based ones, `outside` ending a track
    ("0", "car", 1, 6, 6),
    ("1", "person", 3, 3, 1),
    ("2", "person", 9, 10, 2),
    ("3", "car", 2, 2, 1),
]
CAR_BOXES = {1: [0.0, 0.0, 10.0, 10.0], 3: [4.0, 2.0, 14.0, 10.0], 5: [8.0, 4.0, 18.0, 10.0]}
"""The car's boxes (x, y, w, h) on frames 1, 3 and 5: keyframes and an interpolated one."""


@pytest.fixture
def street(vl_app: Any, tmp_path: Path) -> str:
    """A CVAT video task over a real 10-frame mp4 in the server's catalog."""
    task = tmp_path / "task"
    task.mkdir()
    write_video(task / "street.mp4", 10, gop=5)
    (task / "annotations.xml").write_text(cvat_video_xml("street.mp4", 10))
    ingest(vl_app.catalog, "street", task)
    return "datasets/street/tracks/query"


def _known(tracks: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [
        (t["source_id"], t["label"], t["first_frame"], t["last_frame"], t["length"]) for t in tracks
    ]


async def test_a_videos_tracks_are_its_known_tracks_with_patches_over_time(
    api: Any, street: str
) -> None:
    status, page = await api("POST", street, {"patches": 3})
    assert status == 200, page
    assert_answers(DOC_ROUTE, "post", page)
    assert page["total"] == 4 and _known(page["tracks"]) == KNOWN
    status, listed = await api("GET", "datasets/street/tracks")
    assert status == 200
    for tile, row in zip(page["tracks"], listed["tracks"], strict=True):
        assert {k: tile[k] for k in row} == row  # the whole track's row, as listed
        assert tile["video"] == "street.mp4" and tile["matching"] == tile["length"]
    for tile in page["tracks"]:  # the sample of the whole track's first frame
        status, first = await api("GET", f"datasets/street/samples/{tile['first_sample_id']}")
        assert first["fields"]["frame_number"] == tile["first_frame"]
    car = page["tracks"][0]
    assert [p["frame_number"] for p in car["patches"]] == [1, 3, 5]  # spread over 6
    assert {p["frame_number"]: p["bbox"] for p in car["patches"]} == CAR_BOXES
    # each patch is the track's object on that frame's sample, and its crop is served
    for patch in car["patches"]:
        status, sample = await api("GET", f"datasets/street/samples/{patch['sample_id']}")
        assert status == 200 and sample["fields"]["frame_number"] == patch["frame_number"]
        assert patch["ann_id"] in [b["ann_id"] for b in sample["annotations"]]
        crop = f"datasets/street/objects/{patch['ann_id']}/crop"
        status, jpeg = await api("GET", crop, params={"size": 64})
        assert status == 200 and jpeg[:2] == b"\xff\xd8", crop
    status, page = await api("POST", street, {})  # 8 patches: every object of the car
    assert [p["frame_number"] for p in page["tracks"][0]["patches"]] == [1, 2, 3, 4, 5, 6]


async def test_filters_keep_the_tracks_with_kept_objects(api: Any, street: str) -> None:
    cases: list[tuple[dict[str, Any], list[str], list[int]]] = [
        ({"labels": {"classes": ["car"]}}, ["0", "3"], [6, 1]),
        ({"sample": {"fields.frame_number": {"min": 4}}}, ["0", "2"], [3, 2]),
        (
            {"labels": {"source": "ground_truth", "where": {"track_length": {"min": 2}}}},
            ["0", "2"],
            [6, 2],
        ),  # fmt: skip
        # the car's frames keep the person of frame 3 too, but not as a car track
        (
            {"labels": {"classes": ["car"]}, "sample": {"fields.frame_number": {"max": 3}}},
            ["0", "3"],
            [3, 1],
        ),
        ({"labels": {"classes": ["bus"]}}, [], []),
    ]
    for flt, ids, matching in cases:
        status, page = await api("POST", street, {"filter": flt})
        assert status == 200, (flt, page)
        assert page["total"] == len(ids), flt
        assert [t["source_id"] for t in page["tracks"]] == ids, flt
        assert [t["matching"] for t in page["tracks"]] == matching, flt
    # a frame filter: the strip starts at the first kept frame
    flt = {"sample": {"fields.frame_number": {"min": 4}}}
    status, page = await api("POST", street, {"filter": flt})
    assert [p["frame_number"] for p in page["tracks"][0]["patches"]] == [4, 5, 6]
    assert page["tracks"][0]["length"] == 6  # the whole track's
    status, first = await api(
        "GET", f"datasets/street/samples/{page['tracks'][0]['first_sample_id']}"
    )
    assert first["fields"]["frame_number"] == 1


async def test_pages_and_bad_requests(api: Any, street: str) -> None:
    status, page = await api("POST", street, {"offset": 1, "limit": 2})
    assert status == 200, page
    assert page["total"] == 4 and _known(page["tracks"]) == KNOWN[1:3]
    status, page = await api("POST", street, {"offset": 9})
    assert status == 200 and page["total"] == 4 and page["tracks"] == []
    status, page = await api("POST", street, {"limit": 0})
    assert status == 200 and page["total"] == 4 and page["tracks"] == []
    for body, needle in (
        ({"limit": 501}, "limit"),
        ({"limit": "9"}, "limit"),
        ({"patches": 0}, "patches"),
        ({"patches": 33}, "patches"),
        ({"offset": -1}, "offset"),
        ({"model": "ghost"}, "unknown model 'ghost'"),
        ({"model": 3}, "model"),
        ({"filter": {"sample": {"nope": {"eq": 1}}}}, "nope"),
    ):
        status, answer = await api("POST", street, body)
        assert status == 400 and needle in answer["message"], (body, answer)
    status, answer = await api("POST", "datasets/none/tracks/query", {})
    assert status == 404, answer


async def test_mot_tracks_equal_the_gt_files(api: Any, vl_app: Any, tmp_path: Path) -> None:
    root = three_sequences(tmp_path / "mot")
    ingest(vl_app.catalog, "mot", root)
    gt = gt_rows(root)
    route = "datasets/mot/tracks/query"
    cars = gt[gt["cls"] == 3]
    for flt, rows in (({}, gt), ({"labels": {"classes": ["car"]}}, cars)):
        expected = {
            (str(seq), str(ident)): sorted(group["frame"])
            for (seq, ident), group in rows.groupby(["seq", "id"])
        }
        found: dict[tuple[str, str], list[int]] = {}
        for offset in range(0, len(expected) + 5, 5):  # pages of 5 cover them exactly once
            status, page = await api(
                "POST", route, {"filter": flt, "offset": offset, "limit": 5, "patches": 4}
            )
            assert status == 200, page
            assert page["total"] == len(expected)
            for t in page["tracks"]:
                frames = expected[(t["video"], t["source_id"])]
                whole = sorted(
                    gt[(gt["seq"] == t["video"]) & (gt["id"] == int(t["source_id"]))]["frame"]
                )
                assert (t["first_frame"], t["last_frame"], t["length"]) == (
                    whole[0], whole[-1], len(whole),
                )  # fmt: skip
                assert t["matching"] == len(frames)
                assert [p["frame_number"] for p in t["patches"]] == evenly_spread(frames, 4)
                found[(t["video"], t["source_id"])] = frames
        assert found == expected, flt


async def test_a_models_tracks(api: Any, vl_app: Any, tmp_path: Path) -> None:
    write_moving_mot(tmp_path / "mot", SEQUENCES, seed=3)
    ingest(vl_app.catalog, "mot", tmp_path / "mot", fmt="mot")
    detect(vl_app.catalog, "clean")
    track_detections(vl_app.catalog, "mot", "clean", name="t")
    status, listed = await api("GET", "datasets/mot/tracks", params={"model": "t"})
    assert status == 200 and len(listed["tracks"]) == 8
    status, page = await api("POST", "datasets/mot/tracks/query", {"model": "t", "limit": 100})
    assert status == 200, page
    assert page["total"] == 8
    assert [{k: t[k] for k in listed["tracks"][0]} for t in page["tracks"]] == listed["tracks"]
    # the model's boxes, not the ground truth's: the detector ("clean") has no identities
    status, page = await api("POST", "datasets/mot/tracks/query", {"model": "clean"})
    assert status == 200 and page["total"] == 0
    # the ground truth's: 4 pedestrians per sequence
    status, page = await api("POST", "datasets/mot/tracks/query", {})
    assert page["total"] == 8 and {t["label"] for t in page["tracks"]} == {"pedestrian"}
    # the details count them per source: the tracks view's picker offers only the tracker
    status, detail = await api("GET", "datasets/mot")
    assert status == 200 and detail["num_tracks"] == 8 + 8, detail
    assert {m["name"]: m["num_tracks"] for m in detail["models"]} == {"clean": 0, "t": 8}
