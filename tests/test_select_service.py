"""Selection through the catalog (issue #49 items 2-3): candidates are the filter's less the
excluded, balance evens out a planted imbalance, uncertainty takes the highest-entropy
predictions, the tag is one undoable batch, the record is stored and listed, a selection on a
saved version browses the same ids, ``visionlens export --selection`` takes a record's samples
without a server, and an old catalog gains the tables."""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
from collections import Counter
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from visionlens_jlab import edits
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.reads.queries import sample_ids
from visionlens_jlab.catalog.writes.dataset_writer import write_dataset, write_predictions
from visionlens_jlab.catalog.writes.sample_tags import update_tags
from visionlens_jlab.config import CATALOG_FILE
from visionlens_jlab.embed.imported import import_embeddings
from visionlens_jlab.export import export_view
from visionlens_jlab.search.matrix_cache import VectorMatrixCache
from visionlens_jlab.select.records import list_selections, read_selection
from visionlens_jlab.select.request import SelectionError, parse_request
from visionlens_jlab.select.service import run_selection
from visionlens_jlab.vectors import open_vector_store

from .test_evaluate_classification import CLASSES, LabelsSource

SIZES = (40, 15, 5)  # the planted imbalance: images of k0, k1, k2
N = sum(SIZES)
REPO = Path(__file__).resolve().parents[1]


def _probs(rng: np.random.Generator) -> np.ndarray:
    logits = rng.normal(0, 1, (N, 3)) * rng.choice([0.2, 1.0, 4.0], (N, 1))
    return np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)


@pytest.fixture
def pictures(tmp_path: Path) -> Any:
    """Images of three classes (40 / 15 / 5) and a model's class probabilities."""
    catalog = Catalog(tmp_path / "catalog")
    classes = [CLASSES[c] for c, size in enumerate(SIZES) for _ in range(size)]
    probs = _probs(np.random.default_rng(5))
    gt = [{"sample_index": i, "label": label} for i, label in enumerate(classes)]
    pred = []
    for i in range(N):
        best = int(np.argmax(probs[i]))
        scores = {CLASSES[k]: float(probs[i, k]) for k in range(3)}
        pred.append({"image_ref": str(i), "label": CLASSES[best], "score": float(probs[i, best]),
                     "scores": json.dumps(scores)})  # fmt: skip
    write_dataset(catalog, "pics", LabelsSource(N, gt))
    write_predictions(catalog, "pics", "clf", LabelsSource(0, pred, predictions=True))
    with catalog.cursor() as cur:
        ids = [
            r[0] for r in cur.execute("SELECT sample_id FROM samples ORDER BY sample_id").fetchall()
        ]
    yield catalog, np.array(ids), classes, probs
    catalog.close()


def _select(catalog: Catalog, **body: Any) -> dict[str, Any]:
    return run_selection(catalog, None, "pics", parse_request(body), user="tester")


def test_balance_chooses_equal_class_counts(pictures: Any) -> None:
    catalog, ids, classes, _ = pictures
    out = _select(catalog, count=15, strategies="balance", seed=3)
    by_id = dict(zip(ids.tolist(), classes, strict=True))
    assert Counter(by_id[s] for s in out["sample_ids"]) == {"k0": 5, "k1": 5, "k2": 5}
    random = _select(catalog, count=15, strategies="random", seed=3)
    assert Counter(by_id[s] for s in random["sample_ids"])["k0"] > 5  # the imbalance is real
    # a target share: k0 twice each of the others
    out = _select(catalog, count=12, strategies=["balance"],
                  balance_target={"k0": 2, "k1": 1, "k2": 1})  # fmt: skip
    assert Counter(by_id[s] for s in out["sample_ids"]) == {"k0": 6, "k1": 3, "k2": 3}


def test_uncertainty_takes_the_highest_entropy_and_margin(pictures: Any) -> None:
    catalog, ids, _, probs = pictures
    entropy = -(probs * np.log(probs)).sum(axis=1)
    out = _select(catalog, count=10, strategies="uncertainty")
    assert out["sample_ids"] == ids[np.argsort(-entropy, kind="stable")[:10]].tolist()
    ordered = np.sort(probs, axis=1)[:, ::-1]
    margin = 1 - (ordered[:, 0] - ordered[:, 1])
    out = _select(catalog, count=10, strategies="margin")
    assert out["sample_ids"] == ids[np.argsort(-margin, kind="stable")[:10]].tolist()
    scores = [row["scores"]["margin"] for row in out["rows"]]
    assert scores[0] == 1.0 and scores == sorted(scores, reverse=True)


