"""Image-label edits through the real entry points (issue #51): the REST routes (each
answer valid against the document's schema, the 409 of a stale edit included) and
``ds.edit([...])`` in a real kernel."""

from __future__ import annotations

from typing import Any

from tests.notebook_fixtures import running_kernel

from .test_edits_server import toy  # noqa: F401 - the fixture
from .test_wire_answers import assert_answers

EDITS = "/datasets/{name}/edits"


def first_sample(vl_app: Any, name: str) -> int:
    with vl_app.catalog.cursor() as cur:
        ((sample_id,),) = cur.execute(
            "SELECT MIN(s.sample_id) FROM samples s JOIN datasets d USING (dataset_id) "
            "WHERE d.name = ?",
            [name],
        ).fetchall()
    return int(sample_id)


async def test_rest_classify_conflict_log_diff_and_undo(
    api: Any,
    vl_app: Any,
    toy: str,  # noqa: F811 - the fixture
) -> None:
    sid = first_sample(vl_app, toy)
    edits, versions = f"datasets/{toy}/edits", f"datasets/{toy}/versions"
    status, _ = await api("POST", versions, {"message": "before"})
    assert status == 200
    ops = [{"op": "classify", "sample_id": sid, "labels": ["outdoor", "<b>x</b>"]}]
    status, done = await api("POST", edits, {"operations": ops})
    assert status == 200 and done["applied"] == 1 and done["sample_ids"] == [sid], done
    assert_answers(EDITS, "post", done)
    stale = [{"op": "unclassify", "sample_id": sid, "expected": {"labels": []}}]
    status, conflict = await api("POST", edits, {"operations": stale})
    assert status == 409, conflict
    assert conflict["conflict"] == {
        "index": 0, "sample_id": sid, "source": "ground_truth", "labels": ["<b>x</b>", "outdoor"],
    }  # fmt: skip
    assert_answers(EDITS, "post", conflict, "409")
    status, log = await api("GET", edits)
    assert status == 200 and log["operations"][0]["op"] == "image_labels"
    assert log["operations"][0]["after"]["labels"] == ["<b>x</b>", "outdoor"]
    assert_answers(EDITS, "get", log)
    status, diff = await api("GET", f"{versions}/diff", params={"from": "1"})
    assert status == 200 and diff["image_labels"]["added"] == 2 and diff["samples_changed"] == 1
    assert_answers("/datasets/{name}/versions/diff", "get", diff)
    status, page = await api("GET", f"datasets/{toy}/samples", params={"version": "1"})
    assert status == 200
    shown = {s["sample_id"]: s["classifications"] for s in page["samples"]}
    assert shown[sid] == []  # the version's image labels: none yet
    status, undone = await api("POST", f"{edits}/undo")
    assert status == 200 and undone["applied"] == 1
    assert_answers(f"{EDITS}/undo", "post", undone)
    status, diff = await api("GET", f"{versions}/diff", params={"from": "1"})
    assert diff["image_labels"] == {"added": 0, "removed": 0, "by_class": {}}


async def test_notebook_classifies_and_undoes(vl_app: Any, toy: str) -> None:  # noqa: F811
    sid = first_sample(vl_app, toy)
    async with running_kernel() as k:
        out = await k.check(
            "import visionlens_jlab.notebook as vl\n"
            "ds = vl.dataset('toy')\n"
            f"done = ds.edit([{{'op': 'classify', 'sample_id': {sid}, 'label': 'indoor'}}])\n"
            "log = ds.edit_log()\n"
            "t = log.iloc[0]\n"
            "try:\n"
            f"    ds.edit([{{'op': 'classify', 'sample_id': {sid}, 'label': 'x',\n"
            "              'expected': {'labels': []}}])\n"
            "except vl.VisionLensError as exc:\n"
            "    conflict = str(exc)\n"
            "ds.undo()\n"
            "print(done['applied'], t.op, list(t.labels_before), list(t.labels_after),\n"
            "      'HTTP 409' in conflict, len(ds.edit_log()))\n"
        )
    assert out.split() == ["1", "image_labels", "[]", "['indoor']", "True", "2"]
    with vl_app.catalog.cursor() as cur:
        left = cur.execute(
            "SELECT COUNT(*) FROM classifications WHERE sample_id = ?", [sid]
        ).fetchall()
    assert left == [(0,)]


async def test_rest_refuses_an_overlong_or_control_character_label_with_a_400(
    api: Any,
    vl_app: Any,
    toy: str,  # noqa: F811 - the fixture
) -> None:
    sid = first_sample(vl_app, toy)
    edits = f"datasets/{toy}/edits"
    for label, words in (("z" * 5000, "at most 200 characters"), ("a\tb", "control character")):
        ops = [{"op": "classify", "sample_id": sid, "label": label}]
        status, answer = await api("POST", edits, {"operations": ops})
        assert status == 400 and words in answer["message"] and answer["index"] == 0, answer
        assert_answers(EDITS, "post", answer, "400")
    with vl_app.catalog.cursor() as cur:
        assert cur.execute("SELECT COUNT(*) FROM classifications").fetchall() == [(0,)]
    status, log = await api("GET", edits)
    assert status == 200 and log["operations"] == []
