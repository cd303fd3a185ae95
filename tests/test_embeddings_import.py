"""``visionlens embeddings-import``: vectors from Parquet, Arrow and ``.npy`` files written into
the real vector store (Qdrant Edge) and the real catalog, then searched like computed ones."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from visionlens_jlab.catalog import Catalog
from visionlens_jlab.embed import import_staging
from visionlens_jlab.embed.base import EmbedError
from visionlens_jlab.embed.imported import IMPORTED, import_embeddings
from visionlens_jlab.embed.spaces import dataset_spaces
from visionlens_jlab.jobs.job import Job, JobCancelled, JobContext
from visionlens_jlab.search.engine import Query, search
from visionlens_jlab.vectors import open_vector_store, space_name

from .media_fixtures import add_dataset

N, DIM = 12, 8
NAMES = [f"train/img{i:02d}.jpg" for i in range(N)]


def vectors(seed: int = 0) -> np.ndarray:
    """Random vectors where sample 7's is sample 3's, slightly moved: its nearest."""
    rng = np.random.default_rng(seed)
    m = rng.normal(size=(N, DIM)).astype(np.float32)
    m[7] = m[3] + 0.01 * rng.normal(size=DIM).astype(np.float32)
    return m


def vector_table(keys: list[Any], rows: list[Any], key: str = "file_name") -> pa.Table:
    return pa.table({key: keys, "vector": pa.array(rows, pa.list_(pa.float32()))})


def dataset_of(tmp_path: Path, names: list[str]) -> tuple[Path, list[int]]:
    """A catalog under ``tmp_path/data`` with dataset ``ds`` of images named ``names``
    (in ``tmp_path``): its folder and the samples' ids in that order."""
    data_dir = tmp_path / "data"
    with Catalog(data_dir) as catalog:
        ids = add_dataset(catalog, "ds", str(tmp_path), [str(tmp_path / n) for n in names],
                          file_names=names)  # fmt: skip
    return data_dir, list(ids)


@pytest.fixture
def data(tmp_path: Path) -> tuple[Path, list[int]]:
    return dataset_of(tmp_path, NAMES)


def run_import(data_dir: Path, source: Path, space: str = "mine", **kw: Any) -> dict[str, Any]:
    with Catalog(data_dir) as catalog, open_vector_store(data_dir) as store:
        return import_embeddings(None, catalog, store, "ds", space, str(source), **kw)


def nearest(data_dir: Path, like: int, space: str = "mine") -> list[int]:
    with Catalog(data_dir) as catalog, open_vector_store(data_dir) as store:
        out = search(catalog, store, "ds", Query(like=like), k=2, model=space)
    return [r["sample_id"] for r in out["results"]]


def test_parquet_by_file_name_stem_and_base_name_is_searched(
    data: tuple[Path, list[int]], tmp_path: Path
) -> None:
    data_dir, ids = data
    m = vectors()
    # stems, base names and full names all name their sample, as image labels do
    keys = [Path(n).stem if i % 3 == 0 else Path(n).name if i % 3 == 1 else n
            for i, n in enumerate(NAMES)]  # fmt: skip
    pq.write_table(vector_table(keys, m.tolist()), tmp_path / "v.parquet", row_group_size=5)
    result = run_import(data_dir, tmp_path / "v.parquet")
    assert result["imported"] == N and result["rows"] == N and result["dim"] == DIM
    assert all(r["count"] == 0 for r in result["rejected"].values())
    assert result["space"] == space_name("mine", IMPORTED) and result["key"] == "file_name"
    assert nearest(data_dir, ids[3])[1] == ids[7]
    with Catalog(data_dir) as catalog, open_vector_store(data_dir) as store:
        (row,) = dataset_spaces(catalog, store, "ds")
    assert (row["model"], row["version"], row["dim"], row["count"], row["complete"]) == (
        "mine",
        IMPORTED,
        DIM,
        N,
        True,
    )


