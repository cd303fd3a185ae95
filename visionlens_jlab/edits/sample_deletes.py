"""Samples deleted as one batch of the operation log, and put back exactly by its undo.

A delete takes every row of the samples in every table (:mod:`.sample_delete_rules`) and
their vectors in every vector space of the dataset, keeping all of it in the batch's rows of
``deleted_samples`` (:mod:`.deleted_samples_table`); an undo inserts those
rows again and writes the vectors back; a redo deletes the same samples again (kept anew
under its own batch). The derived tables are rebuilt from the remaining rows in the same
transaction, and the counts (samples, labels, predictions, vectors) move by what went.

All or nothing, with the catalog as the authority and the vector store following it (as a
dataset's delete does, :mod:`..vectors.reconcile`):

* a delete reads the vectors first, then writes the catalog (rows and vectors kept, rows
  gone) in ONE transaction, then deletes the points. A failure before the commit changes
  nothing; a failure after it (or a process killed) leaves points of samples the catalog no
  longer has: searches only return samples of the catalog, the store's reconcile removes
  them when it next opens, and the batch holds their values, so an undo loses nothing;
* an undo writes the points first, then the catalog: a failure of the catalog removes the
  points again (and reconcile any left), so the store never lacks a vector of a sample.

The kept vectors cost about their size in the catalog (4 bytes a dimension a sample a space:
30K samples of 512-d vectors in one space take 60 MB; the kept parts are compressed, which
vectors hardly are); they stay with the log, and go with the dataset when it is deleted.
"""

from __future__ import annotations

import io
import logging
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, TypeAlias

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..catalog import GROUND_TRUTH, Catalog
from ..catalog.derived import Change, Kind, apply_change
from ..catalog.store.ingest_reservations import retire_ids
from ..catalog.store.registry import dataset_tables
from ..catalog.tables.sample_tag_log import log_batch, log_position, next_batch
from ..records.label_kinds import LABEL_TABLES
from .errors import EditError
from .sample_delete_rules import PER_OBJECT, PER_SAMPLE, check_rules
from .sample_vectors import read_spaces, write_spaces

if TYPE_CHECKING:  # the store is opened by the caller: an ingest never imports it
    from ..vectors import VectorStore

log = logging.getLogger(__name__)

ROWS, VECTORS = "rows", "vectors"
PART_ROWS = 50_000
"""Rows of one table kept per part (one BLOB of ``deleted_samples``)."""
KEPT_COMPRESSION = pa.ipc.IpcWriteOptions(compression="zstd")
"""How a part is kept: an Arrow IPC stream compressed by zstd, a third of its plain size
(100K samples' rows of 1M: 190 -> 69 MB), the bytes DuckDB writes at the delete and reads at
the undo. The undo reads a plain stream too (kept before this)."""
MAX_TOLD_SAMPLES = 1000
"""Most deleted sample ids an answer lists (``sample_ids``; null past it)."""
DELETE_KIND = "delete_samples"

Vectors: TypeAlias = "Callable[[], VectorStore] | None"
"""Opens the vector store (None: none is open, refused when the dataset has vectors)."""
CheckLog = Callable[[duckdb.DuckDBPyConnection], None]
"""Raises in the write's transaction when the log moved since the batch was chosen."""


