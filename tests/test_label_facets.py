"""Facets of the labels beyond the box: label types, mask areas, keypoint counts and
image-level classifications per source equal a pandas count of the rows written, from the
writer's stored part and from the rows; a catalog written before schema step 6 answers
them empty."""

from __future__ import annotations

import tarfile
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import orjson
import pandas as pd

from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.extensions.label_facets import PART, label_entries
from visionlens_jlab.catalog.plan.planner import forced_sql
from visionlens_jlab.catalog.query.facet_places import described
from visionlens_jlab.catalog.reads import queries
from visionlens_jlab.catalog.sql.facet_sql import FACET_HISTOGRAM_BINS
from visionlens_jlab.catalog.writes.dataset_writer import write_dataset

from .catalog_fixtures import RowsSource, toy_rows
from .label_fixtures import SCENES, LabelSource
from .test_label_filters import (  # noqa: F401 - the fixtures
    GT,
    catalog,
    expected,
    ids,
    labels_frame,
    objects_frame,
    rows,
)
from .test_result_cache import plain

OLD_CATALOG = Path(__file__).resolve().parent / "fixtures" / "old_catalog"
LABEL_FACETS = {"label_type", "mask_area", "num_keypoints", "visible_keypoints", "classification",
                "classification_score"}  # fmt: skip


def label_facets(answer: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(f["name"], f["source"]): f for f in answer["facets"] if f["name"] in LABEL_FACETS}


def numeric(values: pd.Series) -> tuple[int, float, float, list[int]]:
    """(count, min, max, bin counts) as the facets bin: 20 equal bins, the last closed."""
    found = values.dropna().to_numpy(dtype=float)
    lo, hi = float(found.min()), float(found.max())
    width = (hi - lo) / FACET_HISTOGRAM_BINS or 1.0
    bins = np.minimum(np.floor((found - lo) / width), FACET_HISTOGRAM_BINS - 1).astype(int)
    n_bins = FACET_HISTOGRAM_BINS if hi > lo else 1
    return len(found), lo, hi, np.bincount(bins, minlength=n_bins).tolist()


def expected_facets(data: dict[str, Any], keep: set[int]) -> dict[tuple[str, str], Any]:
    objs = objects_frame(data)
    objs = objs[objs["index"].isin(keep)]
    labels = labels_frame(data)
    labels = labels[labels["index"].isin(keep)]
    out: dict[tuple[str, str], Any] = {}
    for source in (GT, "m1", "clf"):
        mine, theirs = objs[objs["source"] == source], labels[labels["source"] == source]
        types = {"mask": int(mine["mask_area"].notna().sum()),
                 "keypoints": int(mine["has_points"].sum()), "classification": len(theirs)}  # fmt: skip
        if any(types.values()):
            out[("label_type", source)] = {t: n for t, n in types.items() if n}
        for name, values in (("mask_area", mine["mask_area"]),
                             ("num_keypoints", mine["num_keypoints"]),
                             ("visible_keypoints", mine["visible_keypoints"]),
                             ("classification_score", theirs.get("score"))):  # fmt: skip
            if values is not None and values.notna().any():
                out[(name, source)] = numeric(values)
        if len(theirs):
            out[("classification", source)] = theirs["label"].value_counts().to_dict()
    return out


def found_facets(answer: dict[str, Any]) -> dict[tuple[str, str], Any]:
    out: dict[tuple[str, str], Any] = {}
    for key, entry in label_facets(answer).items():
        if entry["type"] == "categorical":
            out[key] = {v["value"]: v["count"] for v in entry["values"]}
        else:
            bins = [b["count"] for b in entry["histogram"]]
            out[key] = (entry["count"], entry["min"], entry["max"], bins)
    return out


def test_facets_count_what_pandas_counts(catalog: Catalog, rows: dict[str, Any]) -> None:  # noqa: F811 - fixtures
    with plain(catalog):
        whole = queries.facets(catalog, "d", None)
        val = queries.facets(catalog, "d", {"sample": {"split": {"in": ["val"]}}})
    assert found_facets(whole) == expected_facets(rows, set(range(len(rows["samples"]))))
    in_val = {i for i, s in enumerate(rows["samples"]) if s["split"] == "val"}
    assert found_facets(val) == expected_facets(rows, in_val)
    types = label_facets(whole)[("label_type", GT)]["values"]
    assert [v["value"] for v in types] == ["mask", "keypoints", "classification"]
    assert set(found_facets(whole)[("classification", "clf")]) <= set(SCENES)
    assert ("classification_score", GT) not in found_facets(whole)  # ground truth has none


