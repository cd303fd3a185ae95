"""``visionlens embeddings-import`` at edges of its key column, report and checks: a file
with several key columns is keyed by the first of ``sample_id``, ``image_id``,
``file_name``; a file whose first row has no vector takes the space's dimension from the
first row that has one; a rejection lists its first five keys as examples while counting
every row; a cancel after new samples' vectors were written takes them out again."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from visionlens_jlab.catalog import Catalog
from visionlens_jlab.embed import import_staging
from visionlens_jlab.embed.imported import EXAMPLES, IMPORTED, import_embeddings
from visionlens_jlab.jobs.job import Job, JobCancelled
from visionlens_jlab.vectors import open_vector_store, space_name

from .test_embeddings_import import (
    DIM,
    NAMES,
    CancelWhileWriting,
    N,
    dataset_of,
    run_import,
    unit,
    vector_table,
    vectors,
)
from .test_embeddings_import_sources import stored


@pytest.fixture
def data(tmp_path: Path) -> tuple[Path, list[int]]:
    return dataset_of(tmp_path, NAMES)


def test_sample_ids_key_a_file_before_its_file_names(
    data: tuple[Path, list[int]], tmp_path: Path
) -> None:
    """The file names are shifted by one: keyed by them, each vector would go to the next
    sample, and the first row would name none."""
    data_dir, ids = data
    table = vector_table(ids, vectors().tolist(), "sample_id")
    table = table.append_column("file_name", pa.array(["x.jpg", *NAMES[:-1]]))
    pq.write_table(table, tmp_path / "v.parquet")
    result = run_import(data_dir, tmp_path / "v.parquet")
    assert (result["key"], result["imported"]) == ("sample_id", N)
    got = stored(data_dir, ids)
    assert np.allclose(np.stack([got[i] for i in ids]), unit(vectors()), atol=1e-5)


def test_a_first_row_without_a_vector_leaves_the_dimension_to_the_next(
    data: tuple[Path, list[int]], tmp_path: Path
) -> None:
    data_dir, _ = data
    rows: list[list[float] | None] = [None, *vectors().tolist()[1:]]
    pq.write_table(vector_table(NAMES, rows), tmp_path / "v.parquet")
    result = run_import(data_dir, tmp_path / "v.parquet")
    assert (result["dim"], result["imported"]) == (DIM, N - 1)
    assert result["rejected"]["null_vector"]["examples"] == [NAMES[0]]


def test_examples_are_the_first_five_keys_and_the_count_is_all(
    data: tuple[Path, list[int]], tmp_path: Path
) -> None:
    data_dir, _ = data
    unknown = [f"missing/{i}.jpg" for i in range(EXAMPLES + 3)]
    m = np.random.default_rng(1).normal(size=(N + len(unknown), DIM)).tolist()
    pq.write_table(vector_table(NAMES + unknown, m), tmp_path / "v.parquet")
    result = run_import(data_dir, tmp_path / "v.parquet")
    assert result["imported"] == N
    assert result["rejected"]["unknown_key"]["count"] == EXAMPLES + 3
    assert result["rejected"]["unknown_key"]["examples"] == unknown[:5]


def test_a_cancel_takes_out_the_vectors_of_samples_the_space_lacked(
    data: tuple[Path, list[int]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The space holds six samples; the second file's first write batch is four others:
    cancelled after it, the space holds the six again and nothing of the four."""
    data_dir, ids = data
    m = vectors()
    pq.write_table(vector_table(ids[:6], m[:6].tolist(), "sample_id"), tmp_path / "a.parquet")
    assert run_import(data_dir, tmp_path / "a.parquet")["imported"] == 6
    monkeypatch.setattr(import_staging.Staged, "BATCH", 4)
    order = ids[6:] + ids[:6]
    pq.write_table(vector_table(order, (-m).tolist(), "sample_id"), tmp_path / "b.parquet")
    with Catalog(data_dir) as catalog, open_vector_store(data_dir) as store:
        ctx = CancelWhileWriting(Job("j1", "embeddings_import", "import"))
        with pytest.raises(JobCancelled):
            import_embeddings(ctx, catalog, store, "ds", "mine", str(tmp_path / "b.parquet"))
        assert store.count(space_name("mine", IMPORTED)) == 6
    assert sorted(stored(data_dir, ids)) == sorted(ids[:6])
    kept = stored(data_dir, ids[:6])
    np.testing.assert_allclose(np.stack([kept[i] for i in ids[:6]]), unit(m[:6]), atol=1e-5)
