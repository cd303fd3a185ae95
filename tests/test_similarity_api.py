"""Search and duplicates through a real Jupyter server: REST, the CLI (through the server
and on its own) and the notebook API in a real kernel, on the planted-duplicates photos."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from visionlens_jlab.catalog import Catalog
from visionlens_jlab.search import QueryEncoder, register_query_encoder
from visionlens_jlab.vectors import open_vector_store

from .dedup_fixtures import (
    EXPECTED,
    EXPECTED_LEAKS,
    MODEL,
    THRESHOLD,
    add_planted_dataset,
    descriptor,
)
from .notebook_fixtures import running_kernel
from .test_cli_server_routing import run_cli


@pytest.fixture
def planted(vl_app: Any, tmp_path: Path, http_server_client: Any) -> dict[str, int]:
    """The planted dataset in the server's catalog and vector store (the server listens)."""
    # the pixel descriptor has an image tower but no text tower, like the built-in embedder
    register_query_encoder(MODEL, lambda space: QueryEncoder(descriptor, None))
    return add_planted_dataset(vl_app.catalog, vl_app.vector_store(), tmp_path / "images")


async def test_search_endpoint(api: Any, planted: dict[str, int], tmp_path: Path) -> None:
    t2 = planted["train/t2.jpg"]
    status, out = await api("POST", "datasets/planted/search", {"like": t2, "k": 3})
    assert status == 200, out
    assert out["model"] == MODEL and out["strategy"] == "memory"  # the server's matrix cache
    assert [r["sample_id"] for r in out["results"][:2]] == [t2, planted["val/q60_2.jpg"]]
    assert out["results"][1]["file_name"] == "val/q60_2.jpg"
    assert "not finished: results cover only the" in out["warning"]
    assert out["results"][0]["score"] >= out["results"][1]["score"] >= out["results"][2]["score"]
    # within a filter: the best match outside val is the train original itself, then others
    body = {
        "like": planted["val/q60_2.jpg"],
        "k": 50,
        "filter": {"sample": {"split": {"in": ["val"]}}},
    }
    status, out = await api("POST", "datasets/planted/search", body)
    assert status == 200 and out["matched"] == 11 and len(out["results"]) == 11
    assert {r["sample_id"] for r in out["results"]} == {
        v for k, v in planted.items() if k.startswith("val/")
    }
    # an uploaded image: the resized copy of t4 finds t4 and its copy first
    image = base64.b64encode((tmp_path / "images" / "val" / "small_4.jpg").read_bytes()).decode()
    status, out = await api("POST", "datasets/planted/search", {"image": image, "k": 2})
    assert status == 200, out
    assert {r["sample_id"] for r in out["results"]} == {
        planted["train/t4.jpg"],
        planted["val/small_4.jpg"],
    }
    assert out["code"] == "vl.dataset('planted').search(like='path/to/query.jpg', k=2)"


@pytest.mark.parametrize(
    ("body", "status", "needle"),
    [
        ({"text": "a dog"}, 400, "text search needs a model with a text tower"),
        ({"like": 1, "text": "x"}, 400, "exactly one of"),
        ({}, 400, "exactly one of"),
        ({"like": "3"}, 400, "'like': '3' is not of type 'integer'"),
        ({"like": 999999}, 400, "no sample 999999"),
        ({"like": 1, "k": 0}, 400, "'k': 0 is less than the minimum of 1"),
        ({"like": 1, "filter": [1]}, 400, "'filter': [1] is not of type 'object'"),
        (
            {"like": 1, "filter": {"sample": {"computed.nope": {"min": 1}}}},
            400,
            "unknown computed field",
        ),
        ({"like": 1, "model": "ViT-B-32"}, 400, "run `visionlens embed planted`"),
        ({"image": "not base64!"}, 400, "not valid base64"),
        ({"image": "A" * (28 * 2**20)}, 413, "larger than"),
    ],
)
async def test_search_errors(
    api: Any, planted: dict[str, int], body: dict[str, Any], status: int, needle: str
) -> None:
    code, answer = await api("POST", "datasets/planted/search", body)
    assert code == status, answer
    assert needle in answer["message"]


