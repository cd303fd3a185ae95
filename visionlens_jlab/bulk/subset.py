"""A view of a dataset becomes a new, independent dataset (``visionlens subset``).

The chosen samples' rows are copied with new ids (every id moved by one shift per kind, so
ids stay dense and never meet another dataset's): samples with their tags and fields, every
label kind of every source (objects, image-level labels, object tags), the models' rows,
the evaluations' per-object results, label-quality scores, measured and computed fields;
what is derived from them is computed again for the new dataset
(:mod:`.copy_rules` says, table by table, what is copied). Media are shared: the copied
samples keep their locations. The embeddings' vectors are copied in the vector store under
the new sample ids (never computed again).

All or nothing: ids are reserved first (as an ingest reserves them), then the vectors are
written under the new ids (in a thread, while the catalog's rows are copied) and every
catalog row in ONE transaction, the ``datasets`` row with them, committed once the vectors
are all written. A failure before the commit rolls the catalog back and deletes the vectors
written; a process killed in between leaves vectors of samples the catalog never had,
which the store's :func:`~..vectors.reconcile` removes when it next opens.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from ..catalog import (
    GROUND_TRUTH,
    Catalog,
    ConflictError,
    NotFoundError,
    compile_filter,
    validate_name,
)
from ..catalog.derived import Change, Kind, apply_change
from ..catalog.reads.queries import sample_ids
from ..catalog.store.ingest_reservations import IngestIds
from ..catalog.store.registry import dataset_tables
from ..catalog.writes.model_rows import recount_predictions
from ..vectors import VectorStore
from . import copy_rules

log = logging.getLogger(__name__)

VECTOR_CHUNK = 8192
"""Vectors read and written per call to the store (a few MB at 512-d)."""

Progress = Callable[[str, float], None]
"""``progress(stage, fraction)``; raising from it stops the copy, which leaves nothing."""


@dataclass
class SubsetResult:
    """What :func:`subset_dataset` made."""

    dataset: str
    source: str
    samples: int
    annotations: int
    vectors: dict[str, int] = field(default_factory=dict)
    """Vectors copied per space."""
    evaluations: int = 0
    """Evaluations copied; their summaries are the source's, so they list as stale."""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the CLI's ``--json``, the job's result)."""
        return asdict(self)


def subset_dataset(
    catalog: Catalog,
    source: str,
    new_name: str,
    spec: dict[str, Any] | None = None,
    *,
    vectors: Callable[[], VectorStore] | None = None,
    progress: Progress | None = None,
) -> SubsetResult:
    """Copy the samples of ``source`` matching ``spec`` (a samples filter; None: all) into a
    new dataset ``new_name``. ``vectors`` opens the vector store when the source has
    embeddings (None: their vectors cannot be copied, which is refused)."""
    check_subset(catalog, source, new_name, spec)
    report = progress or (lambda stage, fraction: None)
    chosen = np.asarray(sample_ids(catalog, source, spec).to_numpy(), dtype=np.int64)
    if len(chosen) == 0:
        raise ConflictError(f"the view of {source!r} has no samples: nothing to copy")
    with catalog.cursor() as cur:
        src_id = catalog.dataset_id(cur, source)
        spaces = [r[0] for r in cur.execute(
            "SELECT space FROM vector_spaces WHERE dataset_id = ? ORDER BY space", [src_id]
        ).fetchall()]  # fmt: skip
    with catalog.write() as cur:
        _check_free(cur, new_name)
        ids = catalog.begin_ingest(cur, new_name)
        catalog.scope_write(ids.dataset_id, keeps_derived=True)  # reserves ids, writes nothing
    written: dict[str, np.ndarray] = {}
    store: VectorStore | None = None
    beside, stop = ThreadPoolExecutor(1), threading.Event()
    try:
        catalog.lift_ingest_memory_limit(to_default=True)  # one transaction of the whole copy
        sample_shift = ids.sample_base - int(chosen[0])
        if spaces:
            if vectors is None:
                raise ConflictError(f"{source!r} has embeddings but no vector store is open")
            store = vectors()
        else:
            report("catalog", 0.5)
        # the vectors copied beside the rows (DuckDB releases the GIL while it runs), and
        # awaited before the commit: a failed copy of either rolls both back
        copying = beside.submit(
            _copy_vectors, store, spaces, chosen, sample_shift, ids.dataset_id, written,
            report, stop,
        )  # fmt: skip
        with catalog.write() as cur:
            catalog.scope_write(ids.dataset_id, keeps_derived=True)
            _check_free(cur, new_name)
            result = _copy_rows(cur, catalog, source, src_id, new_name, ids, chosen, copying)
            report("committing", 0.95)
        return result
    except BaseException:
        stop.set()
        beside.shutdown()  # the vectors being written are there before they are removed
        if store is not None:
            remove_vectors(store, written)
        raise
    finally:
        beside.shutdown()
        catalog.end_ingest(ids)


