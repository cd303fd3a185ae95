"""The Label Studio round trip against a real Label Studio server started here: a view sent
as a project (ground truth as annotations, a model's objects as predictions, images served
by VisionLens), an annotator's work through ``label-studio-sdk``, and that work back as
label edits, through the CLI without a server and through the REST API of a running one."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import urllib.parse
from pathlib import Path
from typing import Any

import pytest

from visionlens_jlab.catalog import Catalog
from visionlens_jlab.edits import apply_edits
from visionlens_jlab.labelstudio import LabelStudioClient
from visionlens_jlab.labelstudio.changes import read_changes

from .labelstudio_fixtures import LabelStudioServer
from .notebook_fixtures import running_kernel
from .test_edits_server import write_toy

pytestmark = pytest.mark.timeout(900)
MODEL = "m1"


def truth(catalog: Catalog, dataset: str) -> dict[int, tuple[int, str, list[float]]]:
    """Every ground-truth object: id to (sample, class, box)."""
    with catalog.cursor() as cur:
        rows = cur.execute(
            "SELECT a.ann_id, a.sample_id, a.label, a.x, a.y, a.w, a.h FROM annotations a "
            "JOIN datasets d USING (dataset_id) WHERE d.name = ? AND a.source = 'ground_truth'",
            [dataset],
        ).fetchall()
    return {r[0]: (r[1], r[2], [r[3], r[4], r[5], r[6]]) for r in rows}


def cli(data: Path, server: LabelStudioServer, *argv: str, code: int = 0) -> Any:
    """``visionlens ARGV --json`` in a new process, Label Studio's URL and token in the
    environment."""
    env = {**os.environ, "LABEL_STUDIO_API_KEY": server.token, "LABEL_STUDIO_URL": server.url}
    done = subprocess.run(
        [sys.executable, "-m", "visionlens_jlab.cli", *argv, "--data-dir", str(data), "--json"],
        capture_output=True, text=True, check=False, timeout=300, env=env,
    )  # fmt: skip
    assert done.returncode == code, done.stderr + done.stdout
    return json.loads(done.stdout)


def annotate(server: LabelStudioServer, project: int, changes: list[dict[str, Any]]) -> None:
    """The annotator's changes, made with the SDK in Label Studio's own interpreter."""
    script = Path(__file__).with_name("labelstudio_annotator.py")
    done = subprocess.run(
        [server.python, str(script), server.url, server.token, str(project)],
        input=json.dumps(changes), capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def regions(server: LabelStudioServer, project: int) -> dict[int, list[tuple[str, list[float]]]]:
    """Each sample's rectangles in the latest annotation, in pixels (read independently of
    the round trip's own reader)."""
    out: dict[int, list[tuple[str, list[float]]]] = {}
    for task in LabelStudioClient(server.url, server.token).tasks(project):
        sent = task["data"]["visionlens"]
        latest = max(task["annotations"], key=lambda a: a["updated_at"])
        w, h = sent["width"], sent["height"]
        out[sent["sample_id"]] = sorted(
            (r["value"]["rectanglelabels"][0],
             [r["value"]["x"] * w / 100, r["value"]["y"] * h / 100,
              r["value"]["width"] * w / 100, r["value"]["height"] * h / 100])
            for r in latest["result"]
        )  # fmt: skip
    return out


def by_sample(objects: dict[int, tuple[int, str, list[float]]]) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = {}
    for sample, label, box in objects.values():
        out.setdefault(sample, []).append((label, box))
    return {s: sorted(v) for s, v in out.items()}


def assert_same(a: dict[int, list[Any]], b: dict[int, list[Any]]) -> None:
    """The same classes and boxes (to 1e-9 px) on the same samples."""
    assert sorted(s for s, v in a.items() if v) == sorted(s for s, v in b.items() if v)
    for sample in a:
        left, right = a[sample], b.get(sample, [])
        assert [label for label, _ in left] == [label for label, _ in right], sample
        for (_, x), (_, y) in zip(left, right, strict=True):
            assert x == pytest.approx(y, abs=1e-9), sample


