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
from visionlens_jlab.embed.base import EmbedError
from visionlens_jlab.embed.imported import IMPORTED, import_embeddings
from visionlens_jlab.embed.spaces import dataset_spaces
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


@pytest.fixture
def data(tmp_path: Path) -> tuple[Path, list[int]]:
    data_dir = tmp_path / "data"
    with Catalog(data_dir) as catalog:
        ids = add_dataset(catalog, "ds", str(tmp_path), [str(tmp_path / n) for n in NAMES],
                          file_names=NAMES)  # fmt: skip
    return data_dir, ids


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
    assert counts == {"unknown_key": 2, "wrong_dimension": 1, "not_finite": 2, "duplicate_key": 1}
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