def check_subset(catalog: Catalog, source: str, new_name: str, spec: dict[str, Any] | None) -> None:
    """What a copy would refuse before it starts: a bad or taken name, an unknown source
    (:class:`NotFoundError`), a bad filter (:class:`FilterError`), a table without a rule."""
    validate_name(new_name)
    copy_rules.check_rules(dataset_tables())
    with catalog.cursor() as cur:
        compile_filter(catalog.dataset_id(cur, source), spec)
        _check_free(cur, new_name)


def _check_free(cur: duckdb.DuckDBPyConnection, name: str) -> None:
    if cur.execute("SELECT 1 FROM datasets WHERE name = ?", [name]).fetchall():
        raise ConflictError(f"a dataset named {name!r} already exists: choose another name")


def _copy_vectors(
    store: VectorStore | None,
    spaces: list[str],
    chosen: np.ndarray,
    shift: int,
    dataset_id: int,
    written: dict[str, np.ndarray],
    report: Progress,
    stop: threading.Event,
) -> dict[str, int]:
    """Each space's vectors of the chosen samples written again under their new ids (none
    without a store); ``written`` collects what is written, so that a failure can remove
    it; ``stop`` set: stop between two chunks (the catalog's copy failed)."""
    counts: dict[str, int] = {}
    if store is None:
        return counts
    total = len(spaces) * len(chosen)
    done = 0
    for space in spaces:
        parts: list[np.ndarray] = []
        for start in range(0, len(chosen), VECTOR_CHUNK):
            if stop.is_set():
                return counts
            found, matrix = store.get_vectors(space, chosen[start : start + VECTOR_CHUNK])
            if len(found):
                parts.append(found + shift)
                written[space] = np.concatenate(parts)  # before the upsert: it may half-fail
                store.upsert(space, found + shift, matrix, dataset_ids=dataset_id)
            done += min(VECTOR_CHUNK, len(chosen) - start)
            report("vectors and catalog", 0.9 * done / total)  # rows copied meanwhile
        counts[space] = int(sum(len(p) for p in parts))
    return counts


def remove_vectors(store: VectorStore, written: dict[str, np.ndarray]) -> None:
    """Delete the vectors a failed copy wrote (best effort: reconcile removes the rest)."""
    for space, new_ids in written.items():
        try:
            store.delete(new_ids, space=space)
        except Exception:  # the copy's own error is the one to report
            log.warning("could not remove the vectors of a failed copy", exc_info=True)


def _copy_rows(
    cur: duckdb.DuckDBPyConnection,
    catalog: Catalog,
    source: str,
    src_id: int,
    new_name: str,
    ids: IngestIds,
    chosen: np.ndarray,
    copying: Future[dict[str, int]],
) -> SubsetResult:
    """Every catalog row of the new dataset, in the caller's transaction; ``copying``
    copies the vectors meanwhile (its counts per space, awaited last)."""
    cur.register("_vl_chosen", pa.table({"sample_id": pa.array(chosen, pa.int64())}))
    try:
        first_ann = cur.execute(
            "SELECT MIN(ann_id) FROM annotations WHERE dataset_id = ? "
            "AND sample_id IN (SELECT sample_id FROM _vl_chosen)",
            [src_id],
        ).fetchall()[0][0]
        params = {
            "src": src_id,
            "new": ids.dataset_id,
            "sample_shift": ids.sample_base - int(chosen[0]),
            "ann_shift": ids.ann_base - int(first_ann) if first_ann is not None else 0,
        }
        for table in copy_rules.PER_SAMPLE:
            _insert(cur, table, params, "sample_id IN (SELECT sample_id FROM _vl_chosen)")
        objects = (
            "ann_id IN (SELECT ann_id FROM annotations WHERE dataset_id = $src "
            "AND sample_id IN (SELECT sample_id FROM _vl_chosen))"
        )
        for table in copy_rules.PER_OBJECT:
            _insert(cur, table, params, objects)
        for table in copy_rules.WHOLE:
            _insert(cur, table, params, "TRUE")
    finally:
        cur.unregister("_vl_chosen")
    recount_predictions(cur, ids.dataset_id)  # each model's predictions in the copy
    n_evaluations = _mark_evaluations(cur, ids.dataset_id, source)
    n_labels = _write_dataset_row(cur, src_id, ids.dataset_id, new_name, source, len(chosen))
    apply_change(catalog, cur, Change(ids.dataset_id, Kind.SAMPLES_ADDED))
    keys = cur.execute(
        "SELECT eval_key, model FROM evaluations WHERE dataset_id = ? ORDER BY eval_key",
        [ids.dataset_id],
    ).fetchall()
    for key, model in keys:  # their summaries and facet parts, from the copied rows
        change = Change(
            ids.dataset_id, Kind.EVALUATION, sources=(GROUND_TRUTH, model), eval_key=key
        )
        apply_change(catalog, cur, change)
    vector_counts = copying.result()
    _copy_spaces(cur, src_id, ids.dataset_id, len(chosen), vector_counts)
    return SubsetResult(
        dataset=new_name,
        source=source,
        samples=len(chosen),
        annotations=n_labels,
        vectors=vector_counts,
        evaluations=n_evaluations,
    )


