"""A selection that would choose nothing, or rank by nothing, is refused before anything is
written (before, an empty record and its tag were stored as if the run had chosen): no
candidate (the filter matches none, or the excluded tags and ground truth take them all),
and a model or quality strategy scoring none of the candidates. The CLI says why on one
line (exit 1); the REST route answers 400 before a job is queued."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.extensions.computed import write_computed
from visionlens_jlab.catalog.reads.queries import sample_ids
from visionlens_jlab.catalog.writes.dataset_writer import write_dataset, write_predictions
from visionlens_jlab.catalog.writes.sample_tags import update_tags
from visionlens_jlab.select.records import list_selections
from visionlens_jlab.select.request import SelectionError, parse_request
from visionlens_jlab.select.service import run_selection

from .test_embeddings_import import cli
from .test_evaluate_classification import CLASSES, LabelsSource
from .test_select_server import add_pictures

N = 12
VAL = {"classifications": {"source": "ground_truth", "classes": [CLASSES[1]]}}
"""The samples of the second class (4 of the 12)."""


@pytest.fixture
def pics(tmp_path: Path) -> Any:
    """Twelve images of three classes, ground truth on each; a classifier's prediction on
    the first class's four only."""
    catalog = Catalog(tmp_path / "catalog")
    gt = [{"sample_index": i, "label": CLASSES[i % 3]} for i in range(N)]
    write_dataset(catalog, "pics", LabelsSource(N, gt))
    labels = [{"image_ref": str(i), "label": CLASSES[0], "score": 0.6} for i in range(0, N, 3)]
    write_predictions(catalog, "pics", "clf", LabelsSource(0, labels, predictions=True))
    yield catalog
    catalog.close()


def tagged(catalog: Catalog, tag: str) -> int:
    return len(sample_ids(catalog, "pics", {"tags": {"any": [tag]}}))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"strategies": "random", "filter": {"tags": {"any": ["nope"]}}},
         "no candidates: the filter matches no sample; widen or drop 'filter'"),
        ({"strategies": "uncertainty", "exclude_tags": ["sent"]},
         "the filter matches 12 samples, and of them 12 carry an excluded tag (sent): drop "
         "it from 'exclude_tags'"),
        ({"strategies": "random", "exclude_labelled": True},
         "12 have ground truth: set 'exclude_labelled' to false"),
        ({"strategies": "uncertainty", "filter": VAL},
         "'uncertainty': none of the 4 candidates has a prediction of model 'clf'; widen"),
        ({"strategies": "entropy,random", "filter": VAL}, "'entropy': none of the 4 candidates"),
    ],
)  # fmt: skip
def test_a_selection_of_nothing_is_refused_and_writes_nothing(
    pics: Catalog, body: dict[str, Any], message: str
) -> None:
    update_tags(pics, "pics", {"ids": sample_ids(pics, "pics", None).to_pylist()}, add=["sent"])
    request = parse_request({"count": 3, "tag": "next", **body})
    with pytest.raises(SelectionError, match=re.escape(message)):
        run_selection(pics, None, "pics", request)
    assert list_selections(pics, "pics") == [] and tagged(pics, "next") == 0
    # the same run over the predicted samples, with nothing excluded, chooses
    fine = {**body, "filter": None, "exclude_tags": [], "exclude_labelled": False}
    out = run_selection(pics, None, "pics", parse_request({"count": 3, "tag": "next", **fine}))
    assert out["chosen"] == 3 and tagged(pics, "next") == 3


def test_a_quality_strategy_scoring_no_candidate_is_refused(pics: Catalog) -> None:
    """Label-quality scores on two samples of the first class: before, the second class's
    four were "ranked" by no score at all, in id order."""
    with pics.cursor() as cur:
        dataset_id = pics.dataset_id(cur, "pics")
    ids = sample_ids(pics, "pics", None).to_numpy()
    write_computed(
        pics, dataset_id, {"lq_score": (ids[[0, 3]], np.array([0.2, 0.4]))}, producer="test"
    )
    request = parse_request({"count": 2, "strategies": "label_quality", "filter": VAL})
    with pytest.raises(SelectionError, match="none of the 4 candidates has a label-quality score"):
        run_selection(pics, None, "pics", request)
    assert list_selections(pics, "pics") == []
    assert run_selection(pics, None, "pics", parse_request({"count": 2,
                         "strategies": "label_quality"}))["chosen"] == 2  # fmt: skip


def test_the_cli_refuses_on_one_line_with_nothing_written(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with Catalog(data_dir) as catalog:
        write_dataset(catalog, "pics", LabelsSource(N, [{"sample_index": 0, "label": "k0"}]))
    flt = json.dumps({"tags": {"any": ["nope"]}})
    out = cli(data_dir, "select", "pics", "--count", "2", "--strategy", "random", "--filter", flt)
    assert out.returncode == 1 and "Traceback" not in out.stderr, out.stderr
    (error,) = json.loads(out.stdout)["errors"]
    assert error["message"].startswith("no candidates: the filter matches no sample")
    with Catalog(data_dir) as catalog:
        assert list_selections(catalog, "pics") == []


async def test_rest_refuses_no_candidates_with_a_400_before_queueing(vl_app: Any, api: Any) -> None:
    ids = add_pictures(vl_app)
    update_tags(vl_app.catalog, "pics", {"ids": ids}, add=["sent"])
    body = {"count": 3, "strategies": ["random"], "exclude_tags": ["sent"]}
    status, answer = await api("POST", "datasets/pics/selections", body)
    assert status == 400 and "24 carry an excluded tag (sent)" in answer["message"], answer
    status, jobs = await api("GET", "jobs")
    assert not [j for j in jobs["jobs"] if j["kind"] == "selection"]
    assert list_selections(vl_app.catalog, "pics") == []
