"""``visionlens embeddings-import`` on files other tools write, each written here with that
tool's own library: pandas, pyarrow and polars Parquet and Arrow files (list, large list and
fixed-size list vectors of float16/32/64, dictionary keys), FiftyOne's and Hugging Face's
``embedding(s)`` column, Lightly's ``embeddings.csv``, ``.npy`` arrays with ids files as
editors and COCO name them; and the refusals, each naming the file and the fix and writing
nothing."""

from __future__ import annotations

import csv
import importlib.util
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.parquet as pq
import pytest

from visionlens_jlab.embed.base import EmbedError
from visionlens_jlab.embed.imported import IMPORTED
from visionlens_jlab.vectors import open_vector_store, space_name

from .test_embeddings_import import dataset_of, run_import, unit

N, DIM = 10, 6
# COCO's names: a stem of zero-padded digits, here not the sample's own id (sample k is
# named N + 1 - k), so reading a stem as a sample id would pick another sample
STEMS = [f"{N - i:012d}" for i in range(N)]
NAMES = [f"val2017/{s}.jpg" for s in STEMS]
HAS_POLARS = importlib.util.find_spec("polars") is not None


@pytest.fixture
def data(tmp_path: Path) -> tuple[Path, list[int]]:
    data_dir, ids = dataset_of(tmp_path, NAMES)
    assert ids == list(range(1, N + 1))  # so the stems are other samples' ids
    return data_dir, ids


def matrix(seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(N, DIM)).astype(np.float32)


def assert_stored(data_dir: Path, ids: list[int], m: np.ndarray, space: str = "mine") -> None:
    """Sample ``ids[k]`` holds row ``k`` of ``m`` (normalized), every one of them."""
    with open_vector_store(data_dir) as store:
        found, got = store.get_vectors(space_name(space, IMPORTED), ids)
    assert list(found) == list(ids)
    np.testing.assert_allclose(got, unit(m.astype(np.float64)), atol=2e-3)


def assert_nothing_written(data_dir: Path) -> None:
    with open_vector_store(data_dir) as store:
        assert [s.name for s in store.spaces()] == []


def pandas_parquet(path: Path, m: np.ndarray) -> None:  # list<double>, large_string keys
    pd.DataFrame({"file_name": NAMES, "vector": list(m.astype(np.float64))}).to_parquet(path)


def pandas_feather_categorical(path: Path, m: np.ndarray) -> None:  # Feather v2, dictionary
    pd.DataFrame({"file_name": pd.Categorical(NAMES), "vector": list(m)}).to_feather(path)


def pyarrow_fixed_float16(path: Path, m: np.ndarray) -> None:
    values = pa.array(m.astype(np.float16).reshape(-1))
    table = pa.table({"sample_id": pa.array(range(1, N + 1), pa.int64()),
                      "vector": pa.FixedSizeListArray.from_arrays(values, DIM)})  # fmt: skip
    pq.write_table(table, path, row_group_size=3)  # several row groups


def pyarrow_large_list_stream(path: Path, m: np.ndarray) -> None:  # an Arrow IPC stream
    table = pa.table({"file_name": STEMS,
                      "vector": pa.array(m.astype(np.float64).tolist(), pa.large_list(pa.float64()))})  # fmt: skip
    with pa.ipc.new_stream(path, table.schema) as writer:
        writer.write_table(table, max_chunksize=4)


def fiftyone_embedding(path: Path, m: np.ndarray) -> None:  # FiftyOne's and HF's name
    table = pa.table(
        {"file_name": NAMES, "embedding": pa.array(m.tolist(), pa.list_(pa.float32()))}
    )
    feather.write_feather(table, path)


def hf_embeddings(path: Path, m: np.ndarray) -> None:
    pq.write_table(pa.table({"file_name": NAMES, "embeddings": m.tolist()}), path)


def polars_parquet(path: Path, m: np.ndarray) -> None:  # large_list<double>
    import polars as pl

    pl.DataFrame({"file_name": NAMES, "vector": m.tolist()}).write_parquet(path)


def polars_ipc_categorical(path: Path, m: np.ndarray) -> None:  # dictionary<string_view>, array
    import polars as pl

    keys = pl.Series(NAMES, dtype=pl.Categorical)
    pl.DataFrame({"file_name": keys, "vector": m}).write_ipc(path)


WRITERS: dict[str, tuple[Callable[[Path, np.ndarray], None], str, bool]] = {
    "pandas.parquet": (pandas_parquet, "file_name", False),
    "pandas.feather": (pandas_feather_categorical, "file_name", False),
    "pyarrow16.parquet": (pyarrow_fixed_float16, "sample_id", False),
    "pyarrow.arrows": (pyarrow_large_list_stream, "file_name", False),
    "fiftyone.arrow": (fiftyone_embedding, "file_name", False),
    "hf.parquet": (hf_embeddings, "file_name", False),
    "polars.parquet": (polars_parquet, "file_name", True),
    "polars.arrow": (polars_ipc_categorical, "file_name", True),
}