def test_npy_with_an_ids_file_and_arrow_ipc(data: tuple[Path, list[int]], tmp_path: Path) -> None:
    data_dir, ids = data
    m = vectors(1)
    np.save(tmp_path / "v.npy", m[:6].astype(np.float64))
    (tmp_path / "ids.txt").write_text("\n".join(str(i) for i in ids[:6]) + "\n")
    result = run_import(data_dir, tmp_path / "v.npy", ids=str(tmp_path / "ids.txt"))
    assert (result["imported"], result["key"]) == (6, "sample_id")
    # the rest from an Arrow IPC file keyed by sample id (a CSV ids file is read the same)
    table = pa.table({"sample_id": ids[6:], "vector": pa.FixedSizeListArray.from_arrays(
        pa.array(m[6:].reshape(-1)), DIM)})  # fmt: skip
    with pa.ipc.new_file(tmp_path / "v.arrow", table.schema) as writer:
        writer.write_table(table, max_chunksize=4)
    assert run_import(data_dir, tmp_path / "v.arrow")["imported"] == N - 6
    with pa.ipc.new_stream(tmp_path / "v.arrows", table.schema) as stream:  # the stream format
        stream.write_table(table.slice(0, 2))
    assert run_import(data_dir, tmp_path / "v.arrows", space="other")["imported"] == 2
    assert nearest(data_dir, ids[7])[1] == ids[3]
    (tmp_path / "ids.csv").write_text("x,file_name\n" + "".join(f"1,{n}\n" for n in NAMES[:6]))
    again = run_import(data_dir, tmp_path / "v.npy", ids=str(tmp_path / "ids.csv"))
    assert (again["imported"], again["key"], again["count"]) == (6, "file_name", N)


def test_each_bad_row_is_reported_and_the_good_ones_imported(
    data: tuple[Path, list[int]], tmp_path: Path
) -> None:
    data_dir, ids = data
    m = vectors().tolist()
    keys: list[Any] = [ids[0], ids[1], 999_999, ids[2], ids[3], ids[1], ids[4], None]
    rows: list[Any] = [m[0], m[1], m[2], m[2][:5], [float("nan")] * DIM, m[5],
                       [1e39] * DIM, m[6]]  # fmt: skip
    pq.write_table(vector_table(keys, rows, "sample_id"), tmp_path / "bad.parquet")
    result = run_import(data_dir, tmp_path / "bad.parquet")
    counts = {code: r["count"] for code, r in result["rejected"].items()}
    assert counts == {"unknown_key": 2, "ambiguous_key": 0, "null_vector": 0, "wrong_dimension": 1,
                      "not_finite": 2, "zero_vector": 0, "duplicate_key": 1}  # fmt: skip
    assert result["imported"] == 2 and result["imported"] + sum(counts.values()) == len(keys)
    assert result["rejected"]["unknown_key"]["examples"] == ["999999", "None"]
    assert result["rejected"]["wrong_dimension"]["examples"] == [str(ids[2])]
    assert result["rejected"]["duplicate_key"]["examples"] == [str(ids[1])]
    # against an existing space, its dimension is the rule, not the file's first row
    pq.write_table(vector_table([ids[5]], [[0.5] * (DIM + 1)], "sample_id"),
                   tmp_path / "wide.parquet")  # fmt: skip
    with pytest.raises(EmbedError, match=r"\(1 wrong_dimension\)"):
        run_import(data_dir, tmp_path / "wide.parquet")


def test_a_file_of_bad_rows_or_without_keys_writes_nothing(
    data: tuple[Path, list[int]], tmp_path: Path
) -> None:
    data_dir, _ = data
    pq.write_table(vector_table(["nope.jpg", "img99"], [[0.0] * DIM, [1.0] * DIM]),
                   tmp_path / "bad.parquet")  # fmt: skip
    with pytest.raises(EmbedError, match=r"none of the 2 rows .* \(2 unknown_key\)"):
        run_import(data_dir, tmp_path / "bad.parquet")
    pq.write_table(pa.table({"name": ["a"], "vector": [[1.0] * DIM]}), tmp_path / "nokey.parquet")
    with pytest.raises(EmbedError, match="no key column: add one of sample_id"):
        run_import(data_dir, tmp_path / "nokey.parquet")
    pq.write_table(pa.table({"sample_id": [1], "vector": [["a"]]}), tmp_path / "text.parquet")
    with pytest.raises(EmbedError, match="must be a list of floats, not list<element: string>"):
        run_import(data_dir, tmp_path / "text.parquet")
    np.save(tmp_path / "v.npy", np.ones((2, DIM)))
    with pytest.raises(EmbedError, match="--ids"):
        run_import(data_dir, tmp_path / "v.npy")
    with Catalog(data_dir) as catalog, open_vector_store(data_dir) as store:
        assert dataset_spaces(catalog, store, "ds") == []
        assert [s.name for s in store.spaces()] == []


def cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "visionlens_jlab.cli", *args,
         "--data-dir", str(data_dir), "--json"],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip


def test_cli_json_output_and_failure(data: tuple[Path, list[int]], tmp_path: Path) -> None:
    data_dir, ids = data
    m = vectors()
    keys = [*NAMES, "missing.jpg"]
    pq.write_table(vector_table(keys, [*m.tolist(), m[0].tolist()]), tmp_path / "v.parquet")
    out = cli(data_dir, "embeddings-import", "ds", str(tmp_path / "v.parquet"), "--space", "mine")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert set(result) >= {"dataset", "space", "dim", "imported", "rejected", "seconds"}
    assert (result["imported"], result["rejected"]["unknown_key"]["count"]) == (N, 1)
    assert result["rejected"]["unknown_key"]["examples"] == ["missing.jpg"]
    assert isinstance(result["seconds"], float)
    assert nearest(data_dir, ids[3])[1] == ids[7]
    # the map and the duplicates read the imported space as a computed one
    for space in (result["space"], "mine"):  # the store's name, or the one imported under
        out = cli(data_dir, "map", "ds", "--space", space)
        assert out.returncode == 0, out.stderr
        mapped = json.loads(out.stdout)
        assert (mapped["points"], mapped["space"]) == (N, result["space"])
    out = cli(data_dir, "duplicates", "ds", "--model", "mine", "--threshold", "0.99", "--no-hashes")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["groups"] == [sorted([ids[3], ids[7]])]
    pq.write_table(vector_table(["missing.jpg"], [m[0].tolist()]), tmp_path / "bad.parquet")
    out = cli(
        data_dir, "embeddings-import", "ds", str(tmp_path / "bad.parquet"), "--space", "other"
    )
    assert out.returncode == 1
    assert "none of the 1 rows" in json.loads(out.stdout)["errors"][0]["message"]


def test_image_ids_match_the_source_ids_only(data: tuple[Path, list[int]], tmp_path: Path) -> None:
    data_dir, ids = data
    with Catalog(data_dir) as catalog, catalog.write() as cur:
        cur.executemany(
            "UPDATE samples SET source_image_id = ? WHERE sample_id = ?",
            [[str(100 + i), sid] for i, sid in enumerate(ids)],
        )
    m = vectors()
    # COCO's integer image ids; a stem is no image id
    keys = [100 + i for i in range(N)]
    table = pa.table({"image_id": pa.array(keys), "vector": pa.array(m.tolist())})
    pq.write_table(table.append_column("x", pa.array([0] * N)), tmp_path / "v.parquet")
    result = run_import(data_dir, tmp_path / "v.parquet")
    assert (result["imported"], result["key"]) == (N, "image_id")
    assert nearest(data_dir, ids[3])[1] == ids[7]
    pq.write_table(vector_table(["img00"], [m[0].tolist()], "image_id"), tmp_path / "s.parquet")
    with pytest.raises(EmbedError, match="1 unknown_key"):
        run_import(data_dir, tmp_path / "s.parquet")


def stored(data_dir: Path, ids: list[int], space: str = "mine") -> np.ndarray:
    with open_vector_store(data_dir) as store:
        found, matrix = store.get_vectors(space_name(space, IMPORTED), ids)
    assert list(found) == list(ids)
    return matrix


def unit(m: np.ndarray) -> np.ndarray:
    return m / np.linalg.norm(m, axis=1, keepdims=True)


