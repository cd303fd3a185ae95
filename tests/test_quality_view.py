"""The quality view's overview route on a real Jupyter server: counts equal the CLI's, each
row's view has exactly that many members worst first, and each row's code, run in a real
kernel, reads the same members in the same order."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from visionlens_jlab.image_quality.job import run_image_quality
from visionlens_jlab.label_quality import ISSUES
from visionlens_jlab.label_quality.job import run_label_quality

from .evaluate_fixtures import ingest, ingest_predictions
from .image_quality_fixtures import PLANTED, add_dataset, write_images
from .label_quality_fixtures import ISSUE_OF, make_scene, write_coco
from .notebook_fixtures import running_kernel
from .test_cli_server_routing import run_cli

MODEL = "det"


@pytest.fixture
def planted(vl_app: Any, http_server_client: Any, tmp_path: Path) -> Any:
    """A scene with planted label errors (a hostile class name among them)."""
    scene = make_scene(60, 0.25, 3, ["car", "<b>bus</b>", "dog"])
    gt, dt = write_coco(scene, tmp_path / "src")
    ingest(vl_app.catalog, "planted", gt, "coco")
    ingest_predictions(vl_app.catalog, "planted", MODEL, dt, "coco")
    return scene


async def test_label_issues_counts_views_and_code(
    api: Any, vl_data_dir: Path, planted: Any
) -> None:
    status, answer = await api("GET", "datasets/nope/quality")
    assert status == 404
    status, empty = await api("GET", "datasets/planted/quality")
    assert status == 200
    assert empty == {
        "dataset": "planted",
        "models": [{"name": MODEL, "kind": "objects", "scorable": True, "reason": None}],
        "scored": [],
        "model": None,
        "label": None,
        "image": None,
    }
    status, answer = await api("GET", "datasets/planted/quality", params={"model": " "})
    assert status == 400

    code, out, err = await run_cli(
        "label-quality", "planted", "--model", MODEL, data_dir=vl_data_dir
    )
    assert code == 0, err
    printed = re.search(r"flagged: (.*?);", out)
    assert printed, out
    cli_counts = {name: int(n) for n, name in re.findall(r"(\d+) (\w+)", printed.group(1))}

    status, view = await api("GET", "datasets/planted/quality")
    assert status == 200 and view["scored"] == [MODEL] and view["model"] == MODEL
    rows = view["label"]["issues"]
    counts = {r["issue"]: r["count"] for r in rows}
    assert counts == cli_counts
    want = Counter(ISSUE_OF[kind] for kind in planted.planted.values())
    assert counts == {i: want.get(i, 0) for i in ISSUES}  # the oracle: what was planted
    assert [r["issue"] for r in rows] == list(ISSUES)

    pages = {}
    for row in rows:
        body = {k: row[k] for k in ("filter", "source", "sort", "order", "lq_model")}
        status, page = await api("POST", "datasets/planted/patches", {**body, "limit": 1000})
        assert status == 200, page
        assert page["total"] == row["count"], row["issue"]
        assert {o["lq_issue"] for o in page["objects"]} <= {row["issue"]}
        assert all(o["lq_flagged"] for o in page["objects"])
        scores = [o["lq_score"] for o in page["objects"]]
        assert scores == sorted(scores)  # worst first
        assert {o["source"] for o in page["objects"]} <= {row["source"]}
        pages[row["issue"]] = [o["ann_id"] for o in page["objects"]]
    assert any(pages.values())

    async with running_kernel() as k:
        for row in rows:
            # exactly what the copy button copies: the import line, then the call
            out = await k.check(
                f"import visionlens_jlab as vl\ndf = {row['code']}\n"
                "print(df.ann_id.tolist() if len(df) else [])"
            )
            assert json.loads(out) == pages[row["issue"]], row["code"]


async def test_image_issues_counts_views_and_code(
    api: Any, vl_app: Any, vl_data_dir: Path, http_server_client: Any, tmp_path: Path
) -> None:
    root = tmp_path / "photos"
    files = write_images(root, [*PLANTED, "clean", "clean", *PLANTED], seed=5)
    add_dataset(vl_app.catalog, root, files, "photos")
    run_image_quality(vl_app.catalog, "photos", in_process=True)
    status, view = await api("GET", "datasets/photos/quality")
    assert status == 200 and view["label"] is None and view["model"] is None
    code, out, err = await run_cli("image-quality", "photos", "--json", data_dir=vl_data_dir)
    assert code == 0, err
    cli_counts = {e["issue"]: e["count"] for e in json.loads(out)["issues"]}
    rows = view["image"]["issues"]
    assert {r["issue"]: r["count"] for r in rows} == cli_counts
    assert cli_counts["dark"] >= 2

    pages = {}
    for row in rows:
        body = {"filter": row["filter"], "sort": row["sort"], "order": row["order"]}
        status, page = await api("POST", "datasets/photos/samples/query", {**body, "limit": 1000})
        assert status == 200, page
        assert page["total"] == row["count"], row["issue"]
        assert page["code"] == row["code"]  # the grid shows the same code for that view
        pages[row["issue"]] = [s["sample_id"] for s in page["samples"]]

    async with running_kernel() as k:
        for row in rows:
            out = await k.check(
                f"import visionlens_jlab as vl\ndf = {row['code']}\n"
                "print(df.sample_id.tolist() if len(df) else [])"
            )
            assert json.loads(out) == pages[row["issue"]], row["code"]


async def test_flagged_objects_carry_the_object_they_disagree_with(
    api: Any, vl_app: Any, planted: Any
) -> None:
    run_label_quality(vl_app.catalog, "planted", MODEL)
    status, view = await api("GET", "datasets/planted/quality")
    assert status == 200
    rows = {r["issue"]: r for r in view["label"]["issues"]}
    for issue, row in rows.items():
        body = {k: row[k] for k in ("filter", "source", "sort", "order", "lq_model")}
        status, page = await api("POST", "datasets/planted/patches", {**body, "limit": 1000})
        assert status == 200 and len(page["objects"]) == row["count"] > 0, issue
        for o in page["objects"]:
            m = o["match"]
            if issue in ("overlooked", "spurious"):
                # a dropped label leaves nothing under the prediction; a spawned box sits in
                # a cell the detector left empty
                assert m is None, (issue, o)
                continue
            assert m["source"] == MODEL and m["score"] == pytest.approx(0.97), (issue, o)
            assert o["crop_with"] == m["ann_id"]  # the tile draws the two as a pair
            if issue == "swapped":  # the detector's class at the flipped label's place
                assert m["label"] != o["label"] and m["iou"] > 0.85
            else:  # badly located: the same class, where the box was before the shift
                assert m["label"] == o["label"] and 0.3 < m["iou"] < 0.75
        # the row's example is its view's first object, drawn the same way
        assert row["example"] == page["objects"][0]
    # an object the run did not flag is drawn alone
    status, page = await api("POST", "datasets/planted/patches", {"limit": 1000})
    assert status == 200 and page["lq_model"] == MODEL
    assert all("match" not in o for o in page["objects"] if not o["lq_flagged"])
    assert sum(1 for o in page["objects"] if "match" in o) == sum(
        rows[i]["count"] for i in ("swapped", "badly_located", "spurious")
    )
