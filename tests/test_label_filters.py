"""Filters on the labels beyond the box (label type, mask area, keypoint count, image-level
classifications and their scores, "the model's class differs from ground truth"): on random
filters each path of the planner keeps exactly the samples a pandas computation over the
rows written keeps; the JSON is refused with clear messages."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest

from visionlens_jlab import features
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.indexes.box_index import box_index
from visionlens_jlab.catalog.plan import filter_masks
from visionlens_jlab.catalog.plan.planner import (
    Held,
    Strategy,
    forced_sql,
    mask_steps,
    plan_facets,
    plan_page,
)
from visionlens_jlab.catalog.query.filter_parser import parse_filter
from visionlens_jlab.catalog.query.filters import FilterError, compile_filter
from visionlens_jlab.catalog.reads import queries
from visionlens_jlab.catalog.writes.dataset_writer import write_dataset, write_predictions

from .label_fixtures import CLASSES, SCENES, LabelPredictions, LabelSource, label_rows
from .test_result_cache import plain

GT = "ground_truth"
N = 160
SOURCES = [None, GT, "m1", "predictions"]
CLS_SOURCES = [None, GT, "clf", "predictions"]


@pytest.fixture(scope="module")
def rows() -> dict[str, Any]:
    return label_rows(5, N)


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory, rows: dict[str, Any]) -> Iterator[Catalog]:
    features.load()
    cat = Catalog(tmp_path_factory.mktemp("labels"))
    write_dataset(cat, "d", LabelSource(rows))
    write_predictions(cat, "d", "m1", LabelPredictions(rows["preds"], []))
    write_predictions(cat, "d", "clf", LabelPredictions([], rows["model_cls"]))
    yield cat
    cat.close()


@pytest.fixture(scope="module")
def ids(catalog: Catalog) -> np.ndarray:
    """Sample id by sample index."""
    with catalog.cursor() as cur:
        found = cur.execute("SELECT file_name, sample_id FROM samples").fetchall()
    by_name = dict(found)
    return np.array([by_name[f"img{i}.jpg"] for i in range(N)], dtype=np.int64)


def objects_frame(rows: dict[str, Any]) -> pd.DataFrame:
    """Every object (ground truth and model m1) with its facts computed here."""
    out = []
    for source, objs in ((GT, rows["objects"]), ("m1", rows["preds"])):
        for o in objs:
            points = o.get("keypoints")
            out.append({
                "index": o.get("sample_index", int(o.get("image_ref", -1))),
                "source": source,
                "label": o["label"],
                "mask_area": o.get("mask_area", np.nan),
                "has_points": points is not None,
                "num_keypoints": np.nan if points is None else float(sum(v > 0 for v in points[2::3])),
                "visible_keypoints": np.nan if points is None else float(sum(v == 2 for v in points[2::3])),
            })  # fmt: skip
    return pd.DataFrame(out)


def labels_frame(rows: dict[str, Any]) -> pd.DataFrame:
    gt = [{"index": r["sample_index"], "source": GT, "label": r["label"], "score": np.nan}
          for r in rows["gt_cls"]]  # fmt: skip
    model = [{"index": int(r["image_ref"]), "source": "clf", "label": r["label"],
              "score": r["score"]} for r in rows["model_cls"]]  # fmt: skip
    return pd.DataFrame(gt + model)


def _of_source(frame: pd.DataFrame, source: str | None) -> pd.Series:
    if source is None:
        return pd.Series(True, index=frame.index)
    if source == "predictions":
        return frame["source"] != GT
    return frame["source"] == source


def _in_range(values: pd.Series, bounds: dict[str, Any]) -> pd.Series:
    keep = pd.Series(True, index=values.index)
    if bounds.get("min") is not None:
        keep &= values >= bounds["min"]  # NaN meets no bound
    if bounds.get("max") is not None:
        keep &= values <= bounds["max"]
    return keep


def expected(rows: dict[str, Any], spec: dict[str, Any]) -> set[int]:
    """The sample indexes ``spec`` keeps, computed in pandas over the rows written."""
    keep = set(range(N))
    if "labels" in spec:
        label, objs = spec["labels"], objects_frame(rows)
        hit = _of_source(objs, label.get("source"))
        types = label.get("type", [])
        types = types if isinstance(types, list) else [types]
        if types:
            hit &= (objs["mask_area"].notna() & ("mask" in types)) | (
                objs["has_points"] & ("keypoints" in types)
            )
        if "classes" in label:
            hit &= objs["label"].isin(label["classes"])
        for name, bounds in label.get("where", {}).items():
            hit &= _in_range(objs[name], bounds)
        keep &= set(objs.loc[hit, "index"])
    if "classifications" in spec:
        cond, labels = spec["classifications"], labels_frame(rows)
        hit = _of_source(labels, cond.get("source"))
        if "classes" in cond:
            hit &= labels["label"].isin(cond["classes"])
        if "score" in cond:
            hit &= _in_range(labels["score"], cond["score"])
        if "differs_from_ground_truth" in cond:
            truth = labels[labels["source"] == GT].groupby("index")["label"].agg(set)
            known = labels["index"].map(lambda i: truth.get(i, set()))
            among = pd.Series([lab in t for lab, t in zip(labels["label"], known, strict=True)],
                              index=labels.index)  # fmt: skip
            has_truth = known.map(bool)
            hit &= (has_truth & ~among) if cond["differs_from_ground_truth"] else among
        keep &= set(labels.loc[hit, "index"])
    if "sample" in spec:
        keep &= {
            i for i, s in enumerate(rows["samples"]) if s["split"] in spec["sample"]["split"]["in"]
        }
    return keep


def _bounds(rnd: random.Random, values: list[float]) -> dict[str, Any]:
    lo, hi = sorted(rnd.sample(values, 2))
    shape = rnd.randrange(3)
    return {"min": lo} if shape == 0 else {"max": hi} if shape == 1 else {"min": lo, "max": hi}


def random_spec(rnd: random.Random, rows: dict[str, Any]) -> dict[str, Any]:
    objs, labels = objects_frame(rows), labels_frame(rows)
    spec: dict[str, Any] = {}
    if rnd.random() < 0.7:
        label: dict[str, Any] = {"source": rnd.choice(SOURCES)}
        if rnd.random() < 0.5:
            label["type"] = rnd.choice(["mask", "keypoints", ["mask", "keypoints"], ["keypoints"]])
        where = {}
        if rnd.random() < 0.5:
            where["mask_area"] = _bounds(rnd, list(objs["mask_area"].dropna()))
        if rnd.random() < 0.4:
            where["num_keypoints"] = _bounds(rnd, [0.0, 1.0, 2.0, 3.0, 4.0, 5.0])
        if rnd.random() < 0.4:
            where["visible_keypoints"] = _bounds(rnd, [0.0, 1.0, 2.0, 3.0, 4.0, 5.0])
        if where:
            label["where"] = where
        if rnd.random() < 0.3:
            label["classes"] = rnd.sample(CLASSES, 2)
        spec["labels"] = label
    if rnd.random() < 0.6 or not spec:
        cond: dict[str, Any] = {"source": rnd.choice(CLS_SOURCES)}
        if rnd.random() < 0.5:
            cond["classes"] = rnd.sample(SCENES, rnd.randrange(1, 3))
        if rnd.random() < 0.4:
            cond["score"] = _bounds(rnd, list(labels["score"].dropna()))
        if cond["source"] in ("clf", "predictions") and rnd.random() < 0.6:
            cond["differs_from_ground_truth"] = rnd.random() < 0.7
        spec["classifications"] = cond
    if rnd.random() < 0.3:
        spec["sample"] = {"split": {"in": [rnd.choice(["train", "val"])]}}
    return spec


def sql_ids(cat: Catalog, spec: dict[str, Any]) -> set[int]:
    with cat.cursor() as cur:
        flt = compile_filter(cat.dataset_id(cur, "d"), spec)
        found = cur.execute(f"SELECT s.sample_id FROM samples s WHERE {flt.where}", flt.params)  # noqa: S608 - compiled
        return {int(r[0]) for r in found.fetchall()}


def mask_ids(cat: Catalog, spec: dict[str, Any]) -> set[int]:
    with cat.cursor() as cur:
        ds = cat.dataset_id(cur, "d")
        boxes = box_index(cat, cur, ds)
        assert boxes is not None
        mask = filter_masks.filtered_mask(cat, cur, ds, parse_filter(spec), boxes)
        assert mask is not None
        return {int(i) for i in boxes.samples.ids[mask]}


def page_ids(cat: Catalog, spec: dict[str, Any], sort: str | None = None) -> tuple[int, list[int]]:
    out = queries.samples_page(cat, "d", spec, limit=N, sort=sort, order="desc",
                               include_annotations=False)  # fmt: skip
    return out["total"], [s["sample_id"] for s in out["samples"]]


def test_every_path_keeps_the_samples_pandas_keeps(
    catalog: Catalog, rows: dict[str, Any], ids: np.ndarray
) -> None:
    rnd = random.Random(11)
    nonempty = 0
    for _ in range(60):
        spec = random_spec(rnd, rows)
        want = {int(ids[i]) for i in expected(rows, spec)}
        nonempty += bool(want)
        assert sql_ids(catalog, spec) == want, spec
        assert mask_ids(catalog, spec) == want, spec
        with plain(catalog):
            total, page = page_ids(catalog, spec)
            assert (total, sorted(page)) == (len(want), sorted(want)), spec
            sorted_page = page_ids(catalog, spec, "width")
            facets = queries.facets(catalog, "d", spec)
        with plain(catalog), forced_sql():
            assert page_ids(catalog, spec, "width") == sorted_page, spec
            assert queries.facets(catalog, "d", spec) == facets, spec
        assert facets["total"] == len(want)
    assert nonempty > 30  # the random filters select something most of the time


def test_differs_from_ground_truth_on_known_rows(catalog: Catalog, rows: dict[str, Any]) -> None:
    labels = labels_frame(rows)
    truth: dict[int, set[str]] = {}
    for i, lab in labels[labels["source"] == GT][["index", "label"]].itertuples(index=False):
        truth.setdefault(int(i), set()).add(str(lab))
    model = labels[labels["source"] == "clf"][["index", "label"]].itertuples(index=False)
    pairs = [(int(i), str(lab)) for i, lab in model]
    wrong = {i for i, lab in pairs if i in truth and lab not in truth[i]}
    right = {i for i, lab in pairs if i in truth and lab in truth[i]}
    assert wrong and right
    spec = {"classifications": {"source": "clf", "differs_from_ground_truth": True}}
    assert expected(rows, spec) == wrong
    assert len(sql_ids(catalog, spec)) == len(wrong)
    spec["classifications"]["differs_from_ground_truth"] = False
    assert len(sql_ids(catalog, spec)) == len(right)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            {"labels": {"type": "polygon"}},
            "labels.type must be one of rotated, polyline, mask, keypoints",
        ),
        ({"labels": {"type": []}}, "or a list of them, not \\[\\]"),
        ({"labels": {"type": ["mask", 3]}}, "labels.type must be one of"),
        ({"labels": {"where": {"mask": {"min": 1}}}}, "unknown label field 'mask'"),
        ({"labels": {"where": {"mask_area": {"min": "big"}}}}, "'mask_area.min' must be a number"),
        ({"classifications": {"label": "cat"}}, "unknown classifications keys \\['label'\\]"),
        ({"classifications": {"classes": "cat"}}, "'classifications.classes' must be a list"),
        ({"classifications": {"source": 3}}, "classifications.source must be a string"),
        ({"classifications": {"score": {"above": 1}}}, "unknown operator 'above'"),
        ({"classifications": "cat"}, "'classifications' must be a JSON object"),
        (
            {"classifications": {"source": "clf", "differs_from_ground_truth": "yes"}},
            "differs_from_ground_truth must be true or false",
        ),
        (
            {"classifications": {"source": GT, "differs_from_ground_truth": True}},
            "needs a model's source",
        ),
        ({"classifications": {"differs_from_ground_truth": True}}, "needs a model's source"),
    ],
)
def test_bad_label_filters_are_refused(spec: dict[str, Any], message: str) -> None:
    with pytest.raises(FilterError, match=message):
        parse_filter(spec)


def test_values_are_bound_never_in_the_sql() -> None:
    odd = "x'); DROP TABLE samples; --"
    spec = {"labels": {"type": "mask", "where": {"mask_area": {"min": 7.5}}},
            "classifications": {"source": odd, "classes": [odd], "score": {"max": 0.25},
                                "differs_from_ground_truth": True}}  # fmt: skip
    flt = compile_filter(1, spec)
    assert odd not in flt.where and "7.5" not in flt.where and "0.25" not in flt.where
    assert odd in flt.params and [odd] in flt.params
    assert 7.5 in flt.params and 0.25 in flt.params


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        # a class of one source alone is the box index's; with a label type, the SQL's
        ({"labels": {"source": GT, "classes": ["cat"], "type": "mask"}}, [(Strategy.SQL, 1)]),
        ({"labels": {"source": "m1", "where": {"mask_area": {"min": 3}}}}, [(Strategy.SQL, 1)]),
        ({"classifications": {"source": "clf"}}, [(Strategy.SQL, 1)]),
        (
            {"sample": {"split": {"in": ["val"]}}, "classifications": {"classes": ["a"]}},
            [(Strategy.BOX_INDEX, 1), (Strategy.SQL, 1)],
        ),
    ],
)
def test_the_planner_leaves_the_new_conditions_to_its_sql_step(
    spec: dict[str, Any], expected: list[tuple[Strategy, int]]
) -> None:
    flt = parse_filter(spec)
    found = [(s.strategy, len(s.parts)) for s in mask_steps(flt, Held())]
    assert found == expected
    assert plan_page(flt, None, "ASC").strategies[0] is Strategy.MASK
    assert plan_facets(flt).strategies == (Strategy.MASK, Strategy.SQL)
    label = flt.labels[0] if flt.labels else None
    assert label is None or (label.one_bound is None and not label.class_only)
