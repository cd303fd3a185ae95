"""The Edge store's row copy of each space (``vectors/edge_rows.py``): reads gathered from
it equal the shard's own answers bit for bit, and whenever it may be out of step it is
dropped (reads go to the shard again) or rebuilt by the next index build."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from visionlens_jlab.vectors import EdgeVectorStore, edge_index
from visionlens_jlab.vectors.edge_rows import COMPACT_MIN_DEAD, ROWS_DIR, live_rows

DIM = 16


def _answers(store: EdgeVectorStore, space: str, asked: list[int]) -> dict[str, np.ndarray]:
    ids, vectors = store.get_vectors(space, asked)
    every, datasets = store.points(space)
    return {
        "ids": ids,
        "vectors": vectors,
        "every": every,
        "datasets": datasets,
        "of 2": store.ids(space, 2),
    }


def _from_the_shard(root: Path, space: str, asked: list[int]) -> dict[str, np.ndarray]:
    """The same reads with the row copy removed: what the shard itself answers."""
    shutil.rmtree(root / space / ROWS_DIR)
    with EdgeVectorStore(root) as store:
        answers = _answers(store, space, asked)
    assert not (root / space / ROWS_DIR).exists()
    return answers


def _assert_same(got: dict[str, np.ndarray], want: dict[str, np.ndarray]) -> None:
    assert got.keys() == want.keys()
    for key in got:
        assert np.array_equal(got[key], want[key]), key
    assert got["vectors"].dtype == want["vectors"].dtype == np.float32


def _vectors(n: int, seed: int) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal((n, DIM)) * 5).astype(np.float32)


def _normalized(vector: np.ndarray) -> np.ndarray:
    return (vector / np.linalg.norm(vector)).astype(np.float32)


@pytest.mark.parametrize("distance", ["cosine", "dot", "euclid"])
def test_rows_answer_what_the_shard_answers_after_every_kind_of_write(
    tmp_path: Path, distance: str
) -> None:
    with EdgeVectorStore(tmp_path) as store:
        space = store.ensure_space("m", "v", DIM, distance).name
        store.upsert(space, range(100), _vectors(100, 1), dataset_ids=[1] * 60 + [2] * 40)
        store.upsert(space, [5, 70, 5], _vectors(3, 2), dataset_ids=[2, 1, 1])  # replaced
        store.delete([10, 11, 999])
        store.delete_dataset(2)  # 60-99 and 5 (now of dataset 1) stay...
        store.upsert(space, [80, 10, 300], _vectors(3, 3), dataset_ids=2)  # back after
        zero = np.zeros((1, DIM), np.float32)
        store.upsert(space, [301], zero, dataset_ids=1)
        asked = [300, 5, 10, 11, 70, 85, 80, 301, 0, 5, 12345]
        got = _answers(store, space, asked)
        assert (tmp_path / space / ROWS_DIR / "points.i64").exists()
    assert got["ids"].tolist() == [300, 5, 10, 70, 80, 301, 0, 5]
    assert got["of 2"].tolist() == [10, 80, 300]
    assert sorted(got["every"].tolist()) == got["every"].tolist()
    if distance == "cosine":
        norms = np.linalg.norm(got["vectors"][got["ids"] != 301], axis=1)
        assert np.allclose(norms, 1.0, atol=1e-6)
    assert not got["vectors"][got["ids"] == 301].any()
    _assert_same(got, _from_the_shard(tmp_path, space, asked))


def test_a_write_left_unfinished_or_rows_out_of_step_fall_back_to_the_shard(
    tmp_path: Path,
) -> None:
    with EdgeVectorStore(tmp_path) as store:
        space = store.ensure_space("m", "v", DIM).name
        store.upsert(space, range(50), _vectors(50, 1), dataset_ids=1)
        want = _answers(store, space, list(range(50)))
    rows = tmp_path / space / ROWS_DIR

    (rows / "writing").touch()  # a crash between the shard's write and the rows'
    with EdgeVectorStore(tmp_path) as store:
        assert not rows.exists()
        _assert_same(_answers(store, space, list(range(50))), want)

    for damage in ("a torn row", "a torn point", "a point the shard lacks"):
        with EdgeVectorStore(tmp_path) as store:
            store.optimize(space)  # rebuilds the missing copy from the shard
            assert rows.exists()
            _assert_same(_answers(store, space, list(range(50))), want)
        if damage == "a torn row":
            with open(rows / "vectors.f32", "ab") as out:
                out.write(b"\0" * 8)
        elif damage == "a torn point":
            with open(rows / "points.i64", "ab") as out:
                out.write(b"\0" * 8)
        else:
            with open(rows / "points.i64", "ab") as out:
                out.write(np.array([777, 1], "<i8").tobytes())
            with open(rows / "vectors.f32", "ab") as out:
                out.write(np.ones(DIM, "<f4").tobytes())
        with EdgeVectorStore(tmp_path) as store:
            got = _answers(store, space, list(range(50)) + [777])
            assert not rows.exists(), damage
        _assert_same(got, want)


def test_a_failed_write_drops_the_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with EdgeVectorStore(tmp_path) as store:
        space = store.ensure_space("m", "v", DIM).name
        store.upsert(space, range(20), _vectors(20, 1), dataset_ids=1)

        def torn(*args: object) -> None:
            raise OSError("disk full")

        rows_dir = tmp_path / space / ROWS_DIR
        monkeypatch.setattr("visionlens_jlab.vectors.edge_rows.VectorRows.append", torn)
        with pytest.raises(OSError, match="disk full"):
            store.upsert(space, [3, 40], _vectors(2, 2), dataset_ids=1)
        assert not rows_dir.exists()
        ids, vectors = store.get_vectors(space, [3, 40])  # the shard took the write
        assert ids.tolist() == [3, 40] and np.allclose(
            vectors, _vectors(2, 2) / np.linalg.norm(_vectors(2, 2), axis=1, keepdims=True)
        )


def test_a_space_written_without_rows_gets_them_at_its_next_index_build(
    tmp_path: Path,
) -> None:
    """Spaces written before the row copy existed read from the shard until then."""
    with EdgeVectorStore(tmp_path) as store:
        space = store.ensure_space("m", "v", DIM).name
        store.upsert(space, range(300), _vectors(300, 1), dataset_ids=[1, 2, 3] * 100)
    want = _from_the_shard(tmp_path, space, list(range(0, 300, 7)))
    with EdgeVectorStore(tmp_path) as store:
        store.delete_dataset(3)  # written while the copy is missing: nothing to record
        store.optimize(space)
        assert (tmp_path / space / ROWS_DIR / "points.i64").exists()
        got = _answers(store, space, list(range(0, 300, 7)))
    keep = np.isin(want["ids"], got["ids"])
    assert got["ids"].tolist() == [i for i in want["ids"].tolist() if i % 3 != 2]
    assert np.array_equal(got["vectors"], want["vectors"][keep])
    _assert_same(got, _from_the_shard(tmp_path, space, list(range(0, 300, 7))))


def test_writes_made_while_the_copy_is_rebuilt_reach_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The index build that writes a missing copy replays the writes made meanwhile onto
    it, a replaced vector included (the count check alone would not see that one)."""
    with EdgeVectorStore(tmp_path) as store:
        space = store.ensure_space("m", "v", DIM).name
        store.upsert(space, range(300), _vectors(300, 1), dataset_ids=[1, 2, 3] * 100)
    shutil.rmtree(tmp_path / space / ROWS_DIR)  # as older code left it
    build = edge_index.optimize_in_subprocess
    with EdgeVectorStore(tmp_path) as store:

        def build_then_write(*args: object) -> None:
            build(*args)  # type: ignore[arg-type]
            # Still before the swap: the store records these for the replay.
            store.upsert(space, [7, 400, 401], _vectors(3, 2), dataset_ids=[1, 2, 2])
            store.delete([8, 400])
            store.delete_dataset(3)

        monkeypatch.setattr(edge_index, "optimize_in_subprocess", build_then_write)
        store.optimize(space)
    assert (tmp_path / space / ROWS_DIR / "points.i64").exists()
    asked = [7, 8, 9, 10, 11, 400, 401, 299]
    with EdgeVectorStore(tmp_path) as store:
        got = _answers(store, space, asked)
    assert got["ids"].tolist() == [7, 9, 10, 401]
    assert np.array_equal(got["vectors"][0], _normalized(_vectors(3, 2)[0]))
    _assert_same(got, _from_the_shard(tmp_path, space, asked))