def delete_samples(
    catalog: Catalog,
    dataset: str,
    chosen: np.ndarray,
    user: str,
    vectors: Vectors,
    *,
    kind: str = DELETE_KIND,
    target: int | None = None,
    check_log: CheckLog | None = None,
) -> dict[str, Any]:
    """Delete the samples ``chosen`` (sample ids of ``dataset``) with every row and vector
    of theirs as one batch of the log by ``user``; returns the batch's answer (``batch``,
    ``kind``, ``deleted``: samples, ``labels``, ``vectors`` per space, ``annotations``: the
    ground-truth count after, ``sample_ids``; ``vectors_pending``: the points could not be
    deleted now, reconcile will)."""
    check_rules(dataset_tables())
    chosen = np.unique(np.asarray(chosen, dtype=np.int64))
    if not len(chosen):
        raise EditError("the view has no samples: nothing to delete")
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        spaces = _spaces(cur, dataset_id)
    opener = _opener(vectors, spaces, dataset)
    when = datetime.now(timezone.utc).replace(tzinfo=None)
    with ThreadPoolExecutor(1) as beside, catalog.write(dataset_id, keeps_derived=True) as cur:
        # the store opened (a command's: a second at 1M points) and the vectors read beside
        # the catalog's work (DuckDB and the store each release or hold the GIL in turn),
        # awaited before the commit: a failed open or read rolls it back
        opened = beside.submit(opener)
        reading = beside.submit(lambda: read_spaces(opened.result(), spaces, chosen))
        if check_log is not None:
            check_log(cur)
        cur.register("_vl_chosen", pa.table({"sample_id": pa.array(chosen, pa.int64())}))
        try:
            present = cur.execute(
                "SELECT COUNT(*) FROM samples WHERE dataset_id = ? "
                "AND sample_id IN (SELECT sample_id FROM _vl_chosen)",
                [dataset_id],
            ).fetchall()[0][0]
            if present != len(chosen):
                raise EditError(f"{len(chosen) - present} of the samples to delete are gone "
                                "already (deleted meanwhile): nothing was deleted")  # fmt: skip
            batch_id = next_batch(cur, dataset_id)
            rows = _take_rows(cur, dataset_id)
        finally:
            cur.unregister("_vl_chosen")
        objects = rows.get("annotations")
        top_object = pc.max(objects.column("ann_id")).as_py() if objects is not None else None
        retire_ids(cur, int(chosen.max()), top_object)  # an undo brings them back
        for table, part in rows.items():
            _keep(cur, dataset_id, batch_id, ROWS, table, part)
        _move_counts(cur, dataset_id, _counts(rows, {}), -1)
        seq = log_position(cur, dataset_id)
        log_batch(cur, dataset_id, (batch_id, kind, target), (seq + 1, seq), when, user)
        _rebuild(catalog, cur, dataset_id, chosen)
        annotations = _annotations(cur, dataset_id)
        kept = reading.result()
        for space, part in kept.items():
            _keep(cur, dataset_id, batch_id, VECTORS, space, part)
        counts = _counts(rows, kept)
        _move_vector_counts(cur, dataset_id, counts, -1)
    store = opened.result()
    pending = False
    for space, part in kept.items():
        try:
            assert store is not None  # kept only from an open store
            store.delete(part.column("sample_id").to_numpy(), space=space)
        except Exception:  # committed: the catalog no longer has them, reconcile removes them
            log.warning("could not delete the vectors of deleted samples", exc_info=True)
            pending = True
    return _answer(batch_id, kind, chosen, counts, annotations, pending=pending)


def restore_samples(
    catalog: Catalog,
    dataset: str,
    deleted_by: int,
    user: str,
    vectors: Vectors,
    *,
    kind: str = "undo",
    check_log: CheckLog | None = None,
) -> dict[str, Any]:
    """Put back every row and vector batch ``deleted_by`` deleted, as one batch ``kind``
    (target: ``deleted_by``) by ``user``; answered as :func:`delete_samples` is."""
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        rows = _kept(cur, dataset_id, deleted_by, ROWS)
        spaces = set(_spaces(cur, dataset_id))
        # a space dropped since has no vectors to restore into
        kept = {s: t for s, t in _kept(cur, dataset_id, deleted_by, VECTORS).items() if s in spaces}
    opener = _opener(vectors, list(kept), dataset)
    written: dict[str, np.ndarray] = {}
    when = datetime.now(timezone.utc).replace(tzinfo=None)
    beside, stop = ThreadPoolExecutor(1), threading.Event()
    try:
        # the store opened and the points written beside the catalog's work, awaited before
        # its commit: a point of no sample is what reconcile fixes, a sample without its
        # point is not
        opened = beside.submit(opener)
        writing = beside.submit(
            lambda: write_spaces(opened.result(), kept, dataset_id, written, stop)
        )
        with catalog.write(dataset_id, keeps_derived=True) as cur:
            if check_log is not None:
                check_log(cur)
            samples = rows["samples"].column("sample_id").to_numpy()
            cur.register("_vl_back", pa.table({"sample_id": pa.array(samples, pa.int64())}))
            try:
                taken = cur.execute(
                    "SELECT COUNT(*) FROM samples WHERE sample_id IN (SELECT sample_id FROM _vl_back)"
                ).fetchall()[0][0]
            finally:
                cur.unregister("_vl_back")
            if taken:
                raise EditError(f"{taken} of the deleted samples exist again: nothing restored")
            for table, part in rows.items():
                _insert(cur, table, part)
            counts = _counts(rows, kept)
            _move_counts(cur, dataset_id, counts, +1)
            batch_id = next_batch(cur, dataset_id)
            seq = log_position(cur, dataset_id)
            log_batch(cur, dataset_id, (batch_id, kind, deleted_by), (seq + 1, seq), when, user)
            _rebuild(catalog, cur, dataset_id, samples)
            annotations = _annotations(cur, dataset_id)
            writing.result()
    except BaseException:
        stop.set()
        beside.shutdown()  # the points being written are there before they are removed
        for space, ids in written.items():  # some: the store was opened
            try:
                store = opened.result()
                assert store is not None
                store.delete(ids, space=space)
            except Exception:  # the restore's own error is the one to report
                log.warning("could not remove the vectors of a failed restore", exc_info=True)
        raise
    finally:
        beside.shutdown()
    return _answer(batch_id, kind, samples, counts, annotations)