@pytest.mark.parametrize("name", list(WRITERS))
def test_files_as_other_libraries_write_them(
    data: tuple[Path, list[int]], tmp_path: Path, name: str
) -> None:
    data_dir, ids = data
    write, key, needs_polars = WRITERS[name]
    if needs_polars and not HAS_POLARS:
        pytest.skip("polars is not installed")
    m = matrix()
    write(tmp_path / name, m)
    result = run_import(data_dir, tmp_path / name)
    assert (result["imported"], result["key"], result["dim"]) == (N, key, DIM)
    # row k names sample k, by its name, its stem or its id
    assert_stored(data_dir, ids, m)


def test_vectors_under_both_other_names_are_refused(
    data: tuple[Path, list[int]], tmp_path: Path
) -> None:
    data_dir, _ = data
    m = matrix().tolist()
    pq.write_table(pa.table({"file_name": NAMES, "embedding": m, "embeddings": m}),
                   tmp_path / "two.parquet")  # fmt: skip
    with pytest.raises(EmbedError, match="two.parquet has both 'embedding' and 'embeddings'.*"
                                         "--vector-column"):  # fmt: skip
        run_import(data_dir, tmp_path / "two.parquet")
    pq.write_table(pa.table({"file_name": NAMES, "feats": m}), tmp_path / "none.parquet")
    with pytest.raises(EmbedError, match="none.parquet has no 'vector' column .*--vector-column "
                                         r"\(read without it: 'vector', 'embedding' or"):  # fmt: skip
        run_import(data_dir, tmp_path / "none.parquet")
    assert_nothing_written(data_dir)


def write_lightly(path: Path, m: np.ndarray, names: list[str], key: str = "filenames") -> None:
    """A CSV as ``lightly.utils.io.save_embeddings`` writes it (``csv.writer``: a header
    ``filenames, embedding_0..embedding_{d-1}, labels``, one row an image)."""
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        labels = ["labels"] if key == "filenames" else []
        writer.writerow([key, *(f"embedding_{i}" for i in range(m.shape[1])), *labels])
        for name, row in zip(names, m, strict=True):
            writer.writerow([name, *row.tolist(), *([0] if labels else [])])


def test_lightly_embeddings_csv(data: tuple[Path, list[int]], tmp_path: Path) -> None:
    data_dir, ids = data
    m = matrix(1)
    # Lightly names the files under its input folder: val2017/..., matched as any name
    write_lightly(tmp_path / "embeddings.csv", m, NAMES)
    result = run_import(data_dir, tmp_path / "embeddings.csv")
    assert (result["imported"], result["key"], result["dim"]) == (N, "file_name", DIM)
    assert_stored(data_dir, ids, m)
    # saved again by an editor: a byte order mark, and a name without .csv
    saved = b"\xef\xbb\xbf" + (tmp_path / "embeddings.csv").read_bytes()
    (tmp_path / "embeddings-export").write_bytes(saved)
    assert run_import(data_dir, tmp_path / "embeddings-export", "bom")["imported"] == N
    # LightlyTrain's "csv" format: filename, no labels; an empty cell is no number
    write_lightly(tmp_path / "train.csv", m, [n.split("/")[1] for n in NAMES], key="filename")
    text = (tmp_path / "train.csv").read_text().splitlines()
    text[2] = text[2].rsplit(",", 1)[0] + ","
    (tmp_path / "train.csv").write_text("\r\n".join(text) + "\r\n")
    other = run_import(data_dir, tmp_path / "train.csv", space="train")
    assert other["imported"] == N - 1
    assert other["rejected"]["not_finite"]["examples"] == [NAMES[1].split("/")[1]]
    assert_stored(data_dir, ids[:1] + ids[2:], np.delete(m, 1, axis=0), "train")


