"""The parser's batches as the Arrow streams of the dataset writer's transactions.

DuckDB writes the rows a transaction appends to a table straight to the database file,
compressed once, when that transaction appends at least a whole row group (122,880 rows);
smaller commits go through the WAL, and DuckDB compresses the table's last row group again
at every automatic checkpoint, refilled commit after commit. Measured on the 100K-image
``full_precision`` COCO file (``benchmarks/results/ingest.md``): 20K-row commits 14.5 s of CPU
and a 236 MB catalog; one transaction 10.7 s and 127 MB.

:class:`RowGroupFeed` hands the writer one Arrow stream per run of same-table, same-schema
pieces (:meth:`RowGroupFeed.streams`), each piece released once DuckDB has read it:

* ``live`` (a process that does nothing else while it ingests: the CLI): the streams pull
  straight from the parser and the whole dataset is one transaction, so no batch waits in
  Arrow beside DuckDB's copy, and even the last, partial row group skips the WAL;
* otherwise (the server, where other writers must not wait for a parser): the pieces of one
  transaction are buffered first (:meth:`RowGroupFeed.buffer`), a transaction ends at a
  row-group boundary of either table, and the write lock is held only to append them.
"""

from __future__ import annotations

import sys
from collections import deque
from collections.abc import Iterator
from itertools import islice

import pyarrow as pa

from ...records.batches import Batch, as_plain_json

COMMIT_ROWS = 122_880
"""Rows of a table per buffered transaction: one DuckDB row group (see the module docstring)."""

SAMPLES, ANNOTATIONS, CLASSIFICATIONS = "samples", "annotations", "classifications"


class RowGroupFeed:
    """The pieces of ``batches`` in order, as ``(table name, Arrow table)``.

    ``json_checked``: keep columns typed ``arrow.json`` (text the parser serialised itself,
    which DuckDB then stores without validating it again); otherwise they become plain
    strings, which DuckDB validates on insert. ``live``: see the module docstring.
    """

    def __init__(self, batches: Iterator[Batch], *, json_checked: bool, live: bool) -> None:
        self._source: Iterator[Batch] | None = batches
        self._pieces: deque[tuple[str, pa.Table]] = deque()
        self._json_checked = json_checked
        self.live = live
        self.rows = {SAMPLES: 0, ANNOTATIONS: 0, CLASSIFICATIONS: 0}
        """Rows of each table handed to DuckDB so far."""
        self._error: BaseException | None = None
        self._boundary = False  # the last run ended on a row-group boundary

    def _pull(self) -> bool:
        """Move the next batch's pieces from the parser to the buffer; False at the end."""
        while self._source is not None:
            batch = next(self._source, None)
            if batch is None:
                self._source = None
                return False
            added = False
            for name, table in (
                (SAMPLES, batch.samples),
                (ANNOTATIONS, batch.annotations),
                (CLASSIFICATIONS, batch.classifications),
            ):
                if table is not None and table.num_rows:
                    typed = table if self._json_checked else as_plain_json(table)
                    self._pieces.append((name, typed))
                    added = True
            if added:
                return True
        return False

    def _head(self) -> tuple[str, pa.Table] | None:
        if not self._pieces and self.live and self._error is None:
            try:
                self._pull()
            except BaseException as exc:  # re-raised by streams(), see there
                self._error = exc
        return self._pieces[0] if self._pieces else None

    def _quota(self, name: str) -> int:
        """Rows of ``name`` the current transaction may still take."""
        return sys.maxsize if self.live else COMMIT_ROWS - self.rows[name] % COMMIT_ROWS

    def buffer(self) -> None:
        """Buffer from the parser the pieces of one transaction: until a table reaches its
        row-group boundary, or the end."""
        buffered = dict.fromkeys(self.rows, 0)
        for name, table in self._pieces:
            buffered[name] += table.num_rows
        while all(buffered[n] < self._quota(n) for n in buffered):
            before = len(self._pieces)
            if not self._pull():
                break
            for name, table in islice(self._pieces, before, None):
                buffered[name] += table.num_rows

    def streams(self) -> Iterator[tuple[str, pa.RecordBatchReader]]:
        """One transaction's streams, ``(table, reader)``, one per run of pieces of one table
        and schema, up to the end (``live``) or a row-group boundary of either table.
        Annotation rows carry ``_vl_row``, their number in the dataset (ids follow the source
        order). Read each reader fully before taking the next stream.

        A parser error met while DuckDB reads a stream ends that stream and is raised here,
        as it was raised (DuckDB would report it as its own error, without its type)."""
        self._boundary = False
        while not self._boundary and (head := self._head()) is not None:
            name, table = head
            schema = table.schema
            if name == ANNOTATIONS:
                schema = schema.append(pa.field("_vl_row", pa.int64()))
            yield name, pa.RecordBatchReader.from_batches(schema, self._run(name, table.schema))
            if self._error is not None:
                raise self._error
        if self._error is not None:
            raise self._error

    def _run(self, name: str, schema: pa.Schema) -> Iterator[pa.RecordBatch]:
        while (head := self._head()) is not None and head[0] == name:
            table = head[1]
            if not table.schema.equals(schema):
                return
            room = self._quota(name)
            if table.num_rows > room:
                self._pieces[0] = (name, table.slice(room))
                table = table.slice(0, room)
            else:
                self._pieces.popleft()  # released once DuckDB has read it
            first = self.rows[name]
            self.rows[name] += table.num_rows
            if name == ANNOTATIONS:
                numbers = pa.array(range(first, first + table.num_rows), pa.int64())
                table = table.append_column("_vl_row", numbers)
            yield from table.to_batches()
            if table.num_rows == room:
                self._boundary = True
                return
