"""The patches view on a real Jupyter server and DuckDB catalog: pages of objects against an
independent pandas computation, evaluation patches against the stored per-box results, the
label-quality sort, patch selections to samples and back, the crop's region, bad input,
unauthenticated requests and a hostile class name coming back as plain text."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from visionlens_jlab.evaluate.api import evaluate_model
from visionlens_jlab.label_quality.job import run_label_quality

from .evaluate_fixtures import ingest, ingest_predictions
from .label_quality_fixtures import make_scene, write_coco
from .notebook_fixtures import running_kernel

MODEL = "det"
HOSTILE = '<img src=x onerror="alert(1)">'
CLASSES = ["car", HOSTILE, "dog"]


def _image(width: int, height: int) -> Image.Image:
    """Each pixel's colour says where it is: red grows with x, green with y."""
    xs = np.linspace(0, 255, width, dtype=np.float32)[None, :].repeat(height, 0)
    ys = np.linspace(0, 255, height, dtype=np.float32)[:, None].repeat(width, 1)
    rgb = np.stack([xs, ys, np.full_like(xs, 128)], axis=-1).astype(np.uint8)
    return Image.fromarray(rgb, "RGB")


@pytest.fixture
def scene(vl_app: Any, http_server_client: Any, tmp_path: Path) -> Any:
    """Labels, predictions, an evaluation and a label-quality run in the server's catalog
    (the server listening: a kernel reaches it)."""
    made = make_scene(40, 0.25, 7, CLASSES)
    folder = tmp_path / "src"
    gt, dt = write_coco(made, folder)
    picture = _image(640, 480)
    for i in range(made.n_images):
        picture.save(folder / f"img_{i:04d}.jpg", "PNG")  # lossless: the crop is compared
    ingest(vl_app.catalog, "planted", gt, "coco", images=folder)
    ingest_predictions(vl_app.catalog, "planted", MODEL, dt, "coco")
    evaluate_model(vl_app.catalog, "planted", MODEL)
    run_label_quality(vl_app.catalog, "planted", MODEL)
    return made


def _table(catalog: Any, sql: str) -> pd.DataFrame:
    with catalog.cursor() as cur:
        return cur.execute(sql).df()


