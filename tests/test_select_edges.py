"""Selection on the edges a real user hits, through the service's public functions: bounds
the record cannot keep, shares and model pairs that would choose nothing or everything by
accident, a tag already in use, and samples deleted while the run chose them (nothing is
written: the record and the tag commit together)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from visionlens_jlab.catalog import Catalog, ConflictError
from visionlens_jlab.catalog.reads.queries import sample_ids
from visionlens_jlab.catalog.writes.dataset_writer import write_dataset, write_predictions
from visionlens_jlab.catalog.writes.sample_tags import update_tags
from visionlens_jlab.edits.sample_deletes import delete_samples
from visionlens_jlab.select.records import list_selections
from visionlens_jlab.select.request import SelectionError, parse_request
from visionlens_jlab.select.service import run_selection

from .test_evaluate_classification import CLASSES, LabelsSource

N = 12


@pytest.fixture
def pics(tmp_path: Path) -> Any:
    """Twelve images of three classes, ground truth on each."""
    catalog = Catalog(tmp_path / "catalog")
    gt = [{"sample_index": i, "label": CLASSES[i % 3]} for i in range(N)]
    write_dataset(catalog, "pics", LabelsSource(N, gt))
    yield catalog, sample_ids(catalog, "pics", None).to_numpy()
    catalog.close()


def _select(catalog: Catalog, **body: Any) -> dict[str, Any]:
    return run_selection(catalog, None, "pics", parse_request(body), user="tester")


def test_a_seed_past_64_bits_is_refused_before_the_run(pics: Any) -> None:
    catalog, _ = pics
    with pytest.raises(SelectionError, match="'seed' must be a whole number from 0 to"):
        _select(catalog, count=2, strategies="random", seed=2**63)
    assert _select(catalog, count=2, strategies="random", seed=2**63 - 1)["chosen"] == 2
    assert [s["seed"] for s in list_selections(catalog, "pics")] == [2**63 - 1]


def test_an_infinite_balance_share_is_refused(pics: Any) -> None:
    """JSON's ``Infinity`` parses: a share of it made every share NaN and chose nothing."""
    catalog, _ = pics
    with pytest.raises(SelectionError, match="'balance_target' must map values to finite"):
        _select(catalog, count=3, strategies="balance", balance_target={"k0": float("inf")})
    out = _select(catalog, count=3, strategies="balance", balance_target={"k0": 1e300, "k1": 1})
    assert out["chosen"] == 3


def test_disagreement_of_a_model_with_itself_is_refused(pics: Any) -> None:
    """A model agrees with itself everywhere: every score was 0 and the 'choice' id order."""
    catalog, _ = pics
    labels = [{"image_ref": str(i), "label": CLASSES[0], "score": 0.6} for i in range(N)]
    write_predictions(catalog, "pics", "clf", LabelsSource(0, labels, predictions=True))
    with pytest.raises(SelectionError, match="'clf' is named twice"):
        _select(catalog, count=3, strategies="disagreement", models=["clf", "clf"])


def test_samples_deleted_while_choosing_write_nothing(pics: Any) -> None:
    """The record and the tag commit together: before, the record named all twelve chosen
    and the tag went on the six still there."""
    catalog, ids = pics

    def delete_half(done: int, count: int) -> None:
        if done == count:  # the choice is made; the write comes next
            delete_samples(catalog, "pics", ids[:6], "someone", None)

    request = parse_request({"count": N, "strategies": "random", "tag": "next"})
    with pytest.raises(ConflictError, match="6 of the 12 chosen samples were deleted"):
        run_selection(catalog, None, "pics", request, progress=delete_half)
    assert list_selections(catalog, "pics") == []
    assert len(sample_ids(catalog, "pics", {"tags": {"any": ["next"]}})) == 0
    assert run_selection(catalog, None, "pics", request)["chosen"] == 6  # run again: the rest


def test_a_tag_in_use_is_refused_and_the_first_selection_keeps_it(pics: Any) -> None:
    """Re-running under a name refuses: before, the second run added its samples to the
    first's tag, which then named both selections (and a user's own tag likewise)."""
    catalog, ids = pics
    first = _select(catalog, count=2, strategies="random", tag="batch", seed=5)
    with pytest.raises(ConflictError, match="tag 'batch' is already on 2 samples"):
        _select(catalog, count=2, strategies="random", tag="batch", seed=6)
    tagged = sample_ids(catalog, "pics", {"tags": {"any": ["batch"]}}).to_pylist()
    assert sorted(tagged) == sorted(first["sample_ids"])
    assert [s["tag"] for s in list_selections(catalog, "pics")] == ["batch"]
    update_tags(catalog, "pics", {"ids": [int(ids[0])]}, add=["mine"])
    with pytest.raises(ConflictError, match="tag 'mine' is already on 1 samples"):
        _select(catalog, count=2, strategies="random", tag="mine")
