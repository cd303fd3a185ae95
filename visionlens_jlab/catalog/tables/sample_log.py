"""One shape for the operation log's per-sample tables: the tags of whole samples
(``sample_tag_ops``) and their image-level labels (``classification_ops``).

Each table holds ``dataset_id, seq, batch_id``, the change's key columns (``sample_id``,
and ``source`` for image labels), then the values before and after. A change is an Arrow
table of the log's schema, whose last two columns are the values before and after: a batch
appends it, an undo reads it back and swaps the two.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pyarrow as pa


@dataclass(frozen=True)
class SampleLog:
    """A per-sample log table (``table``) and the shape of its changes (``schema``)."""

    table: str
    schema: pa.Schema

    def append(
        self,
        cur: duckdb.DuckDBPyConnection,
        dataset_id: int,
        batch_id: int,
        first: int,
        changes: pa.Table,
    ) -> int:
        """Append ``changes`` to the log from ``seq`` ``first``, in their order; return the
        last ``seq`` written (``first - 1`` when there are none)."""
        if not changes.num_rows:
            return first - 1
        numbered = changes.append_column(
            "seq", pa.array(range(first, first + changes.num_rows), pa.int64())
        )
        view = f"_vl_{self.table}_new"
        columns = ", ".join(self.schema.names)
        cur.register(view, numbered)
        try:
            cur.execute(
                f"INSERT INTO {self.table} SELECT ?, seq, ?, {columns} FROM {view}",  # noqa: S608 - the catalog's own names
                [dataset_id, batch_id],
            )
        finally:
            cur.unregister(view)
        return first + changes.num_rows - 1

    def batch(self, cur: duckdb.DuckDBPyConnection, dataset_id: int, batch_id: int) -> pa.Table:
        """The change one logged batch made, in the order applied."""
        table = cur.sql(
            f"SELECT {', '.join(self.schema.names)} FROM {self.table} "  # noqa: S608
            "WHERE dataset_id = $1 AND batch_id = $2 ORDER BY seq",
            params=[dataset_id, batch_id],
        ).to_arrow_table()
        return table.cast(self.schema)

    def inverse(self, changes: pa.Table) -> pa.Table:
        """The change that takes the samples back: the values before and after swapped."""
        columns = changes.columns
        return pa.table([*columns[:-2], columns[-1], columns[-2]], schema=self.schema)