def test_filter_and_exclusions_are_honoured(pictures: Any) -> None:
    catalog, ids, classes, _ = pictures
    update_tags(catalog, "pics", {"ids": ids[:20].tolist()}, add=["sent"])
    flt = {"classifications": {"source": "ground_truth", "classes": ["k0", "k2"]}}
    out = _select(catalog, count=30, strategies="random,uncertainty:2", filter=flt,
                  exclude_tags=["sent"])  # fmt: skip
    inside = {s for s, c in zip(ids.tolist(), classes, strict=True) if c in ("k0", "k2")}
    chosen = set(out["sample_ids"])
    # 25 candidates (20 of k0 not sent, 5 of k2) for 30 asked: all of them, no other
    assert chosen == inside - set(ids[:20].tolist()) and out["chosen"] == 25
    with pytest.raises(SelectionError, match="of them 60 have ground truth"):  # none left
        _select(catalog, count=50, strategies="random", exclude_labelled=True)
    assert len(list_selections(catalog, "pics")) == 1


def test_the_tag_is_one_undoable_batch_and_the_record_is_listed(pictures: Any) -> None:
    catalog, *_ = pictures
    out = _select(catalog, count=7, strategies="uncertainty:2,random", seed=11)
    assert out["tag"] == f"selected-{out['id']}"
    tagged = sample_ids(catalog, "pics", {"tags": {"any": [out["tag"]]}}).to_pylist()
    assert sorted(tagged) == sorted(out["sample_ids"])
    listed = list_selections(catalog, "pics")
    assert [s["id"] for s in listed] == [out["id"]] and listed[0]["chosen"] == 7
    record = read_selection(catalog, "pics", out["id"])
    assert [r["sample_id"] for r in record["rows"]] == out["sample_ids"]
    assert record["strategies"] == [{"name": "uncertainty", "weight": 2.0},
                                    {"name": "random", "weight": 1.0}]  # fmt: skip
    for row in record["rows"]:
        assert row["score"] == pytest.approx(sum(row["scores"].values()))
    edits.undo(catalog, "pics", "tester")
    assert sample_ids(catalog, "pics", {"tags": {"any": [out["tag"]]}}).to_pylist() == []


def test_a_selection_on_a_version_browses_and_exports_the_same_ids(
    pictures: Any, tmp_path: Path
) -> None:
    catalog, ids, *_ = pictures
    update_tags(catalog, "pics", {"ids": ids[:30].tolist()}, add=["pool"])
    version = edits.snapshot(catalog, "pics", "before", "tester")["version"]
    update_tags(catalog, "pics", {"ids": ids[:30].tolist()}, remove=["pool"])
    out = _select(catalog, count=8, strategies="uncertainty", version=str(version),
                  filter={"tags": {"any": ["pool"]}}, tag="batch-1")  # fmt: skip
    assert set(out["sample_ids"]) <= set(ids[:30].tolist())
    browsed = sample_ids(catalog, "pics", {"tags": {"any": ["batch-1"]}}).to_pylist()
    assert browsed == sorted(out["sample_ids"])
    spec = {"tags": {"any": ["batch-1"]}}
    export_view(catalog, "pics", "parquet", tmp_path / "out", spec=spec, images="none")
    exported = {c for f in (tmp_path / "out").rglob("*.parquet")
                for c in pq.read_table(f).column("sample_id").to_pylist()}  # fmt: skip
    assert exported == set(out["sample_ids"])
    assert read_selection(catalog, "pics", out["id"])["options"]["version"] == version


def test_bad_requests_name_the_bad_word() -> None:
    with pytest.raises(SelectionError, match="unknown strategy 'diversty'"):
        parse_request({"count": 3, "strategies": "random,diversty"})
    with pytest.raises(SelectionError, match="'uncertainty:x'"):
        parse_request({"count": 3, "strategies": ["uncertainty:x"]})
    with pytest.raises(SelectionError, match="must be above 0"):
        parse_request({"count": 3, "strategies": "random:0"})
    with pytest.raises(SelectionError, match="'count'"):
        parse_request({"count": 0})
    with pytest.raises(SelectionError, match="'version'"):
        parse_request({"count": 1, "version": "last"})


