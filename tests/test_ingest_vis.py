"""YouTube-VIS and TAO JSON ingest (``--format vis``) and YouTube-VIS results as predictions,
on files the tests write (frames drawn with Pillow): every object, mask and track identity
is compared with what was written, the masks decoded by pycocotools; bad input gets report
rows and the rest ingests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pycocotools import mask as mask_utils

from tests.ingest_fixtures import ingest, ingest_predictions
from tests.test_ingest_exports import cli
from tests.vis_fixtures import (
    HEIGHT,
    WIDTH,
    Written,
    compressed_rle,
    decode,
    random_mask,
    write_tao,
    write_youtube_vis,
)
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.importing.jobs import prediction_maps
from visionlens_jlab.ingest.detect import detect_dataset_format, detect_predictions_format
from visionlens_jlab.records.report import IngestError

OBJECTS = (
    "SELECT v.name, f.frame_number, a.track_id, a.source_ann_id, a.label, a.x, a.y, a.w, a.h, "
    "a.segmentation, a.area, a.mask_area, a.score FROM annotations a "
    "JOIN video_frames f USING (sample_id) JOIN videos v "
    "ON v.dataset_id = f.dataset_id AND v.video_id = f.video_id "
    "WHERE a.source = ? ORDER BY v.video_id, f.frame_number, a.track_id"
)


def _rows(catalog: Catalog, sql: str, params: list[Any] | None = None) -> list[tuple]:
    with catalog.cursor() as cur:
        return [tuple(r) for r in cur.execute(sql, params or []).fetchall()]


def _report(summary: dict, code: str) -> dict:
    entries = {e["code"]: e for e in summary["warnings"] + summary["errors"]}
    assert code in entries, entries
    return entries[code]


def _check_objects(
    catalog: Catalog, written: Written, source: str = "ground_truth"
) -> dict[Any, int]:
    """Every written object ingested on its frame with its class, box and mask (decoded by
    pycocotools, its area pycocotools' where the file gave none); returns the track id each
    written track got."""
    got = _rows(catalog, OBJECTS, [source])
    assert len(got) == len(written.objects)
    by_place = {(r[0], r[1], r[3]): r for r in got}
    tracks: dict[Any, int] = {}
    for obj in written.objects:
        row = by_place[(written.names[obj.video], obj.frame, str(obj.ann_id))]
        assert row[4] == obj.label
        assert row[5:9] == pytest.approx(tuple(obj.box))
        stored = json.loads(row[9])
        assert stored == obj.segmentation
        assert np.array_equal(decode(stored), decode(obj.segmentation))
        oracle = float(mask_utils.area(as_rle(obj.segmentation)))
        assert row[11] == pytest.approx(obj.area if obj.area is not None else oracle)
        assert row[10] == pytest.approx(row[11])
        assert tracks.setdefault(obj.track, row[2]) == row[2]  # one identity along the track
    assert len(set(tracks.values())) == len(tracks)  # and one per track
    return tracks


def as_rle(segmentation: Any) -> Any:
    """pycocotools' RLE of a COCO segmentation of a test frame."""
    if isinstance(segmentation, list):
        return mask_utils.merge(mask_utils.frPyObjects(segmentation, HEIGHT, WIDTH))
    if isinstance(segmentation["counts"], list):
        return mask_utils.frPyObjects(segmentation, *segmentation["size"])
    return {"counts": segmentation["counts"].encode(), "size": segmentation["size"]}


def test_youtube_vis_ingests_every_frame_object_mask_and_track(tmp_path: Path) -> None:
    written = write_youtube_vis(tmp_path / "vis", {5: 6, 9: 4, 2: 3}, tracks=7, seed=1)
    assert detect_dataset_format(str(written.path)) == "vis"
    assert detect_dataset_format(str(tmp_path / "vis")) == "vis"
    with Catalog(tmp_path / "vl") as catalog:
        summary = ingest(catalog, "yv", tmp_path / "vis", fmt="vis").to_dict()
        assert summary["errors"] == summary["warnings"] == []
        assert (summary["videos"], summary["frames"], summary["samples"]) == (3, 13, 13)
        tracks = _check_objects(catalog, written)
        assert summary["tracks"] == len(tracks) == len({o.track for o in written.objects})
        assert summary["annotations"] == len(written.objects)
        videos = _rows(
            catalog,
            "SELECT name, kind, num_frames, width, height, location FROM videos ORDER BY video_id",
        )
        root = tmp_path / "vis" / "JPEGImages"
        assert videos == [
            ("v005", "sequence", 6, WIDTH, HEIGHT, str(root / "v005")),
            ("v009", "sequence", 4, WIDTH, HEIGHT, str(root / "v009")),
            ("v002", "sequence", 3, WIDTH, HEIGHT, str(root / "v002")),
        ]
        frames = _rows(
            catalog,
            "SELECT s.location, s.file_name, s.source_image_id, s.fields->>'source_video_id', "
            "f.frame_number FROM samples s JOIN video_frames f USING (sample_id) "
            "ORDER BY s.sample_id",
        )
        expected = [
            (str(root / name), name, f"v{vid:03d}/{i}", str(vid), i)
            for vid, files in written.videos.items()
            for i, name in enumerate(files, start=1)
        ]
        assert frames == expected
        classes = _rows(
            catalog, "SELECT name, supercategory, source_category_id FROM categories ORDER BY 3"
        )
        assert classes == [("person", "object", 1), ("dog", None, 7)]


def test_tao_json_orders_each_videos_images_by_frame_index(tmp_path: Path) -> None:
    written = write_tao(tmp_path / "tao", seed=4)
    assert detect_dataset_format(str(written.path)) == "vis"
    with Catalog(tmp_path / "vl") as catalog:
        summary = ingest(catalog, "tao", written.path).to_dict()  # auto
        assert summary["errors"] == summary["warnings"] == []
        assert (summary["videos"], summary["frames"]) == (2, 7)
        tracks = _check_objects(catalog, written)
        assert summary["tracks"] == len(tracks) == len({o.track for o in written.objects})
        files = _rows(
            catalog,
            "SELECT v.name, f.frame_number, s.file_name FROM video_frames f "
            "JOIN samples s USING (sample_id) JOIN videos v "
            "ON v.dataset_id = f.dataset_id AND v.video_id = f.video_id ORDER BY s.sample_id",
        )
        assert files == [
            (written.names[vid], i, name)
            for vid, names in written.videos.items()
            for i, name in enumerate(names, start=1)
        ]


def _results(written: Written, seed: int) -> tuple[list[dict[str, Any]], list[tuple]]:
    """YouTube-VIS results: each written track as a result (its masks, compressed), one
    track whose mask is empty on a frame, one of a video the dataset lacks; and the objects
    expected (video name, frame, label, score, box, area)."""
    rng = np.random.default_rng(seed)
    results: list[dict[str, Any]] = []
    expected: list[tuple] = []
    for vid, files in written.videos.items():
        for k in range(2):
            masks: list[Any] = []
            score = round(float(rng.random()), 4)
            for i in range(len(files)):
                if rng.random() < 0.3:
                    masks.append(None)
                    continue
                mask = random_mask(rng)
                rle = compressed_rle(mask)
                masks.append(rle)
                box = tuple(float(v) for v in mask_utils.toBbox(as_rle(rle)))
                area = float(mask.sum())
                expected.append((written.names[vid], i + 1, ("person", "dog")[k], score, box, area))
            results.append({"video_id": vid, "category_id": (1, 7)[k], "score": score,
                            "segmentations": masks})  # fmt: skip
    empty = compressed_rle(np.zeros((HEIGHT, WIDTH), np.uint8))
    results[0]["segmentations"][0] = empty
    expected = [e for e in expected if (e[0], e[1], e[2]) != (written.names[5], 1, "person")]
    results.append({"video_id": 404, "category_id": 1, "score": 0.5, "segmentations": [empty]})
    results.append({"video_id": 404, "category_id": 1, "score": 0.5,
                    "segmentations": [compressed_rle(random_mask(rng))]})  # fmt: skip
    return results, expected


def test_youtube_vis_results_are_a_prediction_set_with_track_ids(tmp_path: Path) -> None:
    written = write_youtube_vis(tmp_path / "vis", {5: 5, 9: 4}, tracks=3, seed=2)
    results, expected = _results(written, seed=3)
    path = tmp_path / "results.json"
    path.write_text(json.dumps(results))
    with Catalog(tmp_path / "vl") as catalog:
        ingest(catalog, "yv", written.path, fmt="vis")
        maps = prediction_maps(catalog, "yv")
        assert maps["videos"] == {"5": "v005", "9": "v009"}
        summary = ingest_predictions(catalog, "yv", "m", path, fmt="vis", **maps).to_dict()
        assert summary["predictions"] == len(expected)
        assert summary["tracks"] == len(results) - 1  # the last one's frame is not in the data
        assert "v005" not in str(summary["warnings"])
        assert _report(summary, "vis_empty_mask")["examples"] == [
            "result 0 frame 1",
            "result 4 frame 1",
        ]
        assert "404/1" in str(summary["warnings"] + summary["errors"])  # unmatched frame
        got = _rows(catalog, OBJECTS, ["m"])
        assert sorted((r[0], r[1], r[4], r[12], tuple(r[5:9]), r[10]) for r in got) == sorted(
            expected
        )
        for row in got:  # each mask decodes to the mask its box and area came from
            mask = decode(json.loads(row[9]))
            assert mask.sum() == row[10] == row[11]
        per_result = _rows(
            catalog,
            "SELECT count(DISTINCT track_id), count(*) FROM annotations WHERE source = 'm'",
        )
        assert per_result == [(len(results) - 2, len(expected))]


def test_the_cli_ingests_vis_and_its_results_with_the_video_counts(tmp_path: Path) -> None:
    written = write_youtube_vis(tmp_path / "vis", {5: 5, 9: 4}, tracks=3, seed=5)
    data = tmp_path / "vl"
    out = cli(data, "ingest", str(tmp_path / "vis"), "--name", "yv", "--format", "vis")
    tracks = len({o.track for o in written.objects})
    assert (out["videos"], out["frames"], out["tracks"]) == (2, 9, tracks)
    auto = cli(data, "ingest", str(written.path), "--name", "auto")
    assert (auto["videos"], auto["frames"], auto["tracks"]) == (2, 9, tracks)
    results, expected = _results(written, seed=6)
    (tmp_path / "res.json").write_text(json.dumps(results))
    out = cli(data, "predictions", "yv", str(tmp_path / "res.json"))  # auto: it names videos
    assert (out["model"], out["predictions"]) == ("res", len(expected))


def test_auto_tells_vis_results_from_coco_results_by_what_they_name(tmp_path: Path) -> None:
    """Both are JSON lists: YouTube-VIS results name a ``video_id`` (in any key order, after
    a long ``segmentations``), COCO results an ``image_id``; anything else stays COCO's to
    refuse with its own message."""
    cases = {
        "vis.json": [{"video_id": 1, "category_id": 2, "score": 0.5, "segmentations": [None]}],
        "late.json": [{"segmentations": [None] * 5000, "score": 0.5, "video_id": 3}],
        "coco.json": [{"image_id": 1, "category_id": 2, "bbox": [0, 0, 1, 1], "score": 0.5}],
        "empty.json": [],
        "dataset.json": {"images": [], "annotations": []},
    }
    for name, content in cases.items():
        (tmp_path / name).write_text(json.dumps(content))
    (tmp_path / "broken.json").write_text("not JSON")
    got = {n: detect_predictions_format(str(tmp_path / n)) for n in [*cases, "broken.json"]}
    assert got == {"vis.json": "vis", "late.json": "vis", "coco.json": "coco",
                   "empty.json": "coco", "dataset.json": "coco", "broken.json": "coco"}  # fmt: skip


def test_tao_per_frame_results_are_boxes_on_the_frames_their_image_ids_name(
    tmp_path: Path,
) -> None:
    """TAO's results are per frame (``image_id``, ``bbox``, ``track_id``), told from COCO
    results by their ``track_id``: each box lands on the frame whose TAO image id it names,
    one track per (video, track_id); an image the dataset lacks is an unmatched prediction."""
    written = write_tao(tmp_path / "tao", seed=4)
    data = json.loads(written.path.read_text())
    results = [{"image_id": a["image_id"], "category_id": a["category_id"], "bbox": a["bbox"],
                "score": 0.8, "track_id": a["track_id"], "video_id": a["video_id"]}
               for a in data["annotations"]]  # fmt: skip
    results.append({**results[0], "image_id": 999999})
    path = tmp_path / "tao_results.json"
    path.write_text(json.dumps(results))
    assert detect_predictions_format(str(path)) == "vis"
    with Catalog(tmp_path / "vl") as catalog:
        ingest(catalog, "tao", written.path)
        summary = ingest_predictions(catalog, "tao", "m", path, **prediction_maps(catalog, "tao"))
        got = _rows(
            catalog,
            "SELECT v.name, f.frame_number, a.x, a.y, a.w, a.h, a.track_id FROM annotations a "
            "JOIN video_frames f USING (sample_id) JOIN videos v "
            "ON v.dataset_id = f.dataset_id AND v.video_id = f.video_id WHERE a.source = 'm'",
        )
    report = summary.to_dict()
    assert report["predictions"] == len(results) - 1 and report["errors"] == []
    assert "999999" in str(report["warnings"])
    expected = {(written.names[o.video], o.frame, *o.box): o.track for o in written.objects}
    assert {r[:6] for r in got} == set(expected)
    # one predicted track per written track, and each holds that track's boxes only
    pairs = {(r[6], expected[r[:6]]) for r in got}
    assert len(pairs) == len({p[0] for p in pairs}) == len({p[1] for p in pairs}) == 4


def test_per_frame_results_on_frames_without_image_ids_are_refused(tmp_path: Path) -> None:
    """YouTube-VIS frames have no image ids: TAO-style results on them are a report row."""
    written = write_youtube_vis(tmp_path / "vis", {5: 3}, tracks=1, seed=1)
    path = tmp_path / "results.json"
    result = {"image_id": 1, "category_id": 1, "bbox": [1, 1, 4, 4], "score": 0.5, "track_id": 1}
    path.write_text(json.dumps([result]))
    with Catalog(tmp_path / "vl") as catalog:
        ingest(catalog, "yv", written.path, fmt="vis")
        maps = prediction_maps(catalog, "yv")
        assert maps["frames"] is None
        with pytest.raises(IngestError, match="vis_per_frame_result: .* no image ids"):
            ingest_predictions(catalog, "yv", "m", path, **maps)


def test_bad_vis_input_gets_report_rows_and_the_rest_ingests(tmp_path: Path) -> None:
    written = write_youtube_vis(tmp_path / "vis", {5: 4, 9: 3}, tracks=4, seed=7)
    (tmp_path / "vis" / "JPEGImages" / written.videos[9][1]).unlink()  # a frame not on disk
    document = json.loads(written.path.read_text())
    document["videos"][0]["length"] = 40
    box = [1.0, 1.0, 3.0, 3.0]
    planted = [
        {"id": 900, "video_id": 404, "category_id": 1, "bboxes": [box]},  # no such video
        {"id": 901, "video_id": 5, "category_id": 55, "bboxes": [box]},  # no such class
        # past the video's 4 frames: the fifth entry is not ingested, the first is
        {"id": 902, "video_id": 5, "category_id": 1, "bboxes": [box, None, None, None, box]},
        # the same track (annotation id 902) again: on frame 1 twice, frame 2 once
        {"id": 902, "video_id": 5, "category_id": 1, "bboxes": [box, box]},
        # an unreadable box without a mask; a mask that is no COCO mask (its box kept)
        {"id": 903, "video_id": 9, "category_id": 7, "bboxes": [[1, 2, "a", 4]]},
        {"id": 904, "video_id": 9, "category_id": 7, "bboxes": [box], "segmentations": [{"x": 1}]},
    ]
    document["annotations"] += planted
    written.path.write_text(json.dumps(document))
    with Catalog(tmp_path / "vl") as catalog:
        summary = ingest(catalog, "yv", written.path, fmt="vis").to_dict()
        missing = _report(summary, "vis_frame_missing")
        assert missing["count"] == 1 and written.videos[9][1] in missing["examples"][0]
        assert "length 40, 4 frames" in _report(summary, "vis_length_mismatch")["examples"][0]
        assert "404" in _report(summary, "vis_unknown_video")["examples"][0]
        assert "55" in _report(summary, "vis_unknown_category")["examples"][0]
        past = _report(summary, "vis_frame_out_of_range")
        assert past["count"] == 1 and "5 entries, 4 frames" in past["examples"][0]
        repeated = _report(summary, "vis_track_repeated_on_frame")
        assert repeated["examples"] == ["annotation id=902 frame 1"]
        assert "'a'" in _report(summary, "vis_bad_box")["examples"][0]
        assert "id=904 frame 1" in _report(summary, "vis_bad_segmentation")["examples"][0]
        # the rest: the written objects, 902 on frames 1 and 2, 904's box
        assert summary["annotations"] == len(written.objects) + 3
        assert (summary["videos"], summary["frames"]) == (2, 7)  # the missing frame kept
        kept = _rows(
            catalog,
            "SELECT source_ann_id, count(DISTINCT track_id), count(*), "
            "count(segmentation) FROM annotations WHERE source_ann_id IN ('902', '904') "
            "GROUP BY 1 ORDER BY 1",
        )
        assert kept == [("902", 1, 2, 0), ("904", 1, 1, 0)]


def test_a_tao_track_twice_on_a_frame_and_unknown_images_are_report_rows(tmp_path: Path) -> None:
    written = write_tao(tmp_path / "tao", seed=8)
    document = json.loads(written.path.read_text())
    first = next(a for a in document["annotations"])
    again = {**first, "id": 5000, "bbox": [0.0, 0.0, 2.0, 2.0]}  # its track on its frame again
    lost = {**first, "id": 5001, "image_id": 424242}
    # the class from the tracks table; a track the table lacks (kept)
    classless = {k: v for k, v in first.items() if k != "category_id"}
    classless.update(
        id=5002,
        track_id=9999,
        image_id=next(i["id"] for i in document["images"] if i["id"] != first["image_id"]),
    )
    unlisted = {**classless, "id": 5003, "track_id": 8888, "category_id": 2}
    document["tracks"].append({"id": 9999, "category_id": 2, "video_id": first["video_id"]})
    document["annotations"] += [again, lost, classless, unlisted]
    document["images"].append({"id": 77, "video_id": 31337, "file_name": "x/1.jpg"})
    written.path.write_text(json.dumps(document))
    with Catalog(tmp_path / "vl") as catalog:
        summary = ingest(catalog, "tao", written.path, fmt="vis").to_dict()
        assert _report(summary, "vis_track_repeated_on_frame")["examples"] == ["annotation id=5000"]
        assert "424242" in _report(summary, "vis_unknown_image")["examples"][0]
        assert "31337" in _report(summary, "vis_unknown_video")["examples"][0]
        assert "8888" in _report(summary, "vis_unknown_track")["examples"][0]
        assert summary["annotations"] == len(written.objects) + 2
        added = _rows(
            catalog,
            "SELECT source_ann_id, label FROM annotations WHERE source_ann_id IN "
            "('5002', '5003') ORDER BY 1",
        )
        assert added == [("5002", "car"), ("5003", "car")]
        with catalog.cursor() as cur:
            cur.execute("DELETE FROM annotations WHERE source_ann_id IN ('5002', '5003')")
        _check_objects(catalog, written)  # the first object of the track kept as written


def test_a_file_that_is_not_vis_json_is_refused_clearly(tmp_path: Path) -> None:
    coco = tmp_path / "coco.json"
    coco.write_text(json.dumps({"images": [], "annotations": [], "categories": []}))
    assert detect_dataset_format(str(coco)) == "coco"
    with Catalog(tmp_path / "vl") as catalog, pytest.raises(Exception, match="not YouTube-VIS"):
        ingest(catalog, "x", coco, fmt="vis")


def test_a_split_without_annotations_ingests_its_videos_frames(tmp_path: Path) -> None:
    # YouTube-VIS' valid.json and test.json as released: videos and categories, no
    # 'annotations' key (the labels are withheld), yet its frames are what one predicts on
    written = write_youtube_vis(tmp_path / "ytvis", {1: 3, 2: 2}, tracks=0)
    document = json.loads(written.path.read_text())
    del document["annotations"]
    valid = written.path.with_name("valid.json")
    valid.write_text(json.dumps(document))
    written.path.unlink()
    assert detect_dataset_format(str(valid.parent)) == "vis"
    with Catalog(tmp_path / "vl") as catalog:
        summary = ingest(catalog, "valid", valid.parent).to_dict()
        names = _rows(catalog, "SELECT name, num_frames FROM videos ORDER BY video_id")
    assert summary["errors"] == [] and summary["annotations"] == 0
    assert summary["samples"] == 5 and names == [("v001", 3), ("v002", 2)]
