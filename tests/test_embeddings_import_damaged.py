"""``visionlens embeddings-import`` on files as they arrive in practice: cut short by a copy
that stopped, ids files saved by Windows tools (UTF-16, another code page), spreadsheets of
other locales (tab or semicolon separated) and ``np.save`` of bytes, a DataFrame keyed by
its index, and a space that already holds vectors of another length. Each either imports
or is refused with an :class:`EmbedError` naming the file and the fix, writing nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from visionlens_jlab.embed.base import EmbedError

from .test_embeddings_import import cli, dataset_of
from .test_embeddings_import_files import (
    DIM,
    NAMES,
    STEMS,
    N,
    assert_nothing_written,
    assert_stored,
    matrix,
)
from .test_embeddings_import_files import run_import as run


@pytest.fixture
def data(tmp_path: Path) -> tuple[Path, list[int]]:
    return dataset_of(tmp_path, NAMES)


def test_files_cut_short_are_refused_by_name(data: tuple[Path, list[int]], tmp_path: Path) -> None:
    data_dir, ids = data
    m = np.random.default_rng(0).normal(size=(2000, DIM))
    table = pa.table({"sample_id": np.arange(2000), "vector": m.tolist()})
    pq.write_table(table, tmp_path / "whole.parquet")
    whole = (tmp_path / "whole.parquet").read_bytes()
    (tmp_path / "cut.parquet").write_bytes(whole[: len(whole) // 2])  # a download that stopped
    with pytest.raises(EmbedError, match=r"cut.parquet could not be read as Parquet .*cut short"):
        run(data_dir, tmp_path / "cut.parquet")
    with pa.ipc.new_file(tmp_path / "whole.arrow", table.schema) as writer:
        writer.write_table(table)
    whole = (tmp_path / "whole.arrow").read_bytes()
    (tmp_path / "cut.arrow").write_bytes(whole[: len(whole) // 2])
    with pytest.raises(EmbedError, match=r"cut.arrow could not be read as an Arrow IPC file"):
        run(data_dir, tmp_path / "cut.arrow")
    np.save(tmp_path / "whole.npy", matrix())
    whole = (tmp_path / "whole.npy").read_bytes()
    (tmp_path / "cut.npy").write_bytes(whole[:-40])  # not "holds Python objects"
    (tmp_path / "ids.txt").write_text("\n".join(map(str, ids)))
    with pytest.raises(EmbedError, match=r"cut.npy could not be read as a .npy array .*cut short"):
        run(data_dir, tmp_path / "cut.npy", ids=str(tmp_path / "ids.txt"))
    # and through the CLI: an error line, no traceback
    out = cli(data_dir, "embeddings-import", "ds", str(tmp_path / "cut.parquet"), "--space", "x")
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert "could not be read as Parquet" in out.stderr
    assert_nothing_written(data_dir)


def test_ids_files_as_windows_tools_and_other_locales_save_them(
    data: tuple[Path, list[int]], tmp_path: Path
) -> None:
    data_dir, ids = data
    m = matrix(4)
    np.save(tmp_path / "v.npy", m)
    # PowerShell's `> ids.txt`: UTF-16 with a byte order mark
    (tmp_path / "ps.txt").write_text("\n".join(NAMES) + "\n", encoding="utf-16")
    result = run(data_dir, tmp_path / "v.npy", "ps", ids=str(tmp_path / "ps.txt"))
    assert (result["imported"], result["key"]) == (N, "file_name")
    assert_stored(data_dir, ids, m, "ps")
    # a spreadsheet of a locale whose separator is ';', and a tab-separated export
    (tmp_path / "semi.csv").write_text("file_name;x\n" + "".join(f"{n};1\n" for n in NAMES))
    assert run(data_dir, tmp_path / "v.npy", "semi", ids=str(tmp_path / "semi.csv"))["key"] == (
        "file_name"
    )
    assert_stored(data_dir, ids, m, "semi")
    rows = "".join(f"{n}\t{i}\n" for n, i in zip(NAMES, ids, strict=True))
    (tmp_path / "tab.tsv").write_text("file_name\tsample_id\n" + rows)
    result = run(data_dir, tmp_path / "v.npy", "tab", ids=str(tmp_path / "tab.tsv"))
    assert (result["imported"], result["key"]) == (N, "file_name")
    # ids saved as bytes (as h5py hands text back) are names, not "b'...'"
    np.save(tmp_path / "names.npy", np.array(STEMS, dtype="S"))
    result = run(data_dir, tmp_path / "v.npy", "bytes", ids=str(tmp_path / "names.npy"))
    assert (result["imported"], result["key"]) == (N, "file_name")
    assert_stored(data_dir, ids, m, "bytes")
    # a text file whose first name starts with '[' is lines, not broken JSON
    (tmp_path / "brackets.txt").write_text("\n".join(["[2020] first.jpg", *NAMES[1:]]))
    result = run(data_dir, tmp_path / "v.npy", "br", ids=str(tmp_path / "brackets.txt"))
    assert result["imported"] == N - 1
    assert result["rejected"]["unknown_key"]["examples"] == ["[2020] first.jpg"]


def test_ids_files_that_cannot_be_read_are_named(
    data: tuple[Path, list[int]], tmp_path: Path
) -> None:
    data_dir, _ = data
    np.save(tmp_path / "v.npy", matrix())
    text = "\n".join([*NAMES[:3], "val2017/caf\xe9.jpg", *NAMES[4:]])
    (tmp_path / "latin1.txt").write_bytes(text.encode("latin-1"))
    with pytest.raises(EmbedError, match=r"latin1.txt is not UTF-8 text \(line 4: .*save it as"):
        run(data_dir, tmp_path / "v.npy", ids=str(tmp_path / "latin1.txt"))
    with pytest.raises(EmbedError, match=r"no ids file at .*nope.txt .*--ids"):
        run(data_dir, tmp_path / "v.npy", ids=str(tmp_path / "nope.txt"))
    with pytest.raises(EmbedError, match="no ids file at"):
        run(data_dir, tmp_path / "v.npy", ids=str(tmp_path))  # a folder
    (tmp_path / "object.json").write_text('{"ids": [1, 2]}')  # not "has 1 keys for 10 rows"
    with pytest.raises(EmbedError, match="object.json is a JSON object: write the keys as a JSON"):
        run(data_dir, tmp_path / "v.npy", ids=str(tmp_path / "object.json"))
    (tmp_path / "broken.json").write_text("[1, 2,")
    with pytest.raises(EmbedError, match="broken.json is not a JSON list"):
        run(data_dir, tmp_path / "v.npy", ids=str(tmp_path / "broken.json"))
    assert_nothing_written(data_dir)


def test_a_dataframe_keyed_by_its_index(data: tuple[Path, list[int]], tmp_path: Path) -> None:
    """pandas writes evenly spaced ids of an index as a RangeIndex in its metadata, not as
    a column: ``set_index("sample_id")`` of ids 1..N (or 2, 4, 6...) left no key column."""
    data_dir, ids = data
    m = matrix(5)
    frame = pd.DataFrame({"sample_id": ids, "vector": list(m)}).set_index("sample_id")
    frame.to_parquet(tmp_path / "range.parquet", row_group_size=3)
    result = run(data_dir, tmp_path / "range.parquet")
    assert (result["imported"], result["key"]) == (N, "sample_id")
    assert_stored(data_dir, ids, m)
    # every other sample, the rows in reverse: start and step are read, not assumed
    odd = ids[::-2]
    frame = pd.DataFrame({"sample_id": odd, "vector": list(m[::-2])}).set_index("sample_id")
    frame.to_parquet(tmp_path / "step.parquet")
    result = run(data_dir, tmp_path / "step.parquet", "step")
    assert (result["imported"], result["key"]) == (len(odd), "sample_id")
    assert_stored(data_dir, odd, m[::-2], "step")
    # a named index of file names is a column, and a default RangeIndex is no key
    frame = pd.DataFrame({"vector": list(m)}, index=pd.Index(NAMES, name="file_name"))
    frame.to_parquet(tmp_path / "names.parquet")
    assert run(data_dir, tmp_path / "names.parquet", "names")["imported"] == N
    # a table sliced after pandas described its index: the metadata no longer fits the rows
    table = pa.Table.from_pandas(pd.DataFrame({"sample_id": ids, "vector": list(m)}).set_index(
        "sample_id"))  # fmt: skip
    pq.write_table(table.slice(2), tmp_path / "sliced.parquet")
    with pytest.raises(
        EmbedError, match=rf"pandas index 'sample_id' names {N} rows, .*reset_index"
    ):
        run(data_dir, tmp_path / "sliced.parquet", "sliced")
    pd.DataFrame({"vector": list(m)}).to_parquet(tmp_path / "plain.parquet")
    with pytest.raises(EmbedError, match="has no key column"):
        run(data_dir, tmp_path / "plain.parquet", "plain")


def test_a_space_of_another_dimension_says_so(data: tuple[Path, list[int]], tmp_path: Path) -> None:
    data_dir, ids = data
    m = matrix()
    pq.write_table(pa.table({"sample_id": ids, "vector": m.tolist()}), tmp_path / "a.parquet")
    assert run(data_dir, tmp_path / "a.parquet")["dim"] == DIM
    wide = np.concatenate([m, m], axis=1)
    pq.write_table(pa.table({"sample_id": ids, "vector": wide.tolist()}), tmp_path / "b.parquet")
    with pytest.raises(EmbedError, match=rf"\({N} wrong_dimension\): space 'mine' holds "
                                         rf"{DIM}-d vectors .*under a new --space name"):  # fmt: skip
        run(data_dir, tmp_path / "b.parquet")
    assert_stored(data_dir, ids, m)  # the first import's vectors, untouched
    assert run(data_dir, tmp_path / "b.parquet", "wide")["dim"] == 2 * DIM
    # importing again replaces the vectors of the samples the file names and keeps the rest;
    # the report (and the CLI's line) says how many were replaced
    pq.write_table(pa.table({"sample_id": ids[:3], "vector": (-m[:3]).tolist()}),
                   tmp_path / "c.parquet")  # fmt: skip
    out = cli(data_dir, "embeddings-import", "ds", str(tmp_path / "c.parquet"), "--space", "mine")
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    assert (got["imported"], got["replaced"], got["count"]) == (3, 3, N)
    assert_stored(data_dir, ids, np.concatenate([-m[:3], m[3:]]))
    out = subprocess.run(
        [sys.executable, "-m", "visionlens_jlab.cli", "embeddings-import", "ds",
         str(tmp_path / "c.parquet"), "--space", "mine", "--data-dir", str(data_dir)],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert f"replaced the vectors of 3 samples, the space holds {N}" in out.stdout, out.stderr
    assert run(data_dir, tmp_path / "c.parquet", "new")["replaced"] == 0
