"""Click-to-mask through a real Jupyter server: a click's mask equals SAM called by hand on
the sample's image, the second click reuses the embedding, a prefetch fills the cache ahead,
accepting the mask is one undoable batch of the edit log, and bad requests are refused with
nothing written."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from pycocotools import mask as mask_utils

from .edit_fixtures import rows
from .predict_fixtures import cartucho_subset, ingest_subset
from .segment_fixtures import sam_by_hand, save_tiny_sam


def samples(catalog: Any) -> list[tuple[int, int, int, str, str]]:
    """``(sample_id, width, height, location, a ground-truth label)`` of the photos."""
    with catalog.cursor() as cur:
        return cur.execute(
            "SELECT s.sample_id, s.width, s.height, s.location, MIN(a.label) FROM samples s "
            "JOIN annotations a USING (sample_id) GROUP BY ALL ORDER BY s.sample_id"
        ).fetchall()


def decoded(mask: dict[str, Any]) -> np.ndarray:
    return mask_utils.decode({"size": mask["size"], "counts": mask["counts"].encode()}).astype(bool)


async def test_click_to_mask_round_trip(api: Any, vl_app: Any, tmp_path: Path) -> None:
    ingest_subset(vl_app.catalog, "photos", cartucho_subset(tmp_path / "photos", 3))
    model = str(save_tiny_sam(tmp_path / "tiny-sam"))
    (first, width, height, location, label), *rest = samples(vl_app.catalog)
    path = f"datasets/photos/samples/{first}/segment"
    clicks = [{"x": width / 3, "y": height / 2, "label": 1}, {"x": 5, "y": 5, "label": 0}]

    status, answer = await api("POST", path, {"model": model, "points": clicks[:1]})
    assert status == 200, answer
    assert (answer["sample_id"], answer["width"], answer["height"]) == (first, width, height)
    assert answer["embedding"] == "computed"
    expected, score = sam_by_hand(
        Path(model), Image.open(location).convert("RGB"), [(width / 3, height / 2, 1)], None
    )
    assert np.array_equal(decoded(answer["mask"]), expected)
    assert answer["score"] == score and answer["area"] == float(expected.sum())

    box = [10, 10, width / 2, height / 2]
    status, second = await api("POST", path, {"model": model, "points": clicks, "box": box})
    assert status == 200 and second["embedding"] == "cached" and second["seconds"]["embed"] == 0
    expected, _ = sam_by_hand(
        Path(model), Image.open(location).convert("RGB"),
        [(width / 3, height / 2, 1), (5, 5, 0)], box,
    )  # fmt: skip
    assert np.array_equal(decoded(second["mask"]), expected)

    # prefetch: the next samples' embeddings computed in the background (a sample named
    # twice once), then clicked cached
    others = [s[0] for s in rest]
    status, queued = await api(
        "POST",
        "datasets/photos/segment/prefetch",
        {"model": model, "sample_ids": [first, *others, *others, first]},
    )
    assert status == 200 and queued == {"queued": len(others), "cached": 1, "dropped": 0}
    while vl_app.segment.host.pending_background():
        await asyncio.sleep(0.05)
    for sample_id in others:
        status, answer = await api(
            "POST", f"datasets/photos/samples/{sample_id}/segment",
            {"model": model, "points": [{"x": 3, "y": 3}]},
        )  # fmt: skip
        assert status == 200 and answer["embedding"] == "cached", answer

    # accepting: one batch of the edit log adds the object with the mask; undo removes it
    with vl_app.catalog.cursor() as cur:
        ds = vl_app.catalog.dataset_id(cur, "photos")
    before = rows(vl_app.catalog, ds)
    status, batch = await api("POST", "datasets/photos/edits", {"operations": [
        {"op": "add", "sample_id": first, "label": label, "segmentation": second["mask"]}]})  # fmt: skip
    assert status == 200, batch
    status, sample = await api("GET", f"datasets/photos/samples/{first}")
    (added,) = [o for o in sample["annotations"] if o["ann_id"] == batch["added"][0]]
    assert added["segmentation"] == second["mask"] and added["bbox"] == second["bbox"]
    status, undone = await api("POST", "datasets/photos/edits/undo")
    assert status == 200 and rows(vl_app.catalog, ds) == before


async def test_bad_clicks_are_refused_and_change_nothing(
    api: Any, vl_app: Any, tmp_path: Path
) -> None:
    ingest_subset(vl_app.catalog, "photos", cartucho_subset(tmp_path / "photos", 1))
    model = str(save_tiny_sam(tmp_path / "tiny-sam"))
    ((first, width, height, _, _),) = samples(vl_app.catalog)
    path = f"datasets/photos/samples/{first}/segment"
    for body, code, message in (
        ({"model": model}, 400, "the prompt is empty"),
        ({"model": model, "points": []}, 400, "the prompt is empty"),
        ({"model": model, "points": [{"x": width + 1, "y": 2}]}, 400,
         f"lies outside the {width}x{height} image"),
        ({"model": model, "box": [0, 0, width, height + 5]}, 400, "the box reaches outside"),
        ({"model": model, "points": [{"x": 1, "y": 2, "label": 3}]}, 400, "'points[0].label': 3 is not one of [0, 1]"),
        ({"points": [{"x": 1, "y": 2}]}, 400, "'model' is a required property"),
        ({"model": str(tmp_path / "no-sam"), "points": [{"x": 1, "y": 2}]}, 400,
         "no checkpoint at"),
        ({"model": "someone/sam-vit-unknown", "points": [{"x": 1, "y": 2}]}, 400,
         "'someone/sam-vit-unknown' are not on this machine"),
        ({"model": "/etc", "points": [{"x": 1, "y": 2}]}, 400, "/etc is not a transformers checkpoint"),
    ):  # fmt: skip
        status, answer = await api("POST", path, body)
        assert status == code and message in answer["message"], (body, answer)
    for missing in ("datasets/photos/samples/999999/segment", "datasets/none/samples/1/segment"):
        status, answer = await api("POST", missing, {"model": model, "points": [{"x": 1, "y": 1}]})
        assert status == 404, answer
    status, answer = await api(
        "POST", "datasets/photos/segment/prefetch", {"model": model, "sample_ids": [first, 999999]}
    )
    assert status == 404 and "999999" in answer["message"]
    assert vl_app.segment.host.pending_background() == 0  # nothing was queued
    assert vl_app.segment.engine.cache.nbytes == 0  # nothing embedded