def toy_data(tmp_path: Path) -> tuple[Path, dict[int, tuple[int, str, list[float]]]]:
    """A data folder holding the toy dataset (with model m1), and its ground truth."""
    data = tmp_path / "data"
    with Catalog(data) as catalog:
        write_toy(catalog, "toy")
        return data, truth(catalog, "toy")


def test_cli_round_trip_applies_the_annotators_work_and_undo_takes_it_back(
    label_studio: LabelStudioServer, tmp_path: Path
) -> None:
    data, before = toy_data(tmp_path)
    sent = cli(data, label_studio, "labelstudio-send", "toy", "--model", MODEL,
               "--server-url", "http://127.0.0.1:8888/lab-base/")  # fmt: skip
    assert sent["tasks"] == 6 and sent["objects"] == len(before)
    project = sent["project"]
    tasks = LabelStudioClient(label_studio.url, label_studio.token).tasks(project)
    for task in tasks:
        sample = task["data"]["visionlens"]["sample_id"]
        path = urllib.parse.urlsplit(task["data"]["image"]).path
        assert path == f"/lab-base/visionlens/api/datasets/toy/samples/{sample}/image"
        ids = sorted(r["id"] for r in task["annotations"][0]["result"])
        assert ids == sorted(f"vl-{a}" for a, o in before.items() if o[0] == sample)
        assert task["predictions"][0]["model_version"] == MODEL
    assert_same(regions(label_studio, project), by_sample(before))
    cat, dog, *_ = sorted(
        a for a, o in before.items() if o[0] == min(o[0] for o in before.values())
    )
    lone = next(a for a, o in before.items() if o[1] == "cat" and o[0] != before[cat][0])
    hostile = next(o[1] for o in before.values() if '"' in o[1])
    changes = [
        {"sample_id": before[cat][0], "move": f"vl-{cat}", "dx": 2.5},
        {"sample_id": before[dog][0], "relabel": f"vl-{dog}", "label": hostile},
        {"sample_id": before[lone][0], "delete": f"vl-{lone}"},
        {"sample_id": before[lone][0], "add": {"x": 10, "y": 20, "width": 30, "height": 5},
         "label": "person"},
    ]  # fmt: skip
    annotate(label_studio, project, changes)
    pulled = cli(data, label_studio, "labelstudio-pull", "toy", "--project", str(project))
    assert pulled["edits"] == {"added": 1, "deleted": 1, "relabelled": 1, "moved": 1,
                               "reshaped": 0, "keypoints_changed": 0, "classified": 0,
                               "unclassified": 0}  # fmt: skip
    assert pulled["applied"] == 0 and pulled["tasks"] == 6 and pulled["skipped"] == []
    with Catalog(data) as catalog:
        assert truth(catalog, "toy") == before  # a diff to accept: nothing written yet
    applied = cli(data, label_studio, "labelstudio-pull", "toy", "--project", str(project),
                  "--apply")  # fmt: skip
    assert applied["applied"] == 4 and applied["batch"] is not None
    with Catalog(data) as catalog:
        after = truth(catalog, "toy")
    assert_same(by_sample(after), regions(label_studio, project))
    assert after[cat][2][1:] == before[cat][2][1:]  # only x moved: no float noise elsewhere
    assert after[dog][1] == hostile
    again = cli(data, label_studio, "labelstudio-pull", "toy", "--project", str(project))
    assert sum(again["edits"].values()) == 0  # applied once, nothing left to take
    cli(data, label_studio, "undo", "toy")
    with Catalog(data) as catalog:
        assert truth(catalog, "toy") == before