async def test_object_pages_match_pandas(api: Any, vl_app: Any, scene: Any) -> None:
    boxes = _table(vl_app.catalog, "SELECT * FROM annotations")
    samples = sorted(boxes.sample_id.unique())
    cut = int(samples[len(samples) // 2])
    flt = {"labels": {"classes": ["car", HOSTILE]}, "sample": {"sample_id": {"max": cut}}}
    # independently: samples up to the cut with some car or hostile box, and of them the
    # ground-truth objects of those classes, largest first, ties by id
    wanted = boxes[boxes.label.isin(["car", HOSTILE])]
    kept = set(wanted[wanted.sample_id <= cut].sample_id)
    rows = wanted[(wanted.source == "ground_truth") & wanted.sample_id.isin(kept)]
    rows = rows.sort_values(["area", "ann_id"], ascending=[False, True])
    body = {"filter": flt, "sort": "area", "order": "desc", "offset": 3, "limit": 7}
    status, page = await api("POST", "datasets/planted/patches", body)
    assert status == 200, page
    assert page["total"] == len(rows) > 10
    assert [o["ann_id"] for o in page["objects"]] == rows.ann_id.tolist()[3:10]
    first = page["objects"][0]
    truth = boxes[boxes.ann_id == first["ann_id"]].iloc[0]
    assert (first["x"], first["w"], first["sample_id"]) == (truth.x, truth.w, truth.sample_id)
    assert first["file_name"].startswith("img_") and first["image_width"] == 640

    # a model's boxes by score; past the end an empty page with the exact total
    preds = boxes[boxes.source == MODEL].sort_values(["score", "ann_id"])
    status, page = await api(
        "POST", "datasets/planted/patches",
        {"source": MODEL, "sort": "score", "limit": 1000, "filter": {}},
    )  # fmt: skip
    assert [o["ann_id"] for o in page["objects"]] == preds.ann_id.tolist()
    assert page["total"] == len(preds)
    status, page = await api(
        "POST", "datasets/planted/patches", {"source": MODEL, "offset": 10_000}
    )
    assert status == 200 and page["total"] == len(preds) and page["objects"] == []

    # the hostile class comes back as the same text, never changed or escaped
    status, page = await api(
        "POST", "datasets/planted/patches", {"filter": {"labels": {"classes": [HOSTILE]}}}
    )
    assert {o["label"] for o in page["objects"]} == {HOSTILE}
    assert page["total"] == int(((boxes.label == HOSTILE) & (boxes.source == "ground_truth")).sum())


async def test_evaluation_patches_and_label_quality(api: Any, vl_app: Any, scene: Any) -> None:
    results = _table(
        vl_app.catalog,
        "SELECT be.*, a.source FROM box_evaluations be JOIN evaluations ev USING (eval_key) "
        "JOIN annotations a ON a.ann_id = be.ann_id WHERE ev.latest",
    )
    mine = results[
        ((results.source == MODEL) & results.status.isin(["tp", "fp"]))
        | ((results.source == "ground_truth") & (results.status == "fn"))
    ].sort_values(["iou", "ann_id"], na_position="last")
    body = {"kind": "evaluation", "model": MODEL, "sort": "iou", "limit": 1000}
    status, page = await api("POST", "datasets/planted/patches", body)
    assert status == 200, page
    assert page["total"] == len(mine) and {"tp", "fp", "fn"} <= set(mine.status)
    got = [o["ann_id"] for o in page["objects"]]
    assert got == mine.ann_id.tolist()
    by_id = mine.set_index("ann_id")
    for o in page["objects"]:
        want = by_id.loc[o["ann_id"]]
        assert o["status"] == want.status
        if o["status"] == "tp":
            assert o["iou"] == pytest.approx(want.iou)
            assert o["matched_ann_id"] == want.matched_ann_id and o["match"]["label"] in CLASSES
    status, page = await api(
        "POST", "datasets/planted/patches", {**body, "statuses": ["fn"], "limit": 0}
    )
    assert page["total"] == int((mine.status == "fn").sum())

    lq = _table(
        vl_app.catalog,
        "SELECT * FROM label_quality WHERE source = 'ground_truth' AND model = 'det'",
    ).sort_values(["score", "ann_id"])
    status, page = await api("POST", "datasets/planted/patches", {"sort": "lq_score", "limit": 20})
    assert page["lq_model"] == MODEL
    assert [o["ann_id"] for o in page["objects"]] == lq.ann_id.tolist()[:20]
    assert [o["lq_issue"] for o in page["objects"]] == lq.issue.tolist()[:20]


async def test_selection_to_samples_and_back(api: Any, vl_app: Any, scene: Any) -> None:
    status, page = await api("POST", "datasets/planted/patches", {"source": MODEL, "limit": 9})
    picked = [o["ann_id"] for o in page["objects"]]
    status, answer = await api("POST", "datasets/planted/patches/samples", {"ann_ids": picked})
    assert status == 200
    assert answer["sample_ids"] == sorted({o["sample_id"] for o in page["objects"]})
    boxes = _table(vl_app.catalog, "SELECT * FROM annotations WHERE source = 'det'")
    status, back = await api(
        "POST", "datasets/planted/patches",
        {"source": MODEL, "filter": {"ids": answer["sample_ids"]}, "limit": 1000},
    )  # fmt: skip
    assert set(picked) <= {o["ann_id"] for o in back["objects"]}
    assert back["total"] == int(boxes.sample_id.isin(answer["sample_ids"]).sum())


async def test_crop_is_the_object_region(api: Any, vl_app: Any, scene: Any) -> None:
    status, page = await api("POST", "datasets/planted/patches", {"limit": 1, "sort": "area"})
    o = page["objects"][0]
    status, body = await api(
        "GET", f"datasets/planted/objects/{o['ann_id']}/crop", params={"size": 256, "context": 0.5}
    )
    assert status == 200
    crop = np.asarray(Image.open(io.BytesIO(body)).convert("RGB"), dtype=np.float32)
    pad = max(o["w"], o["h"]) * 0.5
    left, top = max(int(o["x"] - pad), 0), max(int(o["y"] - pad), 0)
    right, bottom = min(round(o["x"] + o["w"] + pad), 640), min(round(o["y"] + o["h"] + pad), 480)
    want = _image(640, 480).crop((left, top, right, bottom))
    assert crop.shape[:2] == (want.size[1], want.size[0])  # small box: not resized
    assert np.abs(crop - np.asarray(want, dtype=np.float32)).mean() < 4  # JPEG's error only

    for params, code in (({"size": "x"}, 400), ({"context": 9}, 400)):
        status, _ = await api("GET", f"datasets/planted/objects/{o['ann_id']}/crop", params=params)
        assert status == code
    status, _ = await api("GET", "datasets/planted/objects/999999999/crop")
    assert status == 404


async def test_bad_input_and_unauthenticated(
    api: Any, jp_fetch: Any, vl_app: Any, scene: Any
) -> None:
    for body, message in (
        ({"kind": "boxes"}, "'kind': 'boxes' is not one of ['objects', 'evaluation', 'regions']"),
        ({"kind": "evaluation"}, "need 'model'"),
        ({"sort": "nope"}, "cannot sort patches by 'nope'"),
        ({"sort": "iou"}, "needs evaluation patches"),
        ({"limit": -1}, "'limit': -1 is less than the minimum of 0"),
        ({"statuses": ["xx"], "kind": "evaluation", "model": MODEL}, "'statuses[0]': 'xx'"),
        ({"filter": {"labels": {"nope": 1}}}, "unknown label filter key 'nope'"),
    ):
        status, answer = await api("POST", "datasets/planted/patches", body)
        assert status == 400 and message in answer["message"], (body, answer)
    status, answer = await api(
        "POST", "datasets/planted/patches", {"kind": "evaluation", "model": "other"}
    )
    assert status == 404
    status, answer = await api("POST", "datasets/planted/patches/samples", {"ann_ids": "1"})
    assert status == 400
    for method, path in (
        ("POST", "datasets/planted/patches"),
        ("POST", "datasets/planted/patches/samples"),
        ("GET", "datasets/planted/objects/1/crop"),
    ):
        response = await jp_fetch(
            "visionlens", "api", *path.split("/"), method=method, raise_error=False,
            headers={"Authorization": ""}, body="{}" if method == "POST" else None,
        )  # fmt: skip
        assert response.code in (401, 403), (path, response.code)


async def test_patches_frame_in_a_kernel(vl_app: Any, scene: Any) -> None:
    async with running_kernel() as k:
        out = await k.check(
            "import json, visionlens_jlab.notebook as vl\n"
            "ds = vl.dataset('planted')\n"
            f"df = ds.patches({{'labels': {{'classes': [{HOSTILE!r}]}}}}, sort='area', order='desc')\n"
            "ev = ds.patches(kind='evaluation', model='det', statuses=['fn'])\n"
            "gt = ds.patches(evaluation='det', limit=500)\n"
            "print(json.dumps({'n': len(df), 'total': df.attrs['total'], 'labels': sorted(set(df.label)),\n"
            "  'area': df.area.tolist(), 'ev': sorted(set(ev.status)), 'ev_n': len(ev),\n"
            "  'gt': sorted(set(gt.status.dropna())), 'key': gt.attrs['evaluation']}))"
        )
    got = json.loads(out)
    boxes = _table(vl_app.catalog, "SELECT * FROM annotations WHERE source = 'ground_truth'")
    assert got["labels"] == [HOSTILE] and got["n"] == got["total"]
    assert got["n"] == int((boxes.label == HOSTILE).sum())
    assert got["area"] == sorted(got["area"], reverse=True)
    assert got["ev"] == ["fn"] and got["ev_n"] > 0
    # ground truth coloured by the model's latest evaluation: matched or missed
    assert set(got["gt"]) <= {"tp", "fn"} and "fn" in got["gt"] and got["key"]


async def test_a_true_positive_is_cropped_with_its_match(api: Any, scene: Any) -> None:
    body = {"kind": "evaluation", "model": MODEL, "statuses": ["tp"], "limit": 1000}
    status, page = await api("POST", "datasets/planted/patches", body)
    assert status == 200 and page["objects"]
    # the pair whose union differs most from the prediction alone
    o = max(page["objects"], key=lambda o: abs(o["match"]["w"] * o["match"]["h"] - o["w"] * o["h"]))
    m = o["match"]
    assert o["crop_with"] == o["matched_ann_id"]
    left, top = min(o["x"], m["x"]), min(o["y"], m["y"])
    right, bottom = max(o["x"] + o["w"], m["x"] + m["w"]), max(o["y"] + o["h"], m["y"] + m["h"])
    pad = max(right - left, bottom - top) * 0.25
    region = (
        max(int(left - pad), 0), max(int(top - pad), 0),
        min(round(right + pad), 640), min(round(bottom + pad), 480),
    )  # fmt: skip
    x0, y0, x1, y1 = region
    assert o["crop"] == [x0, y0, x1 - x0, y1 - y0]
    alone = max(o["w"], o["h"]) * 0.25
    assert (x0, y0) != (max(int(o["x"] - alone), 0), max(int(o["y"] - alone), 0))  # a union
    path = f"datasets/planted/objects/{o['ann_id']}/crop"
    status, data = await api("GET", path, params={"size": 256, "with": o["crop_with"]})
    assert status == 200
    crop = Image.open(io.BytesIO(data)).convert("RGB")
    want = _image(640, 480).crop(region)
    scale = min(1.0, 256 / max(want.size))
    want = want.resize((max(1, round(want.size[0] * scale)), max(1, round(want.size[1] * scale))))
    assert crop.size == want.size
    diff = np.abs(np.asarray(crop, np.float32) - np.asarray(want, np.float32)).mean()
    assert diff < 4  # JPEG's error only

    fns = await api("POST", "datasets/planted/patches", {**body, "statuses": ["fn", "fp"]})
    elsewhere = next(p for p in fns[1]["objects"] if p["sample_id"] != o["sample_id"])
    status, answer = await api("GET", path, params={"with": elsewhere["ann_id"]})
    assert status == 400 and "different images" in answer["message"]
    status, _ = await api("GET", path, params={"with": "x"})
    assert status == 404


async def test_false_positives_and_misses_are_pairs_with_their_partner(
    api: Any, vl_app: Any, scene: Any
) -> None:
    """An FP's partner is the ground truth the evaluation explained it by, a miss's the
    best-IoU false positive explained by it; both cropped as the union, with the IoU."""
    rows = _table(
        vl_app.catalog,
        "SELECT be.ann_id, be.status, be.matched_ann_id, be.iou, be.error_type, a.source, "
        "a.label, a.x, a.y, a.w, a.h FROM box_evaluations be "
        "JOIN evaluations ev USING (eval_key) JOIN annotations a ON a.ann_id = be.ann_id "
        "WHERE ev.latest",
    )
    boxes = rows.set_index("ann_id")
    fps = rows[(rows.status == "fp") & (rows.source == MODEL)]
    # independently: a miss's partner, of the false positives pointing at it, the best IoU
    explained = fps[fps.matched_ann_id.notna()].sort_values(
        ["matched_ann_id", "iou", "ann_id"], ascending=[True, False, True]
    )
    partner = explained.drop_duplicates("matched_ann_id").set_index("matched_ann_id")
    body = {"kind": "evaluation", "model": MODEL, "statuses": ["fp", "fn"], "limit": 1000}
    status, page = await api("POST", "datasets/planted/patches", body)
    assert status == 200
    seen = {"fp": 0, "fn": 0, "alone": 0}
    for o in page["objects"]:
        if o["status"] == "fp" and not pd.isna(boxes.loc[o["ann_id"]].matched_ann_id):
            want_id, want_iou = int(boxes.loc[o["ann_id"]].matched_ann_id), o["iou"]
            assert o["match"]["source"] == "ground_truth"
        elif o["status"] == "fn" and o["ann_id"] in partner.index:
            want_id, want_iou = int(partner.loc[o["ann_id"]].ann_id), partner.loc[o["ann_id"]].iou
            assert o["match"]["source"] == MODEL and o["iou"] is None  # the miss has no match
        else:  # a background error, a miss nothing overlapped: the object alone
            assert o["match"] is None and "crop_with" not in o
            seen["alone"] += 1
            continue
        seen[o["status"]] += 1
        m, truth = o["match"], boxes.loc[want_id]
        assert o["crop_with"] == m["ann_id"] == want_id
        assert m["iou"] == pytest.approx(want_iou) and m["iou"] > 0
        assert (m["label"], m["x"], m["w"]) == (truth.label, truth.x, truth.w)
        left, right = min(o["x"], m["x"]), max(o["x"] + o["w"], m["x"] + m["w"])
        assert o["crop"][0] <= left and o["crop"][0] + o["crop"][2] >= right  # the union
    assert seen["fp"] > 0 and seen["fn"] > 0 and seen["alone"] > 0, seen
    # the crop route draws any such pair (the same route as a true positive's)
    pair = next(o for o in page["objects"] if o["status"] == "fn" and o["match"])
    status, data = await api(
        "GET", f"datasets/planted/objects/{pair['ann_id']}/crop",
        params={"with": pair["crop_with"], "size": 4096, "context": 0.25},
    )  # fmt: skip
    assert status == 200
    x, y, w, h = pair["crop"]
    assert Image.open(io.BytesIO(data)).size == (w, h)