def deleting_batch(cur: duckdb.DuckDBPyConnection, dataset_id: int, batch_id: int) -> bool:
    """Whether batch ``batch_id`` deleted samples (it kept their rows)."""
    return bool(cur.execute(
        "SELECT 1 FROM deleted_samples WHERE dataset_id = ? AND batch_id = ? LIMIT 1",
        [dataset_id, batch_id],
    ).fetchall())  # fmt: skip


def deleted_sample_ids(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, batch_id: int
) -> np.ndarray:
    """The samples batch ``batch_id`` deleted."""
    return _kept(cur, dataset_id, batch_id, ROWS)["samples"].column("sample_id").to_numpy()


def _opener(vectors: Vectors, spaces: list[str], dataset: str) -> Callable[[], VectorStore | None]:
    """What opens the store for ``spaces`` (none: opens nothing); raises now when the
    dataset has vectors and nothing can open the store."""
    if not spaces:
        return lambda: None
    if vectors is None:
        raise EditError(f"{dataset!r} has embeddings but no vector store is open: its "
                        "vectors cannot go with their samples")  # fmt: skip
    return vectors


def _spaces(cur: duckdb.DuckDBPyConnection, dataset_id: int) -> list[str]:
    return [r[0] for r in cur.execute(
        "SELECT space FROM vector_spaces WHERE dataset_id = ? ORDER BY space", [dataset_id]
    ).fetchall()]  # fmt: skip


def _take_rows(cur: duckdb.DuckDBPyConnection, dataset_id: int) -> dict[str, pa.Table]:
    """Every row of the chosen samples (``_vl_chosen``) read, then deleted, per table."""
    objects = ("ann_id IN (SELECT ann_id FROM annotations WHERE dataset_id = $ds "
               "AND sample_id IN (SELECT sample_id FROM _vl_chosen))")  # fmt: skip
    where = {t: objects for t in PER_OBJECT}  # before the objects themselves go
    where.update({t: "sample_id IN (SELECT sample_id FROM _vl_chosen)" for t in PER_SAMPLE})
    taken: dict[str, pa.Table] = {}
    present = {
        r[0] for r in cur.execute("SELECT table_name FROM information_schema.tables").fetchall()
    }
    for table, condition in where.items():
        if table not in present:  # a feature table this catalog does not have
            continue
        sql = f"FROM {table} WHERE dataset_id = $ds AND {condition}"  # fixed identifiers
        rows = cur.sql(f"SELECT * {sql}", params={"ds": dataset_id}).to_arrow_table()
        if rows.num_rows:
            cur.execute(f"DELETE {sql}", {"ds": dataset_id})
            taken[table] = rows
    return taken


def _insert(cur: duckdb.DuckDBPyConnection, table: str, rows: pa.Table) -> None:
    """Insert kept rows by their column names (a column added since takes its default)."""
    names = ", ".join(f'"{c}"' for c in rows.column_names)  # the table's own column names
    cur.register("_vl_restored", rows)
    try:
        cur.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM _vl_restored")  # noqa: S608 - identifiers of the schema
    finally:
        cur.unregister("_vl_restored")


def _keep(cur: duckdb.DuckDBPyConnection, dataset_id: int, batch_id: int, what: str,
          name: str, rows: pa.Table) -> None:  # fmt: skip
    for part, chunk in enumerate(_parts(rows)):
        sink = io.BytesIO()
        with pa.ipc.new_stream(sink, chunk.schema, options=KEPT_COMPRESSION) as writer:
            writer.write_table(chunk)
        cur.execute("INSERT INTO deleted_samples VALUES (?, ?, ?, ?, ?, ?)",
                    [dataset_id, batch_id, what, name, part, sink.getvalue()])  # fmt: skip


