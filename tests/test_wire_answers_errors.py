"""The refusals a real server sends are the document's shapes (issue #48 item 5): an edit's
409 is an object conflict, an undo's 409 a sample-tag conflict (``{sample_id, tags}``, the
second shape the lab's ``IEditConflict`` holds), and a 400 or 404 the shared ``Error``
(``{message, reason}``, an edit batch's 400 with its ``index``)."""

from __future__ import annotations

from typing import Any

import pytest

from .test_edits_server import first_cat, toy  # noqa: F401 - the fixture
from .test_sample_labels import dataset
from .test_wire_answers import assert_answers

EDITS = "/datasets/{name}/edits"
UNDO = "/datasets/{name}/edits/undo"


def test_the_conflict_and_error_schemas_refuse_a_mixed_or_unnamed_shape() -> None:
    """The checks bite: half of each conflict, or an error with a key it does not name."""
    half = {"message": "m", "conflict": {"index": None, "sample_id": 1}}
    for body in (half, {"message": "m", "conflict": {"annotation_id": 1, "current": None}}):
        with pytest.raises(AssertionError):
            assert_answers(EDITS, "post", body, "409")
    assert_answers(EDITS, "post", {"message": "m", "reason": None, "index": 2}, "400")
    with pytest.raises(AssertionError):
        assert_answers(EDITS, "post", {"message": "m", "detail": "x"}, "400")


async def test_conflicts_and_errors_answer_as_documented(api: Any, vl_app: Any, toy: str) -> None:  # noqa: F811
    ann = first_cat(vl_app.catalog, toy)
    ops = [{"op": "relabel", "annotation_id": ann, "label": "dog", "expected": {"label": "cat"}}]
    status, done = await api("POST", f"datasets/{toy}/edits", {"operations": ops})
    assert status == 200 and done["applied"] == 1
    # the same edit again expects the cat it no longer is: the object conflict
    status, conflict = await api("POST", f"datasets/{toy}/edits", {"operations": ops})
    assert status == 409 and conflict["conflict"]["current"]["label"] == "dog"
    assert_answers(EDITS, "post", conflict, "409")
    status, invalid = await api("POST", f"datasets/{toy}/edits", {"operations": [{"op": "x"}]})
    assert status == 400 and invalid["index"] == 0
    assert_answers(EDITS, "post", invalid, "400")
    status, missing = await api("POST", "datasets/no-such/edits", {"operations": ops})
    assert status == 404 and missing["message"]
    assert_answers(EDITS, "post", missing, "404")
    status, read_only = await api(
        "POST", f"datasets/{toy}/edits", {"operations": ops, "version": 1}
    )
    assert status == 409 and "read-only" in read_only["message"]
    assert_answers(EDITS, "post", read_only, "409")
    # tag every sample (one logged batch), then change one sample's tags outside the log:
    # undoing the batch would overwrite that change, so it answers the sample-tag conflict
    status, _ = await api("POST", f"datasets/{toy}/tags", {"filter": {}, "add": ["x"]})
    assert status == 200
    ds = dataset(vl_app.catalog, toy)
    with vl_app.catalog.write(ds) as cur:
        cur.execute(
            "UPDATE samples SET tags = ['y'] WHERE sample_id = "
            "(SELECT MIN(sample_id) FROM samples WHERE dataset_id = ?)",
            [ds],
        )
    status, tags = await api("POST", f"datasets/{toy}/edits/undo")
    assert status == 409 and tags["conflict"]["tags"] == ["y"], tags
    assert_answers(UNDO, "post", tags, "409")
    status, no_dataset = await api("GET", "datasets/no-such")
    assert status == 404
    assert_answers("/datasets/{name}", "get", no_dataset, "404")