def test_a_file_that_breaks_half_way_writes_nothing(
    data: tuple[Path, list[int]], tmp_path: Path
) -> None:
    data_dir, ids = data
    m = vectors()

    def truncated(matrix: np.ndarray, name: str) -> Path:
        table = pa.table({"sample_id": ids, "vector": pa.array(matrix.tolist())})
        with pa.ipc.new_stream(tmp_path / "whole", table.schema) as stream:
            stream.write_table(table, max_chunksize=4)
        whole = (tmp_path / "whole").read_bytes()
        (tmp_path / name).write_bytes(whole[:-100])  # the last batch is cut off
        return tmp_path / name

    with pytest.raises(EmbedError, match=r"could not be read after its first 8 rows .*nothing"):
        run_import(data_dir, truncated(m, "new.arrows"))
    with Catalog(data_dir) as catalog, open_vector_store(data_dir) as store:
        assert [s.name for s in store.spaces()] == []
        assert dataset_spaces(catalog, store, "ds") == []
    pq.write_table(vector_table(ids, m.tolist(), "sample_id"), tmp_path / "v.parquet")
    assert run_import(data_dir, tmp_path / "v.parquet")["imported"] == N
    # importing again replaces all the vectors or none: these are the first file's still
    with pytest.raises(EmbedError, match="could not be read"):
        run_import(data_dir, truncated(-m, "again.arrows"))
    np.testing.assert_allclose(stored(data_dir, ids), unit(m), atol=1e-5)


class CancelWhileWriting(JobContext):
    """A real job context whose job is cancelled once the first vectors were written."""

    def items(self, stage: str, done: int, total: int, message: str = "", **kw: Any) -> None:
        super().items(stage, done, total, message, **kw)
        if stage == "writing":
            self._job.cancel_event.set()