def _columns(cur: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return [r[0] for r in cur.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
        "ORDER BY ordinal_position",
        [table],
    ).fetchall()]  # fmt: skip


def _insert(cur: duckdb.DuckDBPyConnection, table: str, params: dict[str, int], where: str) -> None:
    """Copy ``table``'s rows of the source dataset matching ``where`` (a fixed condition of
    this module) into the new dataset, every id column shifted."""
    columns = _columns(cur, table)
    if not columns:  # a feature table this catalog does not have
        return
    select = []
    for column in columns:
        quoted = f'"{column}"'  # a name read from the catalog's own schema
        if column == "dataset_id":
            select.append("$new")
        elif column in copy_rules.SAMPLE_ID_COLUMNS:
            select.append(f"{quoted} + $sample_shift")
        elif column in copy_rules.OBJECT_ID_COLUMNS:
            select.append(
                f"CASE WHEN {quoted} >= 0 THEN {quoted} + $ann_shift ELSE {quoted} - $ann_shift END"
            )
        else:
            select.append(quoted)
    names = ", ".join(f'"{c}"' for c in columns)
    sql = (
        f"INSERT INTO {table} ({names}) SELECT {', '.join(select)} "  # noqa: S608 - identifiers of the schema
        f"FROM {table} WHERE dataset_id = $src AND {where}"
    )
    cur.execute(sql, {k: v for k, v in params.items() if f"${k}" in sql})


def _mark_evaluations(cur: duckdb.DuckDBPyConnection, dataset_id: int, source: str) -> int:
    """The copied evaluations' summaries (AP over every image) are the source's: they say
    so (``copied_from``), and list as stale until run again on the new dataset."""
    note = json.dumps({"copied_from": source})
    cur.execute(
        "UPDATE evaluations SET params = json_merge_patch(params, ?) WHERE dataset_id = ?",
        [note, dataset_id],
    )
    row = cur.execute("SELECT COUNT(*) FROM evaluations WHERE dataset_id = ?", [dataset_id])
    return int(row.fetchall()[0][0])


def _copy_spaces(
    cur: duckdb.DuckDBPyConnection,
    src_id: int,
    new_id: int,
    n_samples: int,
    counts: dict[str, int],
) -> None:
    """The source's vector space rows, with the copied vectors' counts."""
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    for space, count in counts.items():
        cur.execute(
            """
            INSERT INTO vector_spaces
            SELECT ?, space, model, version, dim, preprocessing, info, ?,
                   complete OR ? >= ?, ?
            FROM vector_spaces WHERE dataset_id = ? AND space = ?
            """,
            [new_id, count, count, n_samples, now, src_id, space],
        )


def _write_dataset_row(
    cur: duckdb.DuckDBPyConnection,
    src_id: int,
    new_id: int,
    new_name: str,
    source: str,
    n_samples: int,
) -> int:
    """The ``datasets`` row (the source's format, files and media root: media are shared);
    returns its label count (ground-truth objects and image-level labels, as an ingest
    counts them)."""
    n_labels = sum(
        int(cur.execute(
            f"SELECT COUNT(*) FROM {table} WHERE dataset_id = ? AND source = ?",  # noqa: S608 - fixed identifiers
            [new_id, GROUND_TRUTH],
        ).fetchall()[0][0])
        for table in ("annotations", "classifications")
    )  # fmt: skip
    row = cur.execute(
        "SELECT format, source, media_root, report FROM datasets WHERE dataset_id = ?", [src_id]
    ).fetchall()
    if not row:
        raise NotFoundError(f"no dataset named {source!r}")
    fmt, files, media_root, report = row[0]
    report = {**json.loads(report), "subset_of": source}
    cur.execute(
        "INSERT INTO datasets VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            new_id,
            new_name,
            fmt,
            files,
            media_root,
            datetime.now(timezone.utc).replace(tzinfo=None),
            n_samples,
            n_labels,
            json.dumps(report),
        ],
    )
    return n_labels