def test_a_facet_is_counted_without_its_own_condition(
    catalog: Catalog,  # noqa: F811 - the fixture
    rows: dict[str, Any],  # noqa: F811 - the fixture
) -> None:
    types = {"source": GT, "type": ["mask"]}
    night = {"source": GT, "classes": ["night"]}
    scored = {"source": "clf", "score": {"min": 0.3}}
    spec = {"labels": types, "classifications": [night, scored]}
    with plain(catalog):
        answer = found_facets(queries.facets(catalog, "d", spec))
    with plain(catalog), forced_sql():
        assert found_facets(queries.facets(catalog, "d", spec)) == answer

    def over(kept: dict[str, Any], key: tuple[str, str]) -> Any:
        keep = (
            expected(rows, {"labels": types})
            if "labels" in kept
            else set(range(len(rows["samples"])))
        )
        for cond in kept.get("classifications", []):
            keep &= expected(rows, {"classifications": cond})
        return expected_facets(rows, keep).get(key)

    # each facet of a condition over the filter without it; the others over all of it
    assert answer[("classification", GT)] == over(
        {"labels": types, "classifications": [scored]}, ("classification", GT)
    )
    assert answer[("classification_score", "clf")] == over(
        {"labels": types, "classifications": [night]}, ("classification_score", "clf")
    )
    assert answer[("label_type", GT)] == over(
        {"classifications": [night, scored]}, ("label_type", GT)
    )
    assert answer[("mask_area", GT)] == over(spec, ("mask_area", GT))
    assert answer[("classification", GT)] != over(spec, ("classification", GT))  # it widened


def test_the_unfiltered_facets_are_the_stored_part(catalog: Catalog) -> None:  # noqa: F811 - fixtures
    with catalog.cursor() as cur:
        ds = catalog.dataset_id(cur, "d")
        stored = cur.execute(
            "SELECT entries FROM facet_parts WHERE dataset_id = ? AND part = ?", [ds, PART]
        ).fetchall()
        from_rows = label_entries(cur, ds, None)
    assert len(stored) == 1 and from_rows
    with plain(catalog):
        answer = queries.facets(catalog, "d", None)
    # the answer adds each facet's declared place (facet_places.py)
    assert [f for f in answer["facets"] if f["name"] in LABEL_FACETS] == [
        described(f) for f in from_rows
    ]


def test_a_catalog_from_before_step_6_counts_its_label_facets_from_rows(tmp_path: Path) -> None:
    """Written before the stored part (no part: counted from the rows), with polygons that
    migration step 16 gave their mask areas (test_catalog_migration_masks.py)."""
    with tarfile.open(OLD_CATALOG / "data.tar.gz") as tar:
        tar.extractall(tmp_path, filter="data")
    with Catalog(tmp_path / "data") as old:
        name = old.list_datasets()[0]["name"]
        with old.cursor() as cur:
            ds = old.dataset_id(cur, name)
            parts = cur.execute(
                "SELECT COUNT(*) FROM facet_parts WHERE dataset_id = ? AND part = ?", [ds, PART]
            ).fetchall()
            ((masks, with_masks),) = cur.execute(
                "SELECT COUNT(*), COUNT(DISTINCT sample_id) FROM annotations "
                "WHERE dataset_id = ? AND segmentation IS NOT NULL",
                [ds],
            ).fetchall()
        assert parts == [(0,)]  # written before the part existed
        whole = queries.facets(old, name, None)
        some = queries.facets(old, name, {"labels": {"type": "mask"}})
        narrowed = queries.facets(old, name, {"sample": {"width": {"min": 1}}})
        mismatched = {
            "classifications": {"source": "predictions", "differs_from_ground_truth": True}
        }
        page = queries.samples_page(old, name, mismatched, limit=5)
    facets = label_facets(whole)
    assert masks > 0 and set(facets) == {("label_type", GT), ("mask_area", GT)}
    assert facets[("label_type", GT)]["values"] == [{"value": "mask", "count": masks}]
    assert facets[("mask_area", GT)]["count"] == masks
    assert some["total"] == with_masks and label_facets(some) == facets
    assert narrowed["total"] == whole["total"] and label_facets(narrowed) == facets
    assert page["total"] == 0


