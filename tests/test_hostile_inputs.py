"""Hostile inputs on a real Jupyter server (issue #33), against the hostile dataset of
:mod:`tests.hostile_fixtures`: every job reads only what the image route serves, names no
file system holds are a placeholder and a count, and odd requests are clear 4xx answers."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.hostile_fixtures import (
    BAD_NAMES,
    HOSTILE_STRINGS,
    READABLE,
    HostileDataset,
    write_hostile_dataset,
)
from tests.media_fixtures import png_claiming_size
from tests.plugin_fixtures import FIELD_PLUGIN_TEMPLATE
from visionlens_jlab.blindspots.attributes import compute_attributes
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.writes.dataset_writer import write_dataset, write_predictions
from visionlens_jlab.catalog.writes.sample_tags import MAX_TAGS_PER_SAMPLE
from visionlens_jlab.cli import main
from visionlens_jlab.embed.job import plan
from visionlens_jlab.embed.models import BUILTIN
from visionlens_jlab.evaluate.api import evaluate_model
from visionlens_jlab.ingest.allowed_roots import read_allowed_roots
from visionlens_jlab.ingest.open import open_dataset, open_predictions

# reads the image through the plugin API: a value for every file it was given
READING_PLUGIN = FIELD_PLUGIN_TEMPLATE.format(
    name="reader",
    field="image_bytes",
    body='return {"image_bytes": [len(context.read_image(s)) for s in context.samples]}',
)
LEAKS = ("no image file", "cannot identify", "does not exist", "secret.jpg", "No such file")


@pytest.fixture
def vl_settings(tmp_path: Path, vl_data_dir: Path) -> dict[str, Any]:
    (vl_data_dir / "plugins").mkdir(parents=True)
    (vl_data_dir / "plugins" / "reader.py").write_text(READING_PLUGIN)
    return {"allowed_roots": [str(tmp_path / "allowed")], "plugin_folder": "on"}


@pytest.fixture
def hostile(tmp_path: Path, vl_app: Any) -> tuple[HostileDataset, dict[str, int], list[Any]]:
    """The hostile dataset ingested as ``hostile``: (its files, sample id by file name,
    the ingest report's warnings)."""
    data = write_hostile_dataset(tmp_path)
    summary = write_dataset(vl_app.catalog, "hostile", open_dataset(str(data.annotations), "coco"))
    with vl_app.catalog.cursor() as cur:
        rows = cur.execute("SELECT file_name, sample_id FROM samples").fetchall()
    return data, {str(name): int(sid) for name, sid in rows}, summary.warnings


def assert_skipped(result: dict[str, Any], ids: dict[str, int], data: HostileDataset) -> None:
    """The job counted the three ways out of the media root and the two impossible names,
    with sample ids as examples, and said nothing about whether those files exist."""
    assert result["refused"] == 3, result
    assert sorted(result["refused_examples"]) == sorted(ids[n] for n in data.refused)
    assert result["bad_names"] == 2, result
    assert sorted(result["bad_name_examples"]) == sorted(ids[n] for n in BAD_NAMES)
    text = json.dumps(result)
    assert not any(leak in text for leak in LEAKS), text


async def test_ingest_report_flags_impossible_names(hostile: Any) -> None:
    _data, _ids, warnings = hostile
    (flagged,) = [w for w in warnings if w["code"] == "image_bad_file_name"]
    assert flagged["count"] == 2
    assert any("NUL" in e and "\\x00" in e for e in flagged["examples"]), flagged
    assert any("longer than the file system allows" in e for e in flagged["examples"])


async def test_image_route_placeholder_for_impossible_names(api: Any, hostile: Any) -> None:
    data, ids, _ = hostile
    for name in BAD_NAMES:
        for params in ({"size": "128"}, None):
            status, body = await api(
                "GET", f"datasets/hostile/samples/{ids[name]}/image", params=params
            )
            assert status == 200 and body[:2] == b"\xff\xd8", (name[:20], params, status)
    for name in data.refused:  # the rule every job now shares
        status, _ = await api("GET", f"datasets/hostile/samples/{ids[name]}/image")
        assert status == 403, name


async def test_embedding_reads_only_what_the_image_route_serves(
    api: Any, wait_job: Any, hostile: Any, vl_app: Any
) -> None:
    data, ids, _ = hostile
    # the work list every runner gets (a worker process, a kernel, the CLI's own process)
    todo = plan(vl_app.catalog, vl_app.vector_store(), "hostile", BUILTIN).todo
    assert sorted(sid for sid, _ in todo) == sorted(ids[n] for n in READABLE)
    root = os.path.realpath(data.images)
    assert all(location.startswith(root + os.sep) for _, location in todo), todo
    status, answer = await api(
        "POST", "datasets/hostile/embed", {"model": "builtin-color-gradient"}
    )
    assert status == 202, answer
    job = await wait_job(answer["job"])
    assert job["status"] == "done", job
    result = job["result"]
    assert result["embedded"] == len(READABLE) and result["failed"] == 0, result
    assert_skipped(result, ids, data)
    # no vector for a refused file: it can neither be found nor used as the query
    status, found = await api("POST", "datasets/hostile/search", {"like": ids[READABLE[0]]})
    assert status == 200, found
    assert {r["sample_id"] for r in found["results"]} == {ids[n] for n in READABLE}
    status, answer = await api("POST", "datasets/hostile/search", {"like": ids[data.refused[0]]})
    assert status == 400 and "no" in answer["message"] and "vector" in answer["message"]


async def test_search_upload_of_a_decompression_bomb_is_413(
    api: Any, wait_job: Any, hostile: Any
) -> None:
    status, answer = await api(
        "POST", "datasets/hostile/embed", {"model": "builtin-color-gradient"}
    )
    assert (await wait_job(answer["job"]))["status"] == "done"
    bomb = base64.b64encode(png_claiming_size(60_000, 60_000)).decode()
    status, answer = await api("POST", "datasets/hostile/search", {"image": bomb})
    assert status == 413, answer
    assert "too many pixels" in answer["message"]


async def test_thumbnails_duplicates_and_attributes_skip_hostile_files(
    api: Any, wait_job: Any, hostile: Any, vl_app: Any, tmp_path: Path
) -> None:
    data, ids, _ = hostile
    thumbnails = vl_app.media.pregenerate(None, "hostile")  # the post-ingest job's body
    assert thumbnails["generated"] == len(READABLE), thumbnails
    assert_skipped(thumbnails, ids, data)
    status, answer = await api("POST", "datasets/hostile/duplicates", {"hashes": True})
    assert status == 202, answer
    job = await wait_job(answer["job"])
    assert job["status"] == "done", job
    assert_skipped(job["result"], ids, data)
    summary = compute_attributes(
        vl_app.catalog, "hostile", str(tmp_path / "attr-cache"), in_process=True
    )
    assert summary["measured"] == len(READABLE), summary
    assert_skipped(summary, ids, data)


async def test_plugin_fields_read_only_what_the_image_route_serves(
    api: Any, wait_job: Any, hostile: Any
) -> None:
    data, ids, _ = hostile
    status, answer = await api("POST", "datasets/hostile/plugin-fields", {"plugin": "reader"})
    assert status == 202, answer
    job = await wait_job(answer["job"])
    assert job["status"] == "done", job
    assert job["result"]["fields"] == {"image_bytes": len(READABLE)}
    assert_skipped(job["result"], ids, data)


async def test_checkpoint_outside_the_allowed_roots_is_refused(api: Any, hostile: Any) -> None:
    for path in ("/etc/passwd", "/nonexistent/weights.pt"):
        status, answer = await api("POST", "datasets/hostile/embed", {"checkpoint": path})
        assert status == 403, answer
        assert "allowed_roots" in answer["message"]
        assert "does not exist" not in answer["message"]


async def test_deeply_nested_json_is_400(api: Any, jp_fetch: Any, hostile: Any) -> None:
    deep = '{"sample": ' * 5000 + "{}" + "}" * 5000
    for path in ("samples/query", "facets"):
        response = await jp_fetch(
            "visionlens",
            "api",
            "datasets",
            "hostile",
            *path.split("/"),
            method="POST",
            body=deep,
            raise_error=False,
        )
        assert response.code == 400, (path, response.body[:300])
        assert b"nested too deeply" in response.body
    deep = '{"sample": ' * 2000 + "{}" + "}" * 2000  # a query argument: under the URL limit
    status, answer = await api("GET", "datasets/hostile/samples", params={"filter": deep})
    assert status == 400 and "nested too deeply" in answer["message"], answer


async def test_tags_per_sample_are_limited(api: Any, hostile: Any) -> None:
    _data, ids, _ = hostile
    one = {"sample": {"file_name": {"in": [READABLE[0]]}}}
    status, answer = await api(
        "POST", "datasets/hostile/tags", {"filter": one, "add": list(HOSTILE_STRINGS)}
    )
    assert status == 200 and answer["updated"] == 1, answer
    many = [f"t{i}" for i in range(MAX_TAGS_PER_SAMPLE)]
    status, answer = await api("POST", "datasets/hostile/tags", {"filter": one, "add": many})
    assert status == 400, answer
    assert f"{MAX_TAGS_PER_SAMPLE:,}" in answer["message"]
    status, sample = await api("GET", f"datasets/hostile/samples/{ids[READABLE[0]]}")
    assert sorted(sample["tags"]) == sorted(HOSTILE_STRINGS)  # the refused change left nothing


async def test_review_of_an_unknown_finding_is_404(api: Any, hostile: Any) -> None:
    status, answer = await api(
        "POST", "datasets/hostile/blindspots/no-such-finding/review", {"verdict": "confirmed"}
    )
    assert status == 404, answer


class TestRootsWrittenAsJson:
    """``allowed_roots`` holding a JSON list as one string, as a JSON config file may."""

    @pytest.fixture
    def vl_settings(self, tmp_path: Path) -> dict[str, Any]:
        roots = [str(tmp_path / "allowed"), str(tmp_path / "shared")]
        return {"allowed_roots": [json.dumps(roots)]}

    async def test_read_as_the_list(self, vl_app: Any, tmp_path: Path) -> None:
        assert vl_app.allowed_roots == [str(tmp_path / "allowed"), str(tmp_path / "shared")]


def test_roots_that_look_like_lists_are_named_in_a_warning() -> None:
    roots, notes = read_allowed_roots(['["/a", "/b"]', "/c", "[/d]"])
    assert roots == ["/a", "/b", "/c", "[/d]"]  # "[/d]" is no JSON list: kept as written
    assert len(notes) == 2
    assert '\'["/a", "/b"]\'' in notes[0] and "JSON list" in notes[0]
    assert "'[/d]'" in notes[1] and "literal name" in notes[1]


def test_cli_duplicates_skip_impossible_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write_hostile_dataset(tmp_path)
    with Catalog(tmp_path / "cli-data") as catalog:
        write_dataset(catalog, "hostile", open_dataset(str(data.annotations), "coco"))
    code = main(["duplicates", "hostile", "--data-dir", str(tmp_path / "cli-data"), "--json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "Traceback" not in out.err
    result = json.loads(out.out)
    assert result["bad_names"] == 2 and result["refused"] == 3, result


async def test_blindspots_job_reports_what_it_did_not_measure(
    api: Any, wait_job: Any, hostile: Any, vl_app: Any, tmp_path: Path
) -> None:
    data, ids, _ = hostile
    coco = json.loads(data.annotations.read_text())
    results = [  # the model finds every box, a little shifted
        {
            "image_id": a["image_id"],
            "category_id": a["category_id"],
            "bbox": [a["bbox"][0] + 1, *a["bbox"][1:]],
            "score": 0.9,
        }
        for a in coco["annotations"]
    ]
    source = tmp_path / "results.json"
    source.write_text(json.dumps(results))
    categories = {c["id"]: c["name"] for c in coco["categories"]}
    parsed = open_predictions(str(source), "coco", categories=categories)
    write_predictions(vl_app.catalog, "hostile", "m", parsed)
    evaluate_model(vl_app.catalog, "hostile", "m")
    status, answer = await api("POST", "datasets/hostile/blindspots", {"model": "m", "min_n": 2})
    assert status == 202, answer
    job = await wait_job(answer["job"])
    assert job["status"] == "done", job
    assert_skipped(job["result"]["attributes"], ids, data)
