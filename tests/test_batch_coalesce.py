"""Parser batches coalesced into runs (:func:`visionlens_jlab.records.batches.coalesced`):
fewer writer statements, the same rows in the same order."""

from __future__ import annotations

import pyarrow as pa

from visionlens_jlab.records.batches import Batch, coalesced


def _table(first: int, n: int, name: str = "v") -> pa.Table:
    return pa.table({name: pa.array(range(first, first + n), pa.int64())})


def test_runs_end_at_the_row_limit_and_keep_the_order() -> None:
    batches = [Batch(samples=_table(10 * i, 10), annotations=_table(5 * i, 5)) for i in range(7)]
    runs = list(coalesced(batches, rows=30))
    assert [r.samples.num_rows for r in runs if r.samples is not None] == [30, 30, 10]
    samples = pa.concat_tables([r.samples for r in runs if r.samples is not None])
    objects = pa.concat_tables([r.annotations for r in runs if r.annotations is not None])
    assert samples["v"].to_pylist() == list(range(70))
    assert objects["v"].to_pylist() == list(range(35))


def test_a_batch_without_a_table_joins_the_run() -> None:
    batches = [Batch(samples=_table(0, 2)), Batch(samples=_table(2, 2), annotations=_table(0, 1))]
    (run,) = coalesced(batches, rows=100)
    assert run.samples is not None and run.samples["v"].to_pylist() == [0, 1, 2, 3]
    assert run.annotations is not None and run.annotations.num_rows == 1
    assert run.classifications is None


def test_a_new_schema_starts_a_new_run() -> None:
    batches = [Batch(samples=_table(0, 2)), Batch(samples=_table(2, 2, "w"))]
    runs = list(coalesced(batches, rows=100))
    assert [r.samples.column_names for r in runs if r.samples is not None] == [["v"], ["w"]]
