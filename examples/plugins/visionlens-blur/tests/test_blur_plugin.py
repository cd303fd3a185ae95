"""The blur plugin, installed: the server lists it, its fields are computed as a job, and
the facets, a filter and the grid agree with a brute-force reference computed here."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageFilter
from scipy import ndimage

THRESHOLD = 100.0


def write_dataset(root: Path, n: int = 24) -> Path:
    """Noise images, every third one heavily blurred, and a COCO file naming them."""
    rng = np.random.default_rng(7)
    images = []
    for i in range(n):
        im = Image.fromarray(rng.integers(0, 256, (60 + i, 80, 3), dtype=np.uint8))
        if i % 3 == 0:
            im = im.filter(ImageFilter.GaussianBlur(4))
        name = f"img{i:02d}.png"
        im.save(root / name)
        images.append({"id": i + 1, "file_name": name, "width": 80, "height": 60 + i})
    coco = {"images": images, "annotations": [], "categories": [{"id": 1, "name": "x"}]}
    path = root / "coco.json"
    path.write_text(json.dumps(coco))
    return path


def reference_scores(root: Path) -> dict[str, float]:
    """Variance of the Laplacian, by scipy's convolution over the interior pixels."""
    kernel = np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], dtype=np.float64)
    out = {}
    for path in sorted(root.glob("*.png")):
        grey = np.asarray(Image.open(path).convert("L"), dtype=np.float64)
        out[path.name] = float(ndimage.convolve(grey, kernel)[1:-1, 1:-1].var())
    return out


async def test_blur_fields_match_a_reference(api: Any, wait_job: Any, tmp_path: Path) -> None:
    status, listing = await api("GET", "plugins")
    assert status == 200
    blur = next(p for p in listing["plugins"] if p["name"] == "blur")
    assert (blur["status"], blur["source"], blur["hooks"]) == (
        "loaded",
        "entry_point",
        ["sample_fields"],
    )
    assert blur["module"] == "visionlens_blur.plugin" and blur["error"] is None

    source = write_dataset(tmp_path)
    status, answer = await api("POST", "datasets", {"source": str(source), "name": "blurset"})
    assert status == 202, answer
    assert (await wait_job(answer["job"]))["status"] == "done"

    status, answer = await api("POST", "datasets/blurset/plugin-fields", {"plugin": "blur"})
    assert status == 202, answer
    job = await wait_job(answer["job"])
    assert job["status"] == "done", job
    assert job["result"]["fields"] == {"blur_score": 24, "blurry": 24}

    scores = reference_scores(tmp_path)
    blurry = sum(s < THRESHOLD for s in scores.values())
    assert 0 < blurry < len(scores)  # the data exercises both values

    status, facets = await api("GET", "datasets/blurset/facets")
    by_name = {f["name"]: f for f in facets["facets"]}
    counts = {v["value"]: v["count"] for v in by_name["computed.blurry"]["values"]}
    assert counts == {"yes": blurry, "no": len(scores) - blurry}
    numeric = by_name["computed.blur_score"]
    assert numeric["count"] == len(scores)
    assert np.isclose(numeric["min"], min(scores.values()))
    assert np.isclose(numeric["max"], max(scores.values()))

    sharp = json.dumps({"sample": {"computed.blurry": {"in": ["no"]}}})
    status, page = await api(
        "GET", "datasets/blurset/samples", params={"filter": sharp, "limit": 100}
    )
    assert status == 200 and page["total"] == len(scores) - blurry
    for sample in page["samples"]:
        assert scores[sample["file_name"]] >= THRESHOLD
        assert np.isclose(sample["computed"]["blur_score"], scores[sample["file_name"]])


async def test_unknown_plugin_and_field_are_clear_400s(
    api: Any, tmp_path: Path, wait_job: Any
) -> None:
    source = write_dataset(tmp_path, n=3)
    _, answer = await api("POST", "datasets", {"source": str(source), "name": "small"})
    await wait_job(answer["job"])
    status, err = await api("POST", "datasets/small/plugin-fields", {"plugin": "nope"})
    assert status == 400 and "no plugin named 'nope'" in err["message"]
    status, err = await api(
        "POST", "datasets/small/plugin-fields", {"plugin": "blur", "field": "x"}
    )
    assert status == 400 and "blur_score" in err["message"]
    status, err = await api("POST", "datasets/missing/plugin-fields", {"plugin": "blur"})
    assert status == 404


def test_blurring_lowers_the_score() -> None:
    from visionlens_blur import laplacian_variance

    rng = np.random.default_rng(1)
    sharp = rng.integers(0, 256, (64, 64)).astype(np.float64)
    soft = ndimage.gaussian_filter(sharp, 3)
    assert laplacian_variance(soft) < laplacian_variance(sharp) / 10