def test_an_object_edited_in_visionlens_since_the_send_is_a_conflict_not_overwritten(
    label_studio: LabelStudioServer, tmp_path: Path
) -> None:
    data, before = toy_data(tmp_path)
    sent = cli(data, label_studio, "labelstudio-send", "toy", "--server-url", "http://h/")
    ann = min(before)
    with Catalog(data) as catalog:
        apply_edits(catalog, "toy", [{"op": "move", "annotation_id": ann, "bbox": [1, 2, 3, 4]}],
                    "someone")  # fmt: skip
        edited = truth(catalog, "toy")
    annotate(label_studio, sent["project"], [{"sample_id": before[ann][0], "move": f"vl-{ann}",
                                              "dx": 1.0}])  # fmt: skip
    failed = cli(data, label_studio, "labelstudio-pull", "toy", "--project",
                 str(sent["project"]), "--apply", code=1)  # fmt: skip
    (error,) = failed["errors"]
    assert "conflict" in error["message"] and f"object {ann}" in error["message"]
    with Catalog(data) as catalog:
        assert truth(catalog, "toy") == edited


def shapes_data(tmp_path: Path) -> tuple[Path, int, int]:
    """A DOTA dataset ``aerial`` (a 200x100 image, one rotated box turned 30 degrees) with a
    polygon object added to it; its data folder and the two objects' ids."""
    from PIL import Image

    from visionlens_jlab.catalog.writes.dataset_writer import write_dataset
    from visionlens_jlab.ingest.open import open_dataset

    root = tmp_path / "dota"
    (root / "images").mkdir(parents=True)
    (root / "labelTxt").mkdir()
    Image.new("RGB", (200, 100), "gray").save(root / "images" / "P1.png")
    a = math.radians(30)
    corners = [(40.0, 20.0), (40 + 60 * math.cos(a), 20 + 60 * math.sin(a))]
    corners += [(corners[1][0] - 30 * math.sin(a), corners[1][1] + 30 * math.cos(a)),
                (40 - 30 * math.sin(a), 20 + 30 * math.cos(a))]  # fmt: skip
    text = " ".join(f"{c:.6f}" for p in corners for c in p)
    (root / "labelTxt" / "P1.txt").write_text(f"{text} plane 0\n")
    data = tmp_path / "data"
    with Catalog(data) as catalog:
        write_dataset(catalog, "aerial", open_dataset(str(root)))
        (box,) = truth(catalog, "aerial")
        (sample, _, _) = truth(catalog, "aerial")[box]
        ring = [[120.0, 10.0, 180.0, 20.0, 150.0, 80.0]]
        added = apply_edits(catalog, "aerial", [{"op": "add", "sample_id": sample,
                                                  "label": "plane", "segmentation": ring}], "t")  # fmt: skip
    return data, box, added["added"][0]


def shape_rows(data: Path) -> dict[int, tuple[Any, Any]]:
    """Each ground-truth object's rotated corners and mask text."""
    with Catalog(data) as catalog, catalog.cursor() as cur:
        rows = cur.execute("SELECT ann_id, obb, CAST(segmentation AS VARCHAR) FROM annotations "
                           "WHERE source = 'ground_truth'").fetchall()  # fmt: skip
    return {r[0]: (r[1], r[2]) for r in rows}


