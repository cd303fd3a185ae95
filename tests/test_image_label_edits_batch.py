"""Image-label operations within one batch: later operations see earlier ones, a label kept
keeps its row (its score), and ``expected`` is compared in any order (issue #51)."""

from __future__ import annotations

from typing import Any

import pytest

from visionlens_jlab import edits
from visionlens_jlab.catalog import Catalog

from .test_image_label_edits import (
    NAME,
    catalog,  # noqa: F401 - the fixture
    ids,
    labels,
    rows,
)


def scores(cat: Catalog, sample_id: int) -> dict[str, Any]:
    """The ground-truth image labels of one sample with their scores."""
    with cat.cursor() as cur:
        found = cur.execute(
            "SELECT label, score FROM classifications WHERE sample_id = ? "
            "AND source = 'ground_truth'",
            [sample_id],
        ).fetchall()
    return dict(found)


def test_later_operations_of_a_batch_see_the_earlier_ones(catalog: Catalog) -> None:  # noqa: F811
    sid = ids(catalog)
    # a.jpg is a cat: made a cat and a dog, then its cat removed, in one batch
    done = edits.apply_edits(catalog, NAME, [
        {"op": "classify", "sample_id": sid["a.jpg"], "labels": ["cat", "dog"]},
        {"op": "unclassify", "sample_id": sid["a.jpg"], "label": "cat"},
    ], "ann")  # fmt: skip
    assert done["sample_ids"] == [sid["a.jpg"]]
    assert labels(catalog)[sid["a.jpg"]] == ["dog"]
    # one log row per sample: its labels before the batch and after it
    (logged,) = edits.edit_log(catalog, NAME)["operations"]
    assert (logged["before"]["labels"], logged["after"]["labels"]) == (["cat"], ["dog"])


def test_a_sample_whose_labels_end_as_they_began_is_not_logged(
    catalog: Catalog,  # noqa: F811
) -> None:
    sid = ids(catalog)
    done = edits.apply_edits(catalog, NAME, [
        {"op": "classify", "sample_id": sid["a.jpg"], "label": "dog"},
        {"op": "classify", "sample_id": sid["a.jpg"], "label": "cat"},  # back to its label
        {"op": "unclassify", "sample_id": sid["c.jpg"]},
    ], "ann")  # fmt: skip
    assert done["sample_ids"] == [sid["c.jpg"]]
    assert [o["sample_id"] for o in edits.edit_log(catalog, NAME)["operations"]] == [sid["c.jpg"]]


def test_a_label_kept_keeps_its_score(catalog: Catalog) -> None:  # noqa: F811
    sid = ids(catalog)
    with catalog.write() as cur:  # a ground-truth label with a score (a soft label)
        cur.execute(
            "UPDATE classifications SET score = 0.75 WHERE sample_id = ? AND label = 'cat'",
            [sid["a.jpg"]],
        )
    edits.apply_edits(catalog, NAME, [
        {"op": "classify", "sample_id": sid["a.jpg"], "labels": ["dog", "cat"]}], "ann")  # fmt: skip
    assert scores(catalog, sid["a.jpg"]) == {"cat": 0.75, "dog": None}


def test_expected_labels_match_in_any_order(catalog: Catalog) -> None:  # noqa: F811
    sid = ids(catalog)
    edits.apply_edits(catalog, NAME, [
        {"op": "classify", "sample_id": sid["c.jpg"], "labels": ["dog", "cat"]}], "ann")  # fmt: skip
    before = rows(catalog)
    for seen in (["dog", "cat"], ["cat", "dog"]):
        edits.apply_edits(catalog, NAME, [
            {"op": "classify", "sample_id": sid["c.jpg"], "label": "bird",
             "expected": {"labels": seen}}], "ann")  # fmt: skip
        assert labels(catalog)[sid["c.jpg"]] == ["bird"]
        edits.undo(catalog, NAME, "ann")
        assert rows(catalog) == before
    with pytest.raises(edits.ImageLabelConflict):
        edits.apply_edits(catalog, NAME, [
            {"op": "classify", "sample_id": sid["c.jpg"], "label": "bird",
             "expected": {"labels": ["dog"]}}], "ann")  # fmt: skip