async def test_text_refusal_names_no_model_that_is_not_here(
    api: Any, planted: dict[str, int]
) -> None:
    """The refusal says where the models of this machine are listed; it never suggests
    ViT-B-32, whose weights may not be here (issue #32: the embed dialog said so)."""
    code, answer = await api("POST", "datasets/planted/search", {"text": "a dog"})
    assert code == 400
    assert "ViT-B-32" not in answer["message"]
    assert "`visionlens models`" in answer["message"]


async def test_search_without_vectors_says_to_embed(api: Any, vl_app: Any, tmp_path: Path) -> None:
    add_planted_dataset(vl_app.catalog, None, tmp_path / "images", name="bare")
    code, answer = await api("POST", "datasets/bare/search", {"like": 1})
    assert code == 400
    assert "has no vectors yet: run `visionlens embed bare`" in answer["message"]
    code, answer = await api("POST", "datasets/none/search", {"like": 1})
    assert code == 404


async def test_duplicates_job_fields_and_facets(
    api: Any, wait_job: Any, planted: dict[str, int]
) -> None:
    # None computed yet is an empty answer, not an error; an unknown dataset is a 404.
    assert await api("GET", "datasets/planted/duplicates") == (204, b"")
    code, answer = await api("GET", "datasets/nope/duplicates")
    assert code == 404 and "nope" in answer["message"]
    for body, needle in (
        ({"threshold": 2}, "'threshold': 2 is greater than the maximum of 1"),
        ({"exact": "yes"}, "'exact': 'yes' is not of type 'boolean'"),
    ):
        code, answer = await api("POST", "datasets/planted/duplicates", body)
        assert code == 400 and needle in answer["message"]
    code, answer = await api("POST", "datasets/planted/duplicates", {"threshold": THRESHOLD})
    assert code == 202
    job = await wait_job(answer["job"])
    assert job["status"] == "done", job
    result = job["result"]
    assert {k: v["pairs"] for k, v in result["counts"].items()} == EXPECTED
    assert len(result["groups"]) == 7 and result["pairs"] == 7
    assert sorted({leak["kind"] for leak in result["leaks"]}) == sorted(EXPECTED_LEAKS)
    assert len(result["leaks"]) == sum(EXPECTED_LEAKS.values())
    code, stored = await api("GET", "datasets/planted/duplicates")
    assert code == 200 and stored["groups"] == result["groups"]
    assert len(stored["pair_list"]) == sum(EXPECTED.values())

    flt = {"sample": {"computed.dup_count": {"min": 1}, "split": {"in": ["val"]}}}
    code, page = await api(
        "POST", "datasets/planted/samples/query", {"filter": flt, "sort": "computed.uniqueness"}
    )
    assert code == 200 and page["total"] == 6
    assert all(s["computed"]["dup_count"] == 1 for s in page["samples"])
    code, facets = await api("POST", "datasets/planted/facets", {"filter": flt})
    by_name = {f["name"]: f for f in facets["facets"]}
    assert sum(v["count"] for v in by_name["computed.dup_group"]["values"]) == 6
    assert by_name["computed.nearest_similarity"]["count"] == 6


async def test_cli_through_the_server(
    vl_app: Any, vl_data_dir: Path, planted: dict[str, int]
) -> None:
    t0 = planted["train/t0.jpg"]
    code, out, err = await run_cli(
        "search", "planted", "--like", str(t0), "--k", "2", "--json", data_dir=vl_data_dir
    )
    assert code == 0, err
    answer = json.loads(out)
    # a byte copy: both score 1.0, in either order
    assert {r["sample_id"] for r in answer["results"]} == {t0, planted["val/copy0.jpg"]}
    assert answer["model"] == MODEL and answer["space"]
    code, out, err = await run_cli(
        "search", "planted", "--like", str(t0), "--filter", '{"sample": {"split": {"in": ["val"]}}}',
        "--k", "1", data_dir=vl_data_dir,
    )  # fmt: skip
    assert code == 0, err
    assert out.splitlines()[1].endswith("val/copy0.jpg")
    code, out, err = await run_cli("search", "planted", "--text", "a dog", data_dir=vl_data_dir)
    assert code == 1 and "text tower" in err and "Traceback" not in err
    code, out, err = await run_cli(
        "duplicates", "planted", "--threshold", str(THRESHOLD), "--json", data_dir=vl_data_dir
    )
    assert code == 0, err
    assert {k: v["pairs"] for k, v in json.loads(out)["counts"].items()} == EXPECTED
    code, out, err = await run_cli(
        "duplicates", "planted", "--threshold", "0.98", data_dir=vl_data_dir
    )
    assert code == 0 and "7 duplicate pairs" in out and "6 leaks" in out


