"""Image labels and keypoints through a real Label Studio (issue #51): a sample's image labels
go as a ``Choices`` result and come back as ``classify`` / ``unclassify``; a keypoint
object's points go as ``KeyPointLabels`` regions ``vl-<id>-<k>`` and come back, moved,
removed or drawn, as one ``keypoints`` operation per object; all applied as one undoable
batch, a change made in VisionLens since the send a conflict, an unknown image label or a
malformed point a skipped row."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from visionlens_jlab.catalog import Catalog
from visionlens_jlab.edits import apply_edits
from visionlens_jlab.export.view import read_view
from visionlens_jlab.labelstudio import LabelStudioClient
from visionlens_jlab.labelstudio.changes import read_changes
from visionlens_jlab.labelstudio.image_labels import choices_config, offered_choices
from visionlens_jlab.labelstudio.tasks import build_tasks, offered_point_names

from .evaluate_fixtures import ingest_predictions
from .labelstudio_fixtures import LabelStudioServer
from .test_labelstudio import annotate, cli

pytestmark = pytest.mark.timeout(900)
W, H = 200, 100
NAMES = ["nose", "left_eye", "right_eye"]
A_POINTS = [40.0, 20.0, 2.0, 50.0, 30.0, 2.0, 60.0, 30.0, 1.0]
B_POINTS = [140.0, 20.0, 2.0, 150.0, 30.0, 2.0, 0.0, 0.0, 0.0]
IMAGE_TWO = {"sample": {"file_name": {"contains": "two"}}}


def people_data(tmp_path: Path) -> tuple[Path, dict[str, int]]:
    """A COCO dataset ``people``: image 1 (200x100) with persons A and B (keypoints; B's
    right eye unlabelled) and a cat, image labels ``indoor``; image 2 (200x100), labels
    ``indoor`` and ``night`` (a multi-label sample). The data folder and the ids."""
    from PIL import Image

    from visionlens_jlab.catalog.writes.dataset_writer import write_dataset
    from visionlens_jlab.ingest.open import open_dataset

    root = tmp_path / "coco"
    (root / "images").mkdir(parents=True)
    for name in ("one.png", "two.png"):
        Image.new("RGB", (W, H), "gray").save(root / "images" / name)
    person = {"category_id": 1, "image_id": 1, "iscrowd": 0, "area": 1000.0}
    doc = {
        "images": [{"id": 1, "file_name": "one.png", "width": W, "height": H},
                   {"id": 2, "file_name": "two.png", "width": W, "height": H}],
        "categories": [{"id": 1, "name": "person", "keypoints": NAMES,
                        "skeleton": [[1, 2], [1, 3]]}, {"id": 2, "name": "cat"}],
        "annotations": [
            {**person, "id": 1, "bbox": [30.0, 10.0, 40.0, 40.0], "keypoints": A_POINTS,
             "num_keypoints": 3},
            {**person, "id": 2, "bbox": [130.0, 10.0, 40.0, 40.0], "keypoints": B_POINTS,
             "num_keypoints": 2},
            {"id": 3, "image_id": 2, "category_id": 2, "bbox": [5.0, 5.0, 20.0, 20.0],
             "iscrowd": 0, "area": 400.0},
        ],
    }  # fmt: skip
    (root / "annotations.json").write_text(json.dumps(doc))
    data = tmp_path / "data"
    with Catalog(data) as catalog:
        write_dataset(catalog, "people", open_dataset(str(root / "annotations.json")))
        ids = {r[0]: r[1] for r in rows(catalog)["objects"]}
        samples = sorted({r[2] for r in rows(catalog)["objects"]})
        apply_edits(catalog, "people", [
            {"op": "classify", "sample_id": samples[0], "label": "indoor"},
            {"op": "classify", "sample_id": samples[1], "labels": ["indoor", "night"]},
        ], "t")  # fmt: skip
    keys = {"A": ids["A"], "B": ids["B"], "one": samples[0], "two": samples[1]}
    return data, keys


def rows(catalog: Catalog) -> dict[str, list[tuple[Any, ...]]]:
    """The ground truth's objects (``A``/``B``/the cat by their first point, their id,
    sample, keypoints) and image-label rows, sorted."""
    with catalog.cursor() as cur:
        objects = cur.execute(
            "SELECT ann_id, sample_id, label, keypoints, num_keypoints FROM annotations "
            "WHERE source = 'ground_truth' ORDER BY ann_id"
        ).fetchall()
        labels = cur.execute(
            "SELECT sample_id, label, score FROM classifications "
            "WHERE source = 'ground_truth' ORDER BY sample_id, label"
        ).fetchall()
    named = []
    for ann, sample, label, points, count in objects:
        name = "cat" if points is None else ("A" if points[0] < 100 else "B")
        named.append((name, ann, sample, label, points, count))
    return {"objects": named, "labels": labels}


def snapshot(data: Path) -> dict[str, list[tuple[Any, ...]]]:
    with Catalog(data) as catalog:
        return rows(catalog)


def test_image_labels_and_keypoints_go_round_and_undo_takes_them_back(
    label_studio: LabelStudioServer, tmp_path: Path
) -> None:
    data, ids = people_data(tmp_path)
    before = snapshot(data)
    sent = cli(data, label_studio, "labelstudio-send", "people", "--server-url", "http://h/")
    project = sent["project"]
    client = LabelStudioClient(label_studio.url, label_studio.token)
    config = client.project(project)["label_config"]
    assert '<Choices name="image_labels" toName="image" choice="multiple"' in config
    assert '<Choice value="indoor"/>' in config and '<Choice value="night"/>' in config
    assert all(f'<Label value="{n}"/>' in config for n in NAMES)
    tasks = {t["data"]["visionlens"]["sample_id"]: t for t in client.tasks(project)}
    result = {r["id"]: r for r in tasks[ids["one"]]["annotations"][0]["result"]}
    a, b = ids["A"], ids["B"]
    # every labelled point (A's hidden right eye too), none of B's unlabelled one
    points = sorted(k for k, r in result.items() if r["type"] == "keypointlabels")
    assert points == sorted([f"vl-{a}-0", f"vl-{a}-1", f"vl-{a}-2", f"vl-{b}-0", f"vl-{b}-1"])
    nose = result[f"vl-{a}-0"]
    assert nose["type"] == "keypointlabels" and nose["value"]["keypointlabels"] == ["nose"]
    assert (nose["value"]["x"], nose["value"]["y"]) == pytest.approx((20.0, 20.0))
    choices = [r["value"]["choices"] for r in result.values() if r["type"] == "choices"]
    assert choices == [["indoor"]]
    annotate(label_studio, project, [
        {"sample_id": ids["one"], "choose": ["indoor", "night"]},
        {"sample_id": ids["two"], "choose": []},
        {"sample_id": ids["one"], "move": f"vl-{a}-0", "dx": 5.0},  # 10 px right
        {"sample_id": ids["one"], "delete": f"vl-{a}-1"},
        {"sample_id": ids["one"], "keypoint": {"x": 80.0, "y": 40.0}, "name": "right_eye"},
    ])  # fmt: skip
    pulled = cli(data, label_studio, "labelstudio-pull", "people", "--project", str(project))
    assert pulled["edits"] == {"added": 0, "deleted": 0, "relabelled": 0, "moved": 0,
                               "reshaped": 0, "keypoints_changed": 2, "classified": 1,
                               "unclassified": 1}  # fmt: skip
    assert pulled["skipped"] == [] and pulled["applied"] == 0
    assert snapshot(data) == before
    applied = cli(data, label_studio, "labelstudio-pull", "people", "--project", str(project),
                  "--apply")  # fmt: skip
    assert applied["applied"] == 4 and applied["batch"] is not None
    after = snapshot(data)
    by_name = {o[0]: o for o in after["objects"]}
    # A: the nose 10 px right, the left eye removed, the hidden right eye kept hidden
    assert by_name["A"][4] == [50.0, 20.0, 2.0, 0.0, 0.0, 0.0, 60.0, 30.0, 1.0]
    assert by_name["A"][5] == 2
    # B: the right eye drawn inside its box, visible
    assert by_name["B"][4] == [140.0, 20.0, 2.0, 150.0, 30.0, 2.0, 160.0, 40.0, 2.0]
    assert by_name["B"][5] == 3
    assert after["labels"] == [(ids["one"], "indoor", None), (ids["one"], "night", None)]
    again = cli(data, label_studio, "labelstudio-pull", "people", "--project", str(project))
    assert sum(again["edits"].values()) == 0  # applied once, nothing left to take
    cli(data, label_studio, "undo", "people")
    assert snapshot(data) == before


def test_a_box_drawn_with_its_points_is_a_new_keypoint_object(
    label_studio: LabelStudioServer, tmp_path: Path
) -> None:
    data, ids = people_data(tmp_path)
    before = snapshot(data)
    # image two alone, which holds no person: no point is sent, yet the config offers the
    # person's point names (the dataset's keypoint classes), and the pull names them
    sent = cli(data, label_studio, "labelstudio-send", "people", "--server-url", "http://h/",
               "--filter", json.dumps(IMAGE_TWO))  # fmt: skip
    project = sent["project"]
    client = LabelStudioClient(label_studio.url, label_studio.token)
    config = client.project(project)["label_config"]
    assert all(f'<Label value="{n}"/>' in config for n in NAMES)
    assert sent["tasks"] == 1
    annotate(label_studio, project, [
        {"sample_id": ids["two"], "add": {"x": 50.0, "y": 10.0, "width": 40.0, "height": 60.0},
         "label": "person", "id": "drawn-person"},
        {"sample_id": ids["two"], "keypoint": {"x": 60.0, "y": 20.0}, "name": "nose",
         "parent": "drawn-person"},
        {"sample_id": ids["two"], "keypoint": {"x": 70.0, "y": 30.0}, "name": "right_eye"},
    ])  # fmt: skip
    applied = cli(data, label_studio, "labelstudio-pull", "people", "--project", str(project),
                  "--apply")  # fmt: skip
    assert applied["skipped"] == [] and applied["edits"]["added"] == 1
    assert applied["edits"]["keypoints_changed"] == 0
    (add,) = applied["operations"]
    assert add["label"] == "person" and add["bbox"] == pytest.approx([100.0, 10.0, 80.0, 60.0])
    assert add["keypoints"] == pytest.approx([120.0, 20.0, 2.0, 0, 0, 0, 140.0, 30.0, 2.0])
    after = snapshot(data)
    (new,) = [o for o in after["objects"] if o[1] not in {o[1] for o in before["objects"]}]
    assert new[2] == ids["two"] and new[3] == "person" and new[5] == 2
    assert new[4] == pytest.approx(add["keypoints"])
    again = cli(data, label_studio, "labelstudio-pull", "people", "--project", str(project))
    assert sum(again["edits"].values()) == 0
    cli(data, label_studio, "undo", "people")
    assert snapshot(data) == before


def test_a_models_points_go_as_its_prediction_and_every_keypoint_class_is_offered(
    tmp_path: Path,
) -> None:
    data, ids = people_data(tmp_path)
    guess = {"image_id": 1, "category_id": 1, "bbox": [32.0, 12.0, 40.0, 40.0], "score": 0.9,
             "keypoints": [45.0, 22.0, 2.0, 0.0, 0.0, 0.0, 61.0, 31.0, 1.0]}  # fmt: skip
    (tmp_path / "kp.json").write_text(json.dumps([guess]))
    with Catalog(data) as catalog:
        ingest_predictions(catalog, "people", "kp", tmp_path / "kp.json", "coco")
        with catalog.cursor() as cur:
            [(pid,)] = cur.execute("SELECT ann_id FROM annotations WHERE source = 'kp'").fetchall()
        truth = read_view(catalog, "people", None)
        tasks = build_tasks("http://h/", truth, read_view(catalog, "people", None, source="kp"))
        skeletons = catalog.get_dataset("people")["category_keypoints"]
        alone = read_view(catalog, "people", IMAGE_TWO)
        offered = offered_point_names(build_tasks("http://h/", alone, None), skeletons,
                                      alone.class_names)  # fmt: skip
    (one,) = [t for t in tasks if t["data"]["visionlens"]["sample_id"] == ids["one"]]
    shown = {r["id"]: r for r in one["predictions"][0]["result"]}
    # the box and its labelled points (not the unlabelled left eye), named, in percent
    assert sorted(shown) == sorted([f"p{pid}", f"p{pid}-0", f"p{pid}-2"])
    nose, eye = shown[f"p{pid}-0"]["value"], shown[f"p{pid}-2"]["value"]
    assert (nose["keypointlabels"], eye["keypointlabels"]) == (["nose"], ["right_eye"])
    assert (nose["x"], nose["y"], eye["x"], eye["y"]) == pytest.approx((22.5, 22.0, 30.5, 31.0))
    # the ground truth's points keep their own ids, which come back
    assert {r["id"] for r in one["annotations"][0]["result"]} >= {f"vl-{ids['A']}-0"}
    # a view whose samples hold no keypoint object still offers the classes' point names
    assert offered == NAMES


def test_changes_made_in_visionlens_since_the_send_are_conflicts_and_bad_results_listed(
    label_studio: LabelStudioServer, tmp_path: Path
) -> None:
    data, ids = people_data(tmp_path)
    sent = cli(data, label_studio, "labelstudio-send", "people", "--server-url", "http://h/")
    project, a = sent["project"], ids["A"]
    annotate(label_studio, project, [
        {"sample_id": ids["one"], "move": f"vl-{a}-0", "dx": 5.0},
        {"sample_id": ids["two"], "choose": ["night"]},
    ])  # fmt: skip
    dragged = [41.0, 20.0, 2.0, *A_POINTS[3:]]
    with Catalog(data) as catalog:
        apply_edits(catalog, "people", [{"op": "keypoints", "annotation_id": a,
                                         "keypoints": dragged}], "someone")  # fmt: skip
    edited = snapshot(data)
    failed = cli(data, label_studio, "labelstudio-pull", "people", "--project", str(project),
                 "--apply", code=1)  # fmt: skip
    (error,) = failed["errors"]
    assert "conflict" in error["message"] and f"object {a}" in error["message"]
    assert snapshot(data) == edited
    with Catalog(data) as catalog:  # the points back as sent, the image labels changed
        apply_edits(catalog, "people", [
            {"op": "keypoints", "annotation_id": a, "keypoints": A_POINTS},
            {"op": "classify", "sample_id": ids["two"], "label": "indoor"},
        ], "someone")  # fmt: skip
    edited = snapshot(data)
    failed = cli(data, label_studio, "labelstudio-pull", "people", "--project", str(project),
                 "--apply", code=1)  # fmt: skip
    (error,) = failed["errors"]
    assert "conflict" in error["message"] and "image labels" in error["message"]
    assert snapshot(data) == edited
    # an image label the dataset does not have: listed, nothing of that sample proposed
    annotate(label_studio, project, [{"sample_id": ids["two"], "choose": ["zebra"]}])
    listed = cli(data, label_studio, "labelstudio-pull", "people", "--project", str(project))
    assert [s["reason"] for s in listed["skipped"]] == [
        "image labels ['zebra'] are not image-label classes of the dataset"
    ]
    assert [op["op"] for op in listed["operations"]] == ["keypoints"]


def test_drawn_points_join_the_one_object_that_lacks_them_and_bad_points_are_listed() -> None:
    box = [0.0, 0.0, 100.0, 100.0]
    sent: dict[str, Any] = {"dataset": "d", "sample_id": 5, "width": W, "height": H,
                            "image_labels": ["a"],
            "keypoint_names": {"person": NAMES},
            "sent": {"7": {"label": "person", "bbox": box, "shaped": True,
                           "keypoints": [10.0, 10.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]},
                     "8": {"label": "person", "bbox": box, "shaped": True,
                           "keypoints": [20.0, 20.0, 2.0, 30.0, 30.0, 2.0, 0.0, 0.0, 0.0]}}}  # fmt: skip

    def point(rid: str, name: str, x: float, y: float | None = 10.0) -> dict[str, Any]:
        value = {"x": x, "keypointlabels": [name]} | ({} if y is None else {"y": y})
        return {"id": rid, "from_name": "keypoint", "type": "keypointlabels", "value": value}

    result = [
        {"id": "vl-7", "from_name": "label", "type": "rectanglelabels",
         "value": {"x": 0.0, "y": 0.0, "width": 50.0, "height": 100.0,
                   "rectanglelabels": ["person"]}},
        {"id": "vl-8", "from_name": "label", "type": "rectanglelabels",
         "value": {"x": 0.0, "y": 0.0, "width": 50.0, "height": 100.0,
                   "rectanglelabels": ["person"]}},
        point("vl-7-0", "nose", 5.0), point("vl-8-0", "nose", 10.0, 20.0),
        point("vl-8-1", "left_eye", 15.0, 30.0),
        point("new-1", "left_eye", 20.0),  # only object 7 lacks a left eye
        point("new-2", "right_eye", 25.0),  # both lack one: which?
        point("new-3", "right_eye", 30.0, None),  # no y
        {"id": "c", "from_name": "image_labels", "type": "choices", "value": {"choices": "a"}},
    ]  # fmt: skip
    task = {"id": 1, "data": {"visionlens": sent},
            "annotations": [{"id": 1, "updated_at": "2026-01-01", "result": result}]}  # fmt: skip
    changes = read_changes("d", [task], {"a", "b"})
    (op,) = changes.operations
    assert op == {"op": "keypoints", "annotation_id": 7,
                  "keypoints": [10.0, 10.0, 2.0, 40.0, 10.0, 2.0, 0.0, 0.0, 0.0],
                  "expected": {"keypoints": [10.0, 10.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]}}  # fmt: skip
    assert {s["region"]: s["reason"] for s in changes.skipped} == {
        "new-2": "a point 'right_eye' inside 2 keypoint objects that lack it: which one?",
        "new-3": "a keypoint without x and y",
        "c": "image labels that are not a list of class names",
    }
    # a new person's points: by its region (parentID), else inside its box; a new cat (no
    # keypoints) takes none, and a point no object lacks is listed
    drawn = [
        {"id": "p1", "from_name": "label", "type": "rectanglelabels",
         "value": {"x": 55.0, "y": 50.0, "width": 40.0, "height": 40.0,
                   "rectanglelabels": ["person"]}},
        {"id": "c1", "from_name": "label", "type": "rectanglelabels",
         "value": {"x": 60.0, "y": 0.0, "width": 10.0, "height": 10.0,
                   "rectanglelabels": ["cat"]}},
        {**point("new-4", "left_eye", 5.0, 5.0), "parentID": "p1"},
        point("new-5", "nose", 60.0, 60.0),
        point("new-6", "nose", 62.0, 5.0),  # inside the cat only
    ]  # fmt: skip
    task = {"id": 1, "data": {"visionlens": sent},
            "annotations": [{"id": 1, "updated_at": "2026-01-01",
                             "result": [*result[:5], *drawn]}]}  # fmt: skip
    changes = read_changes("d", [task], None, {"person": NAMES})
    adds = [op for op in changes.operations if op["op"] == "add"]
    assert [a["label"] for a in adds] == ["person", "cat"] and "keypoints" not in adds[1]
    assert adds[0]["keypoints"] == [120.0, 60.0, 2.0, 10.0, 5.0, 2.0, 0.0, 0.0, 0.0]
    assert [s["region"] for s in changes.skipped] == ["new-6"]
    # the choices a project offers, read back from its config: names stay text
    names = ['a"b', "c'd", "both\"'", "x&<y>", "new\nline", "plain"]
    assert offered_choices(choices_config(names, True)) == set(names)