def test_rotated_boxes_and_polygons_go_to_label_studio_and_come_back_reshaped(
    label_studio: LabelStudioServer, tmp_path: Path
) -> None:
    data, box, polygon = shapes_data(tmp_path)
    before = shape_rows(data)
    sent = cli(data, label_studio, "labelstudio-send", "aerial", "--server-url", "http://h/")
    project = sent["project"]
    (task,) = LabelStudioClient(label_studio.url, label_studio.token).tasks(project)
    kinds = {r["id"]: (r["type"], r["value"]) for r in task["annotations"][0]["result"]}
    assert kinds[f"vl-{box}"][0] == "rectanglelabels"
    assert kinds[f"vl-{box}"][1]["rotation"] == pytest.approx(30.0)
    assert kinds[f"vl-{polygon}"][0] == "polygonlabels"
    annotate(label_studio, project, [
        {"sample_id": task["data"]["visionlens"]["sample_id"], "rotate": f"vl-{box}",
         "degrees": 15.0},
        {"sample_id": task["data"]["visionlens"]["sample_id"], "point": f"vl-{polygon}",
         "index": 2, "dx": 5.0},
        {"sample_id": task["data"]["visionlens"]["sample_id"],
         "polygon": [[5.0, 10.0], [20.0, 10.0], [10.0, 40.0]], "label": "plane"},
    ])  # fmt: skip
    pulled = cli(data, label_studio, "labelstudio-pull", "aerial", "--project", str(project),
                 "--apply")  # fmt: skip
    assert pulled["edits"] == {"added": 1, "deleted": 0, "relabelled": 0, "moved": 0,
                               "reshaped": 2, "keypoints_changed": 0, "classified": 0,
                               "unclassified": 0}  # fmt: skip
    assert pulled["skipped"] == [] and pulled["applied"] == 3
    after = shape_rows(data)
    # the rectangle as Label Studio holds it now, turned 45 degrees about its first corner
    value = next(r["value"] for t in LabelStudioClient(label_studio.url, label_studio.token)
                 .tasks(project) for r in t["annotations"][0]["result"] if r["id"] == f"vl-{box}")  # fmt: skip
    x, y = value["x"] * 2.0, value["y"] * 1.0  # percent of 200 x 100
    w, h, turn = value["width"] * 2.0, value["height"] * 1.0, math.radians(value["rotation"])
    assert value["rotation"] == pytest.approx(45.0)
    want = [x, y, x + w * math.cos(turn), y + w * math.sin(turn),
            x + w * math.cos(turn) - h * math.sin(turn), y + w * math.sin(turn) + h * math.cos(turn),
            x - h * math.sin(turn), y + h * math.cos(turn)]  # fmt: skip
    assert after[box][0] == pytest.approx(want, abs=1e-6)
    assert json.loads(after[polygon][1]) == [pytest.approx([120, 10, 180, 20, 160, 80])]
    (new,) = set(after) - set(before)
    assert json.loads(after[new][1]) == [pytest.approx([10, 10, 40, 10, 20, 40])]
    again = cli(data, label_studio, "labelstudio-pull", "aerial", "--project", str(project))
    assert sum(again["edits"].values()) == 0  # applied once, nothing left to take
    cli(data, label_studio, "undo", "aerial")
    assert shape_rows(data) == before


def test_a_fresh_annotation_keeps_the_objects_it_repeats_and_bad_regions_are_listed() -> None:
    sent = {"dataset": "d", "sample_id": 5, "width": 200, "height": 100,
            "sent": {"7": {"label": "cat", "bbox": [20.0, 10.0, 40.0, 30.0], "shaped": False},
                     "8": {"label": "dog", "bbox": [0.0, 0.0, 10.0, 10.0], "shaped": True}}}  # fmt: skip

    def rect(rid: str, label: str, x: float, rotation: float = 0.0) -> dict[str, Any]:
        return {"id": rid, "from_name": "label", "type": "rectanglelabels",
                "value": {"x": x, "y": 10.0, "width": 20.0, "height": 30.0,
                          "rotation": rotation, "rectanglelabels": [label]}}  # fmt: skip

    annotations = [
        {"id": 1, "updated_at": "2026-01-01", "result": []},
        {"id": 2, "updated_at": "2026-01-02", "was_cancelled": True, "result": []},
        {"id": 3, "updated_at": "2026-01-01T10", "result": [
            rect("fresh", "cat", 10.0),  # the same as object 7 under a new id
            rect("vl-8", "dog", 50.0),  # a box with a mask moved: listed, not edited
            rect("tilted", "cat", 60.0, rotation=15.0),  # a new rotated box
        ]},
    ]  # fmt: skip
    other = {"id": 99, "data": {"image": "x"}, "annotations": []}
    changes = read_changes(
        "d", [{"id": 1, "data": {"visionlens": sent}, "annotations": annotations}, other]
    )
    (added,) = changes.operations
    assert (added["op"], added["label"], len(added["obb"])) == ("add", "cat", 8)
    assert [s["region"] for s in changes.skipped if "region" in s] == ["vl-8"]
    assert [s["task"] for s in changes.skipped if "region" not in s] == [99]
    assert changes.tasks == 1 and changes.annotated == 1