def test_a_cancelled_run_writes_nothing(pictures: Any) -> None:
    catalog, *_ = pictures
    seen: list[tuple[int, int]] = []

    def cancel(done: int, count: int) -> None:
        seen.append((done, count))
        if done == 2:
            raise RuntimeError("cancelled")

    request = parse_request({"count": 5, "strategies": "uncertainty", "tag": "never"})
    with pytest.raises(RuntimeError, match="cancelled"):
        run_selection(catalog, None, "pics", request, progress=cancel)
    assert seen == [(1, 5), (2, 5)]
    assert list_selections(catalog, "pics") == []
    assert sample_ids(catalog, "pics", {"tags": {"any": ["never"]}}).to_pylist() == []


def test_quality_scores_send_the_worst_first(pictures: Any) -> None:
    """image_quality: the lowest of an image's issue scores; label_quality: its score."""
    from visionlens_jlab.catalog.extensions.computed import write_computed

    catalog, ids, *_ = pictures
    rng = np.random.default_rng(1)
    dark, blurry, lq = rng.random(N), rng.random(N), rng.random(N)
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, "pics")
    write_computed(catalog, dataset_id, {"quality_dark_score": (ids, dark),
                   "quality_blurry_score": (ids, blurry)}, producer="image_quality")  # fmt: skip
    out = _select(catalog, count=6, strategies="image_quality")
    assert out["sample_ids"] == ids[np.argsort(np.minimum(dark, blurry))[:6]].tolist()
    with pytest.raises(SelectionError, match="run `visionlens label-quality "):
        _select(catalog, count=6, strategies="label_quality")
    write_computed(catalog, dataset_id, {"lq_score": (ids[:30], lq[:30])}, producer="lq")
    out = _select(catalog, count=31, strategies="label_quality")
    assert out["sample_ids"][:30] == ids[np.argsort(lq[:30])].tolist()  # unscored come last


def test_an_old_catalog_gains_the_tables(tmp_path: Path) -> None:
    """Migration step 19 on a catalog written before it (tests/fixtures/old_catalog)."""
    with tarfile.open(REPO / "tests" / "fixtures" / "old_catalog" / "data.tar.gz") as tar:
        tar.extractall(tmp_path, filter="data")
    data = tmp_path / "data"
    with duckdb.connect(str(data / CATALOG_FILE)) as con:  # as the previous code wrote it
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert "selections" not in tables and "selection_rows" not in tables
    with Catalog(data) as catalog:
        assert list_selections(catalog, "demo") == []
        out = run_selection(
            catalog, None, "demo", parse_request({"count": 4, "strategies": "random"})
        )
        assert (
            len(out["sample_ids"]) == 4 and list_selections(catalog, "demo")[0]["id"] == out["id"]
        )