def test_a_dataset_of_boxes_only_stores_an_empty_part(tmp_path: Path) -> None:
    samples, boxes, classes = toy_rows()
    with Catalog(tmp_path) as boxes_only:
        write_dataset(boxes_only, "toy", RowsSource(samples, boxes, classes))
        with boxes_only.cursor() as cur:
            ds = boxes_only.dataset_id(cur, "toy")
            stored = cur.execute(
                "SELECT entries FROM facet_parts WHERE dataset_id = ? AND part = ?", [ds, PART]
            ).fetchall()
        assert stored == [("[]",)]
        specs = [None, {"sample": {"split": {"in": ["val"]}}}, {"labels": {"type": "mask"}}]
        totals = [queries.facets(boxes_only, "toy", spec)["total"] for spec in specs]
        answers = [queries.facets(boxes_only, "toy", spec) for spec in specs]
    assert totals == [6, 2, 0]
    assert not any(label_facets(answer) for answer in answers)


def test_step_8_restores_the_visible_keypoints_of_a_part_stored_before_them(
    tmp_path: Path,
    rows: dict[str, Any],  # noqa: F811 - the fixture
) -> None:
    """A catalog at schema 7 whose stored part has no ``visible_keypoints`` entries (what the
    code of step 7 wrote) is migrated without the part: its facets are counted from the rows
    (a recount in the step read columns of later steps: test_catalog_migration_v15.py)."""
    with Catalog(tmp_path / "data") as cat:
        write_dataset(cat, "d", LabelSource(rows))
        with cat.cursor() as cur:
            ds = cat.dataset_id(cur, "d")
            fresh = label_entries(cur, ds, None)
    assert any(e["name"] == "visible_keypoints" for e in fresh)
    old = [e for e in fresh if e["name"] != "visible_keypoints"]
    con = duckdb.connect(str(tmp_path / "data" / "catalog.duckdb"))
    con.execute(
        "UPDATE facet_parts SET entries = ? WHERE dataset_id = ? AND part = ?",
        [orjson.dumps(old).decode(), ds, PART],
    )
    con.execute("UPDATE meta SET value = '7' WHERE key = 'schema_version'")
    con.close()
    with Catalog(tmp_path / "data") as cat:
        with cat.cursor() as cur:
            stored = cur.execute(
                "SELECT COUNT(*) FROM facet_parts WHERE dataset_id = ? AND part = ?", [ds, PART]
            ).fetchall()
        answer = label_facets(queries.facets(cat, "d", None))
    assert stored == [(0,)]
    assert answer == label_facets({"facets": [described(e) for e in fresh]})


def test_the_box_index_mask_path_counts_what_the_sql_path_counts(
    catalog: Catalog,  # noqa: F811 - the fixture
    rows: dict[str, Any],  # noqa: F811 - the fixture
    monkeypatch: Any,
) -> None:
    import visionlens_jlab.catalog.extensions.label_facets as label_facets

    answered: list[Any] = []
    kept_rows = label_facets._masked_entries

    def spied(*args: Any) -> Any:
        answered.append(args)
        return kept_rows(*args)

    monkeypatch.setattr(label_facets, "_masked_entries", spied)
    for spec in (
        {"sample": {"split": {"in": ["val"]}}},
        {"labels": {"source": GT, "type": ["keypoints"]}},
        {"sample": {"split": {"in": ["nope"]}}},  # no sample
    ):
        with plain(catalog):
            indexed = found_facets(queries.facets(catalog, "d", spec))
        with plain(catalog), forced_sql():
            assert found_facets(queries.facets(catalog, "d", spec)) == indexed, spec
        if "labels" not in spec:  # (label_type is counted without its own condition)
            assert indexed == expected_facets(rows, expected(rows, spec)), spec
    assert answered  # the in-memory path answered (the box index held the filter's mask)
