"""Selection rules that a wrong bound would change silently: a target share of 0 is allowed
(so long as one is above 0), a strategy named twice is refused, label quality reads the
per-class score as well as the per-label one, and the records list newest first with ids
counting up."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.extensions.computed import write_computed
from visionlens_jlab.catalog.reads.queries import sample_ids
from visionlens_jlab.catalog.writes.dataset_writer import write_dataset
from visionlens_jlab.select.records import list_selections
from visionlens_jlab.select.request import SelectionError, parse_request
from visionlens_jlab.select.service import run_selection

from .test_evaluate_classification import CLASSES, LabelsSource


def test_a_share_of_zero_leaves_its_value_out(tmp_path: Path) -> None:
    gt = [{"sample_index": i, "label": CLASSES[i % 3]} for i in range(12)]
    with Catalog(tmp_path / "catalog") as catalog:
        write_dataset(catalog, "pics", LabelsSource(12, gt))
        ids = sample_ids(catalog, "pics", None).to_pylist()
        request = parse_request({"count": 12, "strategies": "balance",
                                 "balance_target": {"k0": 1, "k1": 1, "k2": 0}})  # fmt: skip
        out = run_selection(catalog, None, "pics", request)
    label = {s: CLASSES[i % 3] for i, s in enumerate(ids)}
    assert Counter(label[s] for s in out["sample_ids"]) == {"k0": 4, "k1": 4}


def test_a_strategy_named_twice_is_refused() -> None:
    with pytest.raises(SelectionError, match="'random' is given twice"):
        parse_request({"count": 3, "strategies": "random,uncertainty,random:2"})


def test_records_list_newest_first(tmp_path: Path) -> None:
    gt = [{"sample_index": i, "label": CLASSES[0]} for i in range(6)]
    with Catalog(tmp_path / "catalog") as catalog:
        write_dataset(catalog, "pics", LabelsSource(6, gt))
        runs = [
            run_selection(
                catalog, None, "pics", parse_request({"count": c, "strategies": "random"})
            )
            for c in (1, 2, 3)
        ]
        listed = list_selections(catalog, "pics")
    assert [r["id"] for r in runs] == [runs[0]["id"] + i for i in range(3)]
    assert [r["id"] for r in listed] == [r["id"] for r in reversed(runs)]
    assert [r["chosen"] for r in listed] == [3, 2, 1]


def test_label_quality_reads_the_per_class_score(tmp_path: Path) -> None:
    """``lq_class_score`` alone (label quality's per-class run) is a label-quality score:
    the lowest first."""
    gt = [{"sample_index": i, "label": CLASSES[0]} for i in range(6)]
    scores = np.array([0.5, 0.1, 0.9, 0.3, 0.7, 0.2])
    with Catalog(tmp_path / "catalog") as catalog:
        write_dataset(catalog, "pics", LabelsSource(6, gt))
        ids = sample_ids(catalog, "pics", None).to_numpy()
        with catalog.cursor() as cur:
            dataset_id = catalog.dataset_id(cur, "pics")
        write_computed(catalog, dataset_id, {"lq_class_score": (ids, scores)}, producer="lq")
        request = parse_request({"count": 6, "strategies": "label_quality"})
        out = run_selection(catalog, None, "pics", request)
    assert out["sample_ids"] == ids[np.argsort(scores)].tolist()