def test_mostly_dead_rows_are_rewritten_with_the_same_answers(tmp_path: Path) -> None:
    n = COMPACT_MIN_DEAD // 2 + 1
    with EdgeVectorStore(tmp_path) as store:
        space = store.ensure_space("m", "v", DIM, "dot").name
        for seed in range(4):  # every id written four times: 3n dead rows
            store.upsert(space, range(n), _vectors(n, seed), dataset_ids=1)
        vectors_file = tmp_path / space / ROWS_DIR / "vectors.f32"
        assert vectors_file.stat().st_size == 4 * n * DIM * 4
        got = _answers(store, space, [0, n - 1, 17])
        assert vectors_file.stat().st_size == n * DIM * 4
        assert np.array_equal(got["vectors"], _vectors(n, 3)[[0, n - 1, 17]])
        store.upsert(space, [17], _vectors(1, 9), dataset_ids=1)  # appends after the rewrite
        again = _answers(store, space, [0, n - 1, 17])
    _assert_same(again, _from_the_shard(tmp_path, space, [0, n - 1, 17]))


def test_live_rows_follow_the_last_write_of_each_id() -> None:
    """The rule by itself: an upsert after a delete survives it, one before does not."""
    points = np.array([[1, 7], [2, 7], [3, 8], [1, 8], [4, 7]])
    deletes = np.array([[2, 2, -1], [4, -1, 8], [5, -1, 7]])
    live = live_rows(points, deletes)
    assert live.ids.tolist() == [] and live.dead == 5
    live = live_rows(points, deletes[:2])
    assert live.ids.tolist() == [4] and live.rows.tolist() == [4]
    live = live_rows(points, np.array([[3, -1, 8]]))  # before [1, 8] was written
    assert live.ids.tolist() == [1, 2, 4] and live.datasets.tolist() == [8, 7, 7]


def test_new_spaces_keep_their_vectors_mapped_until_searched(tmp_path: Path) -> None:
    """``Memory.Cold``: opening the store reads no vector in (reads use the row copy).
    Edge writes the shard's config as JSON beside it; ``memory`` is its placement."""
    with EdgeVectorStore(tmp_path) as store:
        space = store.ensure_space("m", "v", DIM).name
        store.upsert(space, range(10), _vectors(10, 1), dataset_ids=1)
        assert [h.sample_id for h in store.search(space, _vectors(1, 1)[0], k=1)] == [0]
    config = json.loads((tmp_path / space / "shard" / "edge_config.json").read_text())
    assert config["vectors"][space]["memory"] == "cold"