def test_a_cancel_while_writing_puts_the_space_back(
    data: tuple[Path, list[int]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir, ids = data
    m = vectors()
    pq.write_table(vector_table(ids[:6], m[:6].tolist(), "sample_id"), tmp_path / "a.parquet")
    assert run_import(data_dir, tmp_path / "a.parquet")["imported"] == 6
    # replace those six and add the other six, in write batches of 4: cancelled after one
    monkeypatch.setattr(import_staging.Staged, "BATCH", 4)
    pq.write_table(vector_table(ids, (-m).tolist(), "sample_id"), tmp_path / "b.parquet")
    with Catalog(data_dir) as catalog, open_vector_store(data_dir) as store:
        ctx = CancelWhileWriting(Job("j1", "embeddings_import", "import"))
        with pytest.raises(JobCancelled):
            import_embeddings(ctx, catalog, store, "ds", "mine", str(tmp_path / "b.parquet"))
        assert store.count(space_name("mine", IMPORTED)) == 6
        (row,) = dataset_spaces(catalog, store, "ds")
        assert row["count"] == 6
    np.testing.assert_allclose(stored(data_dir, ids[:6]), unit(m[:6]), atol=1e-5)
    # a new space cancelled while written is no space
    with Catalog(data_dir) as catalog, open_vector_store(data_dir) as store:
        ctx = CancelWhileWriting(Job("j2", "embeddings_import", "import"))
        with pytest.raises(JobCancelled):
            import_embeddings(ctx, catalog, store, "ds", "new", str(tmp_path / "b.parquet"))
        assert [s.name for s in store.spaces()] == [space_name("mine", IMPORTED)]


def test_sample_ids_match_only_whole_numbers(data: tuple[Path, list[int]], tmp_path: Path) -> None:
    data_dir, ids = data
    m = vectors().tolist()
    # a cast would round 1.6 up to 2, read 0x10 as 16 and 1_000 as 1000: each names no sample
    keys = [f"{ids[0]}.6", f"{ids[0]}.4", f"0x{ids[1]:x}", f"{ids[2] // 10}_{ids[2] % 10}",
            f" {ids[3]} ", f"+{ids[4]}"]  # fmt: skip
    pq.write_table(vector_table(keys, m[:6], "sample_id"), tmp_path / "text.parquet")
    result = run_import(data_dir, tmp_path / "text.parquet")
    assert result["rejected"]["unknown_key"]["examples"] == keys[:4]
    assert result["imported"] == 2
    np.testing.assert_allclose(stored(data_dir, ids[3:5]), unit(np.array(m[4:6])), atol=1e-5)
    # float ids (pandas makes them of an integer column with a gap): whole ones match
    floats = [ids[5] + 0.5, float(ids[6])]
    pq.write_table(vector_table(floats, m[:2], "sample_id"), tmp_path / "f.parquet")
    result = run_import(data_dir, tmp_path / "f.parquet")
    assert (result["imported"], result["rejected"]["unknown_key"]["examples"]) == (
        1,
        [str(ids[5] + 0.5)],
    )
    # and so do whole float image ids
    with Catalog(data_dir) as catalog, catalog.write() as cur:
        cur.execute("UPDATE samples SET source_image_id = '139' WHERE sample_id = ?", [ids[8]])
    pq.write_table(vector_table([139.0], m[:1], "image_id"), tmp_path / "i.parquet")
    assert run_import(data_dir, tmp_path / "i.parquet")["imported"] == 1
    np.testing.assert_allclose(stored(data_dir, [ids[8]]), unit(np.array(m[:1])), atol=1e-5)


def test_ids_files_as_numpy_and_notebooks_write_them(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    names = [f"{i:012d}.jpg" for i in range(1, N + 1)]  # COCO's names: stems of digits
    with Catalog(data_dir) as catalog:
        add_dataset(catalog, "other", str(tmp_path), [str(tmp_path / "x.jpg")])
        ids = add_dataset(catalog, "ds", str(tmp_path), [str(tmp_path / n) for n in names])
    m = vectors()
    np.save(tmp_path / "v.npy", m)
    # a JSON list of strings names files, however digit-like (here sample id 1 is another
    # dataset's, 2 is the first image's): typed values are not guessed at
    stems = [Path(n).stem for n in names]
    (tmp_path / "stems.json").write_text(json.dumps(stems))
    result = run_import(data_dir, tmp_path / "v.npy", ids=str(tmp_path / "stems.json"))
    assert (result["imported"], result["key"]) == (N, "file_name")
    np.testing.assert_allclose(stored(data_dir, ids), unit(m), atol=1e-5)
    # ids saved with np.save, strings or numbers
    np.save(tmp_path / "names.npy", np.array(names))
    result = run_import(data_dir, tmp_path / "v.npy", "b", ids=str(tmp_path / "names.npy"))
    assert (result["imported"], result["key"]) == (N, "file_name")
    np.save(tmp_path / "ids.npy", np.array(ids))
    result = run_import(data_dir, tmp_path / "v.npy", "c", ids=str(tmp_path / "ids.npy"))
    assert (result["imported"], result["key"]) == (N, "sample_id")
    # a CSV that Excel saved with a byte order mark
    text = "\ufefffile_name\r\n" + "".join(f"{n}\r\n" for n in names)
    (tmp_path / "ids.csv").write_text(text, encoding="utf-8", newline="")
    result = run_import(data_dir, tmp_path / "v.npy", "d", ids=str(tmp_path / "ids.csv"))
    assert (result["imported"], result["key"]) == (N, "file_name")
    # arrays that hold no floats are refused by name, not with numpy's own error
    np.save(tmp_path / "obj.npy", np.array(list(m), dtype=object), allow_pickle=True)
    with pytest.raises(EmbedError, match="holds Python objects.*np.stack"):
        run_import(data_dir, tmp_path / "obj.npy", "e", ids=str(tmp_path / "ids.npy"))
    np.save(tmp_path / "c.npy", m.astype(np.complex64))
    with pytest.raises(EmbedError, match="2-D array of floats, not complex64"):
        run_import(data_dir, tmp_path / "c.npy", "e", ids=str(tmp_path / "ids.npy"))
    np.savez(tmp_path / "v.npz", m)
    with pytest.raises(EmbedError, match=r"is a zip \(an .npz\?\)"):
        run_import(data_dir, tmp_path / "v.npz", "e", ids=str(tmp_path / "ids.npy"))