def test_lightly_csv_refusals(data: tuple[Path, list[int]], tmp_path: Path) -> None:
    data_dir, _ = data
    (tmp_path / "v.csv").write_text('path,vector\na.jpg,"[1, 2]"\n')
    with pytest.raises(EmbedError, match="v.csv is a CSV file without Lightly's columns "
                                         r"\(its header: path, vector\).*Parquet"):  # fmt: skip
        run_import(data_dir, tmp_path / "v.csv")
    write_lightly(tmp_path / "bad.csv", matrix(), NAMES)
    lines = (tmp_path / "bad.csv").read_text().splitlines()
    lines[4] = lines[4].replace(",", ",x", 1)
    (tmp_path / "bad.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(EmbedError, match=r"bad.csv could not be read .*invalid value .x0.*nothing"):
        run_import(data_dir, tmp_path / "bad.csv")
    assert_nothing_written(data_dir)


def test_ids_files_as_editors_and_coco_write_them(
    data: tuple[Path, list[int]], tmp_path: Path
) -> None:
    data_dir, ids = data
    m = matrix(2)
    np.save(tmp_path / "v.npy", np.asfortranarray(m.astype(np.float16)))
    # COCO's zero-padded stems are names, though they are digits (here other samples' ids)
    (tmp_path / "stems.txt").write_text("\n".join(STEMS) + "\n")
    result = run_import(data_dir, tmp_path / "v.npy", ids=str(tmp_path / "stems.txt"))
    assert (result["imported"], result["key"]) == (N, "file_name")
    assert_stored(data_dir, ids, m)
    # a Windows editor's file: byte order mark, header, CRLF, a blank last line
    text = "\ufefffile_name\r\n" + "\r\n".join(NAMES) + "\r\n\r\n"
    (tmp_path / "ids.csv").write_bytes(text.encode("utf-8"))
    np.save(tmp_path / "w.npy", m.astype(np.float64))
    again = run_import(data_dir, tmp_path / "w.npy", "win", ids=str(tmp_path / "ids.csv"))
    assert (again["imported"], again["key"]) == (N, "file_name")
    assert_stored(data_dir, ids, m, "win")
    # integers without zeros in front are still sample ids
    (tmp_path / "ints.txt").write_text("\n".join(str(i) for i in ids) + "\n")
    by_id = run_import(data_dir, tmp_path / "w.npy", "ids", ids=str(tmp_path / "ints.txt"))
    assert by_id["key"] == "sample_id"
    assert_stored(data_dir, ids, m, "ids")


def test_a_malformed_first_row_does_not_set_the_dimension(
    data: tuple[Path, list[int]], tmp_path: Path
) -> None:
    """A short first vector is reported, not taken as the space's dimension; a vector with
    a null value (list<float> with a null element) is reported as not finite."""
    data_dir, ids = data
    m = matrix(3)
    rows: list[Any] = m.tolist()
    rows[0] = rows[0][:-1]
    rows[4] = [None, *rows[4][1:]]
    table = pa.table({"file_name": NAMES, "vector": pa.array(rows, pa.list_(pa.float32()))})
    pq.write_table(table, tmp_path / "v.parquet")
    result = run_import(data_dir, tmp_path / "v.parquet")
    assert (result["dim"], result["imported"]) == (DIM, N - 2)
    assert result["rejected"]["wrong_dimension"]["examples"] == [NAMES[0]]
    assert result["rejected"]["not_finite"]["examples"] == [NAMES[4]]
    kept = [k for k in range(N) if k not in (0, 4)]
    assert_stored(data_dir, [ids[k] for k in kept], m[kept])


def test_refusals_name_the_file_and_the_fix(data: tuple[Path, list[int]], tmp_path: Path) -> None:
    data_dir, _ = data
    empty = pa.table({"file_name": pa.array([], pa.string()),
                      "vector": pa.array([], pa.list_(pa.float32()))})  # fmt: skip
    pq.write_table(empty, tmp_path / "empty.parquet")
    with pytest.raises(EmbedError, match="empty.parquet holds no rows: nothing was imported"):
        run_import(data_dir, tmp_path / "empty.parquet")
    (tmp_path / "ids.txt").write_text("\n".join(str(i) for i in range(1, N + 1)))
    np.save(tmp_path / "one.npy", matrix()[0])
    with pytest.raises(EmbedError, match=r"one.npy must hold a 2-D .* shape \(6,\), .*reshape"):
        run_import(data_dir, tmp_path / "one.npy", ids=str(tmp_path / "ids.txt"))
    np.save(tmp_path / "tokens.npy", np.ones((N, 3, DIM), np.float32))
    with pytest.raises(EmbedError, match=r"tokens.npy must hold a 2-D .* pool or flatten"):
        run_import(data_dir, tmp_path / "tokens.npy", ids=str(tmp_path / "ids.txt"))
    np.savez(tmp_path / "v.npz", vectors=matrix())
    with pytest.raises(EmbedError, match=r"v.npz is a zip .* np.save"):
        run_import(data_dir, tmp_path / "v.npz", ids=str(tmp_path / "ids.txt"))
    np.save(tmp_path / "v.npy", matrix())
    (tmp_path / "head.txt").write_text("filename\n" + "\n".join(NAMES))
    with pytest.raises(EmbedError, match="head.txt has 11 keys for the 10 rows .* first line "
                                         "'filename' is a header, name the column"):  # fmt: skip
        run_import(data_dir, tmp_path / "v.npy", ids=str(tmp_path / "head.txt"))
    text = pa.table({"file_name": NAMES, "vector": [str(r) for r in matrix().tolist()]})
    pq.write_table(text, tmp_path / "text.parquet")  # a CSV's "[0.1, ...]" kept as text
    with pytest.raises(EmbedError, match="'vector' column of .*text.parquet must be a list of "
                                         "floats, not string: write each vector as numbers"):  # fmt: skip
        run_import(data_dir, tmp_path / "text.parquet")
    (tmp_path / "v.json").write_text('{"vectors": []}')
    with pytest.raises(EmbedError, match="v.json is neither Parquet, Arrow IPC, .npy nor "
                                         "Lightly's .* write the vectors as Parquet"):  # fmt: skip
        run_import(data_dir, tmp_path / "v.json")
    assert_nothing_written(data_dir)
