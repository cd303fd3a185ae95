"""The DuckDB path on files as real exporters write them (the benchmark's variants): extra
keys, full-precision floats, RLE-heavy crowd files, pretty-printed text, and repeated keys.

Every case parses the file both ways (``tests/test_ingest_coco_sql.py``'s ``assert_same``)
and asserts identical rows and reports; a case that must stay on the SQL path also asserts
the Python loop never ran.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from tests.test_ingest_coco_sql import (
    CATEGORIES,
    GOOD,
    IMAGES,
    PREDICTION,
    assert_same,
    write_coco,
)
from visionlens_jlab.ingest.coco.policies import AnnotationPolicies


def test_extra_keys_go_through_duckdb(tmp_path: Path, monkeypatch: Any) -> None:
    slow: list[Any] = []
    original = AnnotationPolicies._slow

    def counting(self: Any, record: Any) -> Any:
        slow.append(record)
        return original(self, record)

    monkeypatch.setattr(AnnotationPolicies, "_slow", counting)
    anns: list[dict[str, Any]] = [{**GOOD, "id": i + 1} for i in range(30)]
    anns[1] = {**anns[1], "track_id": 7, "occluded": False, "source": "manual"}
    anns[2] = {**anns[2], "track_id": 8, "attributes": {"color": "red", "rotation": 0.0}}
    anns[3] = {**anns[3], "note": None, "nested": {"k": None, "l": [1, {"m": "é"}]}}
    anns[4] = {**anns[4], "a": 1, "attributes": {"a": 2, "b": 3}}  # shared name: merged
    anns[5] = {**anns[5], "score": None}  # a null score on ground truth: an attribute
    anns[6] = {**anns[6], "attributes": {}, "z": "last"}
    anns[7] = {"extra_first": 1, **anns[7]}  # key order kept
    got = assert_same(write_coco(tmp_path / "extra.json", anns))
    assert got[1]["attributes"] == {"track_id": 7, "occluded": False, "source": "manual"}
    assert got[2]["attributes"] == {"track_id": 8, "color": "red", "rotation": 0.0}
    assert got[3]["attributes"] == {"note": None, "nested": {"k": None, "l": [1, {"m": "é"}]}}
    assert got[4]["attributes"] == {"a": 2, "b": 3}
    assert got[5]["attributes"] == {"score": None}
    assert got[6]["attributes"] == {"z": "last"}
    assert list(got[7]["attributes"]) == ["extra_first"]
    assert got[0]["attributes"] is None
    assert slow == []  # taken by the SQL (and by the Python fast path), no policy needed


def test_explicit_null_on_a_standard_key_with_extra_keys(tmp_path: Path) -> None:
    # more keys than non-null standard values, but not because of extra keys: Python decides
    anns: list[dict[str, Any]] = [{**GOOD, "id": i + 1} for i in range(12)]
    anns[3] = {**anns[3], "area": None, "track": 1}
    anns[4] = {**anns[4], "segmentation": None}
    anns[5] = {**anns[5], "attributes": None, "track": 2}
    anns[6] = {**anns[6], "iscrowd": None, "track": 3}
    assert_same(write_coco(tmp_path / "nulls.json", anns), python_expected=False)


def test_repeated_keys(tmp_path: Path) -> None:
    # DuckDB reads a repeated key's first value, Python its last: such records stay slow
    good = json.dumps(GOOD, separators=(",", ":"))[1:-1]
    records = [f'{{"id":{i + 1},{good[good.index(",") + 1 :]}}}' for i in range(10)]
    records[2] = '{"id":3,' + good[good.index(",") + 1 :] + ',"category_id":2}'
    records[4] = '{"id":5,' + good[good.index(",") + 1 :] + ',"track":1,"track":2}'
    records[6] = '{"id":7,' + good[good.index(",") + 1 :] + ',"attributes":{"a":1,"a":2}}'
    categories = [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}]
    doc = {"images": IMAGES, "annotations": "@", "categories": categories}
    text = json.dumps(doc).replace('"@"', "[" + ",".join(records) + "]")
    path = tmp_path / "repeated.json"
    path.write_text(text)
    got = assert_same(path)
    assert got[2]["label"] == "dog" and got[4]["attributes"] == {"track": 2}


def test_full_precision_coordinates(tmp_path: Path) -> None:
    rnd = random.Random(3)
    anns: list[dict[str, Any]] = []
    for i in range(40):
        x, y, w, h = (
            rnd.uniform(0, 500),
            rnd.uniform(0, 400),
            rnd.uniform(1, 99),
            rnd.uniform(1, 99),
        )
        poly = [v for _ in range(6) for v in (x + rnd.random() * w, y + rnd.random() * h)]
        anns.append(
            {**GOOD, "id": i + 1, "bbox": [x, y, w, h], "area": w * h / 3, "segmentation": [poly]}
        )
    anns[5]["segmentation"] = [[1e-300, 2.5e300, 3.0, -4.125, 5, 6]]  # exponents, ints
    got = assert_same(write_coco(tmp_path / "precise.json", anns))
    assert got[0]["x"] == anns[0]["bbox"][0]  # not rounded on the way
    assert got[1]["segmentation"] == anns[1]["segmentation"]


def test_rle_heavy_crowd_file(tmp_path: Path) -> None:
    rnd = random.Random(5)
    anns: list[dict[str, Any]] = []
    for i in range(40):
        if i % 3 == 0:  # uncompressed RLE, as the official files store crowd regions
            runs = [rnd.randint(0, 500) for _ in range(59)]
            seg: Any = {"counts": [*runs, 480 * 640 - sum(runs)], "size": [480, 640]}
        elif i % 3 == 1:  # compressed counts with the characters pycocotools writes (\\ too)
            seg = {
                "size": [480, 640],
                "counts": "".join(chr(rnd.randint(48, 111)) for _ in range(50)),
            }
        else:
            seg = [[10, 20, 40, 20, 40, 60]]
        anns.append({**GOOD, "id": i + 1, "iscrowd": int(i % 3 == 0), "segmentation": seg})
    got = assert_same(write_coco(tmp_path / "rle.json", anns))
    assert sum(isinstance(r["segmentation"], dict) for r in got) == 27
    assert got[1]["segmentation"] == anns[1]["segmentation"]  # backslashes and all


def test_pretty_printed_with_extra_keys(tmp_path: Path) -> None:
    anns = [{**GOOD, "id": i + 1, "track": i, "attributes": {"k": [i]}} for i in range(30)]
    doc = {"images": IMAGES, "annotations": anns, "categories": [{"id": 1, "name": "cat"}]}
    path = tmp_path / "pretty.json"
    path.write_text(json.dumps(doc, indent=2))
    got = assert_same(path)
    assert got[29]["attributes"] == {"track": 29, "k": [29]}


def test_predictions_with_extra_keys(tmp_path: Path) -> None:
    preds: list[dict[str, Any]] = [{**PREDICTION, "score": i / 10} for i in range(12)]
    preds[3] = {**preds[3], "model_version": "v2", "attributes": {"t": 1}}
    preds[4] = {**preds[4], "id": None, "extra": [1]}  # a null id is fine for a prediction
    path = tmp_path / "results.json"
    path.write_text(json.dumps(preds, separators=(",", ":")))
    got = assert_same(path, predictions=True)
    assert got[3]["attributes"] == {"model_version": "v2", "t": 1}


def test_quotes_in_keys_and_values(tmp_path: Path) -> None:
    # the SQL skips its second parse (the keys) only where the quotes rule other keys out:
    # quotes inside names and values, and a repeated key with a number value, never fool it
    anns: list[dict[str, Any]] = [{**GOOD, "id": i + 1} for i in range(14)]
    anns[1] = {**anns[1], 'say "hi"': 1}
    anns[2] = {**anns[2], "attributes": {"q": '"', "r": 'a "b" c'}}
    anns[3] = {**anns[3], "segmentation": {"size": [480, 640], "counts": 'a"b'}}
    anns[4] = {**anns[4], "n": 1}
    good = json.dumps(GOOD, separators=(",", ":"))[1:-1]
    records = [json.dumps(a, separators=(",", ":")) for a in anns]
    records[5] = '{"id":6,' + good[good.index(",") + 1 :] + ',"area":7}'  # area twice
    records[6] = '{"id":7,' + good[good.index(",") + 1 :] + ',"\\u0061rea":8}'  # escaped
    records[7] = '{"id":8,' + good[good.index(",") + 1 :].replace('"area":1200.0,', "") + "}"
    doc = {"images": IMAGES, "annotations": "@", "categories": CATEGORIES}
    path = tmp_path / "quotes.json"
    path.write_text(json.dumps(doc).replace('"@"', "[" + ",".join(records) + "]"))
    got = assert_same(path)
    assert got[1]["attributes"] == {'say "hi"': 1}
    assert got[2]["attributes"] == {"q": '"', "r": 'a "b" c'}
    assert got[4]["attributes"] == {"n": 1}
    assert got[5]["area"] == 7 and got[6]["area"] == 8  # Python's last value
    assert got[7]["area"] is None and got[8]["attributes"] is None


@pytest.mark.parametrize(
    "image_ids",
    [[3, 4, 5], [1, 4, 9], [-2, -1, 0]],
    ids=["consecutive from 3", "with gaps", "negative"],
)
def test_image_ids_found_by_subtraction_or_search(tmp_path: Path, image_ids: list[int]) -> None:
    images = [
        {"id": iid, "file_name": f"{k}.jpg", "width": 640, "height": 480}
        for k, iid in enumerate(image_ids)
    ]
    refs = sorted({v for iid in image_ids for v in (iid - 1, iid, iid + 1)})
    anns = [{**GOOD, "id": k + 1, "image_id": iid} for k, iid in enumerate(refs)]
    doc = {"images": images, "annotations": anns, "categories": CATEGORIES}
    path = tmp_path / "ids.json"
    path.write_text(json.dumps(doc, separators=(",", ":")))
    got = assert_same(path)
    assert [r["sample_index"] for r in got] == [
        image_ids.index(iid) for iid in refs if iid in image_ids
    ]