@pytest.fixture
def toy(vl_app: Any, http_server_client: Any) -> str:
    write_toy(vl_app.catalog, "toy")
    return "toy"


async def test_rest_round_trip_serves_the_images_and_answers_what_went_wrong(
    api: Any, vl_app: Any, toy: str, label_studio: LabelStudioServer
) -> None:
    ls = {"url": label_studio.url, "token": label_studio.token}
    before = truth(vl_app.catalog, toy)
    status, sent = await api("POST", f"datasets/{toy}/labelstudio/projects",
                             {"label_studio": ls, "model": MODEL, "min_score": 0.5}, timeout=120)  # fmt: skip
    assert status == 201 and sent["tasks"] == 6, sent
    tasks = LabelStudioClient(label_studio.url, label_studio.token).tasks(sent["project"])
    scores = [r["score"] for t in tasks for r in t["predictions"][0]["result"]]
    assert scores and min(scores) >= 0.5
    image = urllib.parse.urlsplit(tasks[0]["data"]["image"]).path
    status, body = await api("GET", image.split("/visionlens/api/", 1)[1])
    assert status == 200 and body  # the image, with this Jupyter login
    ann = min(before)
    annotate(label_studio, sent["project"],
             [{"sample_id": before[ann][0], "relabel": f"vl-{ann}", "label": "person"}])  # fmt: skip
    pull = f"datasets/{toy}/labelstudio/projects/{sent['project']}/pull"
    status, pulled = await api("POST", pull, {"label_studio": ls, "apply": True}, timeout=120)
    assert status == 200 and pulled["applied"] == 1 and pulled["edits"]["relabelled"] == 1
    assert truth(vl_app.catalog, toy)[ann][1] == "person"
    status, log = await api("GET", f"datasets/{toy}/edits")
    assert [o["op"] for o in log["operations"]] == ["relabel"]
    wrong = {"url": label_studio.url, "token": "0" * 40}
    status, refused = await api("POST", pull, {"label_studio": wrong}, timeout=120)
    assert status == 502 and "refused the token" in refused["message"]
    empty = {"label_studio": ls, "filter": {"sample": {"split": {"in": ["nowhere"]}}}}
    status, nothing = await api("POST", f"datasets/{toy}/labelstudio/projects", empty)
    assert status == 400 and "selects no samples" in nothing["message"]
    status, _ = await api("POST", f"datasets/{toy}/labelstudio/projects", {"filter": None})
    assert status == 400
    status, _ = await api("POST", "datasets/nope/labelstudio/projects", {"label_studio": ls})
    assert status == 404


async def test_notebook_sends_and_pulls_through_the_server(
    toy: str, label_studio: LabelStudioServer
) -> None:
    async with running_kernel() as k:
        out = await k.check(
            "import visionlens_jlab.notebook as vl\n"
            "ds = vl.dataset('toy')\n"
            f"url, token = {label_studio.url!r}, {label_studio.token!r}\n"
            "sent = ds.send_to_label_studio(url, token, model='m1', title='<b>nb</b>')\n"
            "pulled = ds.pull_from_label_studio(url, token, sent['project'])\n"
            "try:\n"
            "    ds.pull_from_label_studio(url, '0' * 40, sent['project'])\n"
            "except vl.VisionLensError as exc:\n"
            "    refused = str(exc)\n"
            "print(sent['project'], sent['tasks'], pulled['annotated'],\n"
            "      sum(pulled['edits'].values()), 'HTTP 502' in refused)\n"
        )
    project, *rest = out.split()
    assert rest == ["6", "6", "0", "True"]
    client = LabelStudioClient(label_studio.url, label_studio.token)
    assert client.project(int(project))["title"] == "<b>nb</b>"  # text, sent as given