def test_vector_strategies_read_the_space_by_sample_id(pictures: Any, tmp_path: Path) -> None:
    """Diversity over six planted clusters takes one of each; similar to a tagged set takes
    the rest of its cluster; a candidate without a vector is left out and counted."""
    catalog, ids, *_ = pictures
    rng = np.random.default_rng(2)
    centres = rng.normal(size=(6, 16))
    cluster = np.arange(N) % 6
    matrix = (centres[cluster] + 0.01 * rng.normal(size=(N, 16))).astype(np.float32)
    source = tmp_path / "v.parquet"
    rows = pa.array(matrix[1:].tolist(), pa.list_(pa.float32()))  # sample 0: no vector
    pq.write_table(pa.table({"sample_id": ids[1:], "vector": rows}), source)
    with open_vector_store(catalog.data_dir) as store:
        import_embeddings(None, catalog, store, "pics", "mine", str(source))
        run = lambda **body: run_selection(catalog, store, "pics", parse_request(body))  # noqa: E731
        out = run(count=6, strategies="diversity", space="mine")
        assert sorted(cluster[np.searchsorted(ids, out["sample_ids"])]) == list(range(6))
        assert out["space"].startswith("mine-") and out["options"]["without_vectors"] == 1
        update_tags(catalog, "pics", {"ids": ids[cluster == 2][:3].tolist()}, add=["ref"])
        out = run(count=5, strategies="similar", reference_tag="ref", exclude_tags=["ref"])
        assert set(cluster[np.searchsorted(ids, out["sample_ids"])]) == {2}
        with pytest.raises(SelectionError, match="no sample tagged 'none'"):
            run(count=2, strategies="unlike", reference_tag="none")
        with pytest.raises(
            SelectionError,
            match="no candidates: .* have ground truth: set .exclude_labelled. to false",
        ):
            run(count=2, strategies="diversity", exclude_labelled=True)  # all have labels
        # the server's search matrices serve the same vectors: the same choice, same scores
        body = {"count": 7, "strategies": "diversity,similar:0.5,typicality", "space": "mine",
                "reference_tag": "ref", "exclude_tags": ["ref"]}  # fmt: skip
        plain = run(**body)
        cache = VectorMatrixCache(64 * 2**20)
        cached = run_selection(catalog, store, "pics", parse_request(body), cache=cache)
        assert cache.nbytes > 0  # read once, kept for search and the next selection
        assert cached["sample_ids"] == plain["sample_ids"]
        assert [r["scores"] for r in cached["rows"]] == [r["scores"] for r in plain["rows"]]
        assert cached["options"]["without_vectors"] == plain["options"]["without_vectors"] == 1
        tiny = VectorMatrixCache(1024)  # the matrix does not fit: read from the store
        too_big = run_selection(catalog, store, "pics", parse_request(body), cache=tiny)
        assert tiny.nbytes == 0 and too_big["sample_ids"] == plain["sample_ids"]


def test_diversity_counts_the_labelled_samples_as_chosen(tmp_path: Path) -> None:
    """With ``exclude_labelled``, the view's labelled samples are never chosen and count as
    chosen already: clusters 0-2 and half of 3 are labelled, so the first picks are in the
    two clusters nobody labelled, whatever the seed."""
    cluster = np.repeat(np.arange(6), 10)
    labelled = (cluster < 3) | ((cluster == 3) & (np.arange(60) % 10 < 5))
    gt = [{"sample_index": i, "label": CLASSES[0]} for i in np.flatnonzero(labelled)]
    rng = np.random.default_rng(8)
    matrix = (rng.normal(size=(6, 16))[cluster] + 0.01 * rng.normal(size=(60, 16))).tolist()
    with Catalog(tmp_path / "data") as catalog, open_vector_store(tmp_path / "data") as store:
        write_dataset(catalog, "pics", LabelsSource(60, gt))
        ids = sample_ids(catalog, "pics", None).to_numpy()
        source = tmp_path / "v.parquet"
        pq.write_table(
            pa.table({"sample_id": ids, "vector": pa.array(matrix, pa.list_(pa.float32()))}), source
        )
        import_embeddings(None, catalog, store, "pics", "mine", str(source))
        for seed in range(5):
            body = {"count": 3, "strategies": "diversity", "exclude_labelled": True, "seed": seed}
            out = run_selection(catalog, store, "pics", parse_request(body))
            picked = cluster[np.searchsorted(ids, out["sample_ids"])]
            assert (
                set(picked[:2]) == {4, 5}
                and not labelled[np.searchsorted(ids, out["sample_ids"])].any()
            )
            assert out["options"]["labelled_rows"] == 35 and out["options"]["candidates"] == 25


def test_export_takes_a_selection_directly_without_a_server(pictures: Any, tmp_path: Path) -> None:
    catalog, *_ = pictures
    out = _select(catalog, count=6, strategies="random", seed=1)
    edits.undo(catalog, "pics", "tester")  # the tag is gone: the record still names the six
    catalog.close()
    run = subprocess.run(
        [sys.executable, "-m", "visionlens_jlab.cli", "export", "pics", "--selection",
         str(out["id"]), "--format", "parquet", "--images", "none", "--out",
         str(tmp_path / "out"), "--data-dir", str(tmp_path / "catalog"), "--json"],
        capture_output=True, text=True, check=False, timeout=120, cwd=REPO,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    exported = {c for f in (tmp_path / "out").rglob("*.parquet")
                for c in pq.read_table(f).column("sample_id").to_pylist()}  # fmt: skip
    assert exported == set(out["sample_ids"]) and json.loads(run.stdout)["samples"] == 6