def test_cli_without_a_server(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with Catalog(data) as catalog, open_vector_store(data) as store:
        ids = add_planted_dataset(catalog, store, tmp_path / "images")

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "visionlens_jlab.cli", *args, "--data-dir", str(data), "--json"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip

    out = cli("search", "planted", "--like", str(ids["train/t5.jpg"]), "--k", "2")
    assert out.returncode == 0, out.stderr
    got = {r["sample_id"] for r in json.loads(out.stdout)["results"]}
    assert got == {ids["train/t5.jpg"], ids["val/small_5.jpg"]}
    out = cli("duplicates", "planted", "--threshold", str(THRESHOLD), "--exact")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert {k: v["pairs"] for k, v in result["counts"].items()} == EXPECTED
    assert result["method"] == "exact" and result["exact"] is True
    out = cli("duplicates", "planted", "--threshold", "1.5")
    assert out.returncode == 2 and "in (0, 1]" in out.stderr


async def test_notebook_search_and_duplicates(planted: dict[str, int], tmp_path: Path) -> None:
    query = tmp_path / "images" / "val" / "q60_3.jpg"
    async with running_kernel() as k:
        out = await k.check(
            "import json, visionlens_jlab as vl\n"
            "from PIL import Image\n"
            "ds = vl.dataset('planted')\n"
            f"a = ds.search(like={planted['train/t1.jpg']}, k=2)\n"
            f"b = ds.search(like={str(query)!r}, k=1, filter={{'sample': {{'split': {{'in': ['train']}}}}}})\n"
            f"c = ds.search(like=Image.open({str(query)!r}), k=1)\n"
            "d = ds.duplicates(threshold=0.98)\n"
            "print(json.dumps({'a': a.sample_id.tolist(), 'cols': a.columns.tolist(),\n"
            "  'sorted': bool(a.score.is_monotonic_decreasing), 'code': a.attrs['code'],\n"
            "  'warning': a.attrs['warning'],\n"
            "  'b': b.file_name.tolist(), 'c': c.sample_id.tolist(),\n"
            "  'kinds': d.kind.value_counts().to_dict(), 'groups': len(d.attrs['groups']),\n"
            "  'leaks': len(d.attrs['leaks']), 'dcode': d.attrs['code'],\n"
            "  'stale': [d.attrs['stale'], d.attrs['stale_reason']],\n"
            "  'n_dup': ds.count({'sample': {'computed.dup_count': {'min': 1}}})}))\n"
        )
    got = json.loads(out)
    assert set(got["a"]) == {planted["train/t1.jpg"], planted["val/copy1.jpg"]}
    assert got["cols"] == ["sample_id", "score", "file_name"] and got["sorted"]
    # the planted vectors were written without an embedding run's record
    assert "embedding run that has not finished" in got["warning"]
    assert got["code"] == f"vl.dataset('planted').search(like={planted['train/t1.jpg']}, k=2)"
    assert got["b"] == ["train/t3.jpg"]
    assert got["c"] == [planted["val/q60_3.jpg"]]  # the PIL image has exactly its pixels
    assert got["kinds"] == EXPECTED and got["groups"] == 7
    assert got["leaks"] == sum(EXPECTED_LEAKS.values())
    assert got["dcode"] == "vl.dataset('planted').duplicates(threshold=0.98)"
    assert got["stale"] == [False, None]  # just computed over the dataset as it is
    assert got["n_dup"] == 14