def _parts(rows: pa.Table) -> Iterator[pa.Table]:
    for start in range(0, max(rows.num_rows, 1), PART_ROWS):
        yield rows.slice(start, PART_ROWS)


def _kept(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, batch_id: int, what: str
) -> dict[str, pa.Table]:
    parts: dict[str, list[pa.Table]] = {}
    for name, data in cur.execute(
        "SELECT name, data FROM deleted_samples WHERE dataset_id = ? AND batch_id = ? "
        "AND what = ? ORDER BY name, part",
        [dataset_id, batch_id, what],
    ).fetchall():
        parts.setdefault(name, []).append(pa.ipc.open_stream(bytes(data)).read_all())
    return {name: pa.concat_tables(tables) for name, tables in parts.items()}


def _counts(rows: dict[str, pa.Table], kept: dict[str, pa.Table]) -> dict[str, Any]:
    """What the deleted rows counted: samples, ground-truth labels, each model's
    predictions (objects, image-level labels and label maps, as the writers count them),
    vectors."""
    sources: dict[str, int] = {}
    for table in LABEL_TABLES:
        if table in rows:  # counted in Arrow: 100K samples take ~700K labels
            for count in pc.value_counts(rows[table].column("source")).to_pylist():
                key = count["values"]
                if table == "semantic_masks" and key == GROUND_TRUTH:
                    continue  # not in num_annotations; a model's masks are in its num_predictions
                sources[key] = sources.get(key, 0) + count["counts"]
    return {
        "samples": rows["samples"].num_rows,
        "labels": sources.pop(GROUND_TRUTH, 0),
        "predictions": sources,
        "vectors": {space: part.num_rows for space, part in kept.items()},
    }


def _move_counts(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, counts: dict[str, Any], sign: int
) -> None:
    cur.execute(
        "UPDATE datasets SET num_samples = num_samples + ?, num_annotations = num_annotations"
        " + ? WHERE dataset_id = ?",
        [sign * counts["samples"], sign * counts["labels"], dataset_id],
    )
    for model, n in counts["predictions"].items():
        cur.execute("UPDATE models SET num_predictions = num_predictions + ? "
                    "WHERE dataset_id = ? AND name = ?", [sign * n, dataset_id, model])  # fmt: skip
    _move_vector_counts(cur, dataset_id, counts, sign)


def _move_vector_counts(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, counts: dict[str, Any], sign: int
) -> None:
    for space, n in counts["vectors"].items():
        cur.execute("UPDATE vector_spaces SET count = count + ? WHERE dataset_id = ? "
                    "AND space = ?", [sign * n, dataset_id, space])  # fmt: skip


def _rebuild(
    catalog: Catalog, cur: duckdb.DuckDBPyConnection, dataset_id: int, samples: np.ndarray
) -> None:
    """The derived tables from the rows as they are now: the per-sample rows (box and
    evaluation summaries, field index, value lists) of ``samples`` only, which went or came
    back (at 1M images a whole rebuild took ~50 s of the ~75 s), what counts the whole
    dataset (facet keys and parts, each evaluation's facets) over every sample."""
    change = Change(dataset_id, Kind.SAMPLES_REMOVED, samples=tuple(samples.tolist()))
    apply_change(catalog, cur, change)


def _annotations(cur: duckdb.DuckDBPyConnection, dataset_id: int) -> int:
    row = cur.execute("SELECT num_annotations FROM datasets WHERE dataset_id = ?", [dataset_id])
    return int(row.fetchall()[0][0])


def _answer(batch_id: int, kind: str, samples: np.ndarray, counts: dict[str, Any],
            annotations: int, *, pending: bool = False) -> dict[str, Any]:  # fmt: skip
    ids = np.sort(np.asarray(samples, dtype=np.int64))
    labels = counts["labels"] + sum(counts["predictions"].values())
    return {
        "batch": batch_id,
        "kind": kind,
        "applied": len(ids),
        "added": [],
        "annotations": annotations,
        "sample_ids": ids.tolist() if len(ids) <= MAX_TOLD_SAMPLES else None,
        "samples": len(ids),
        "labels": labels,
        "vectors": counts["vectors"],
        "vectors_pending": pending,
    }
