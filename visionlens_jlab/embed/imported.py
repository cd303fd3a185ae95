"""Bring your own embeddings: vectors computed elsewhere, written as computed ones are.

A file's rows (:mod:`.import_sources`, read chunk by chunk) are matched to the dataset's
samples by ``sample_id``, or by ``image_id`` / ``file_name`` through the catalog's image
keys (source image id, file name, base name, stem, and names as other tools write them:
``./x.jpg``, ``train\\x.jpg``, absolute paths and URLs by their path's suffix; the rule
prediction files are matched by, :mod:`visionlens_jlab.catalog.writes.image_keys`). Good rows go to the vector store in
batches keyed by sample id, then the catalog's space row is written last
(:func:`.spaces.record_space`), exactly as an embedding job ends, so search, maps and
duplicates read the space unchanged. The space is the model ``SPACE`` of version
:data:`IMPORTED`, which is how the spaces table records that it was imported.

Bad rows are counted, never dropped silently (:data:`REJECTIONS`): an unknown key, a path
that fits two samples, no vector, a vector of another dimension than the space's (or, for a
new space, the most common length in the file's first chunk: one malformed first row does
not set it), NaN, infinite or null values, all zeros (no direction in a
cosine space), a key whose sample already had a vector earlier in the file. A file with no
good row writes nothing and is an error.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..catalog import Catalog
from ..catalog.writes.image_keys import create_image_keys
from ..catalog.writes.path_keys import PathKeys
from ..jobs.job import JobContext
from ..vectors import SpaceNotFoundError, VectorStore, space_name
from .base import EmbedError
from .import_sources import Chunk, Columns, open_source
from .import_staging import Staged, staged_writes
from .job import INDEX_FROM
from .spaces import record_space, sample_count

IMPORTED = "imported"
"""The version of an imported space's model (and its preprocessing): what marks it."""
EXAMPLES = 5
REJECTIONS = {
    "unknown_key": "keys that name no sample of the dataset",
    "ambiguous_key": "paths that fit several samples equally (no sample was guessed)",
    "null_vector": "rows without a vector (null)",
    "wrong_dimension": "vectors of another length than the space's (or the file's first)",
    "not_finite": "vectors holding NaN, infinite or null values",
    "zero_vector": "vectors of zeros only: no direction to compare in a cosine space",
    "duplicate_key": "keys whose sample already had a vector earlier in the file",
}
"""Each kind of rejected row, and what it means (the report's ``message``)."""


def import_embeddings(
    ctx: JobContext | None,
    catalog: Catalog,
    store: VectorStore,
    dataset: str,
    space: str,
    source: str,
    *,
    ids: str | None = None,
    key: str | None = None,
    vector_column: str | None = None,
    id_column: str | None = None,
) -> dict[str, Any]:
    """Import the vectors of file ``source`` (with its ``ids`` file for ``.npy``) into
    ``dataset``'s space named ``space``; return the report: counts (``replaced``: rows
    whose sample had a vector in the space, which they replace; the space keeps the
    others), rejections with example keys, the space's store name and ``seconds``.
    ``vector_column`` and ``id_column`` name a Parquet or Arrow file's columns when they
    are not ``vector`` and one of ``sample_id``, ``image_id``, ``file_name`` (``key`` then
    says what the ids are). Raises :class:`EmbedError` when no row could be imported (then
    nothing was written)."""
    started = time.monotonic()
    if not isinstance(space, str) or not space.strip():
        raise EmbedError("name the space to import into (e.g. --space my-clip)")
    columns = Columns(vector_column or Columns.vector, id_column or None)
    opened = open_source(source, ids, key, columns)
    store_space = space_name(space, IMPORTED)
    try:
        dim: int | None = store.space(store_space).dim
        existed = True
    except SpaceNotFoundError:
        dim, existed = None, False
    rejected: dict[str, dict[str, Any]] = {
        code: {"count": 0, "examples": [], "message": text} for code, text in REJECTIONS.items()
    }
    seen: set[int] = set()
    imported = rows = 0
    # the good rows are staged on disk while the whole file is read and checked, so a file
    # that breaks half-way (or a cancel) writes nothing; then they go to the store, undone
    # there if a write fails
    with tempfile.TemporaryDirectory(prefix="visionlens-import-") as folder:
        staged = Staged(folder, "rows")
        with catalog.cursor() as cur:
            dataset_id = catalog.dataset_id(cur, dataset)
            num_samples = sample_count(cur, dataset_id)
            paths = None
            if opened.key != "sample_id":
                create_image_keys(cur, dataset_id)
                paths = PathKeys(cur, dataset_id)
            for chunk in _read(opened.chunks, source):
                sample_ids = _match(cur, dataset_id, paths, opened.key, chunk.keys)
                if dim is None:
                    dim = _common_length(chunk)
                good, matrix = _check(chunk, sample_ids, dim, seen, rejected)
                staged.add(sample_ids[good], matrix)
                imported += len(good)
                rows += len(chunk.keys)
                if ctx is not None:
                    total = opened.rows or rows
                    ctx.items("importing", rows, total, f"checked {imported} of {rows} rows")
                    ctx.check_cancelled()
        counts = {code: r["count"] for code, r in rejected.items()}
        if rows == 0:
            raise EmbedError(f"{source} holds no rows: nothing was imported; write the "
                             "vectors into it (or name another file)")  # fmt: skip
        if imported == 0:
            what = ", ".join(f"{n} {code}" for code, n in counts.items() if n) or "no rows"
            fix = ("check that the keys name this dataset's samples and the vectors are "
                   "finite")  # fmt: skip
            if existed and counts["wrong_dimension"]:
                # the space's dimension is fixed by its first import: say so, not "finite"
                fix = (f"space {space!r} holds {dim}-d vectors (imported before): import "
                       f"vectors of another length under a new --space name, or {fix}")  # fmt: skip
            raise EmbedError(
                f"none of the {rows} rows of {source} could be imported into {dataset!r} "
                f"({what}): {fix}"
            )
        store.ensure_space(space, IMPORTED, int(dim or 0), "cosine")
        with staged_writes(
            ctx, store, store_space, dataset_id, staged, existed, folder
        ) as replaced:
            count = store.count(store_space, dataset_id)
            if store.count(store_space) >= INDEX_FROM:
                store.optimize(store_space)
            record_space(
                catalog,
                dataset_id,
                space=store_space,
                model=space,
                version=IMPORTED,
                dim=int(dim or 0),
                preprocessing=IMPORTED,
                count=count,
                complete=count >= num_samples,
                info={
                    "failed": 0,
                    "source": os.path.basename(source),
                    "key": opened.key,
                    "rejected": counts,
                },  # fmt: skip
            )
    return {
        "dataset": dataset,
        "space": store_space,
        "model": space,
        "version": IMPORTED,
        "dim": dim,
        "key": opened.key,
        "rows": rows,
        "imported": imported,
        "replaced": replaced,
        "rejected": rejected,
        "count": count,
        "seconds": round(time.monotonic() - started, 3),
    }


def _match(
    cur: Any, dataset_id: int, paths: PathKeys | None, kind: str, keys: pa.Array
) -> np.ndarray:
    """The sample id each key names (-1: none, -2: a path that fits several samples),
    through the catalog's image keys (file names as other tools write them added by
    ``paths``)."""
    keys = _exact_keys(keys, kind)
    if paths is not None and kind == "file_name":
        paths.add(keys.to_pylist())
    table = pa.table({"i": pa.array(np.arange(len(keys), dtype=np.int64)), "key": keys})
    cur.register("_vl_import_keys", table)
    try:
        if kind == "sample_id":
            sql = ("SELECT k.i, s.sample_id FROM _vl_import_keys k JOIN samples s "
                   "ON s.sample_id = k.key AND s.dataset_id = ?")  # fmt: skip
            found = cur.execute(sql, [dataset_id]).fetchnumpy()
        else:
            # image ids are the keys of priority 0; file names are tried in the keys' order
            sql = ("SELECT k.i, coalesce(ik.sample_id, -2) AS sample_id FROM _vl_import_keys k "
                   "LEFT JOIN _vl_image_keys ik ON ik.key = CAST(k.key AS VARCHAR) "
                   "AND (ik.priority = 0 OR NOT $id) WHERE ik.key IS NOT NULL OR "
                   "CAST(k.key AS VARCHAR) IN (SELECT key FROM _vl_ambiguous_keys)")  # fmt: skip
            found = cur.execute(sql, {"id": kind == "image_id"}).fetchnumpy()
    finally:
        cur.unregister("_vl_import_keys")
    out = np.full(len(keys), -1, np.int64)
    out[np.asarray(found["i"], np.int64)] = np.asarray(found["sample_id"], np.int64)
    return out


def _exact_keys(keys: pa.Array, kind: str) -> pa.Array:
    """The keys as the catalog spells them: sample ids as int64 (null where a key is no
    integer: ``1.6``, ``0x10`` or ``1_000`` name no sample, where a cast would round or parse
    them into one), and integral float keys (a column of ids pandas turned into floats) as
    integers, so image id ``139.0`` is ``139``."""
    if pa.types.is_dictionary(keys.type):
        # decoded by hand: Arrow has no take for polars' string_view dictionaries
        values = keys.dictionary
        if pa.types.is_string_view(values.type):
            values = values.cast(pa.string())
        keys = values.take(keys.indices)
    if pa.types.is_floating(keys.type):
        values = np.asarray(keys.to_numpy(zero_copy_only=False), np.float64)
        with np.errstate(invalid="ignore"):
            whole = np.isfinite(values) & (np.floor(values) == values) & (np.abs(values) < 2**63)
        keys = pa.array(np.where(whole, values, 0).astype(np.int64), mask=~whole)
    if kind != "sample_id":
        return keys
    if pa.types.is_integer(keys.type):
        return pc.cast(keys, pa.int64(), safe=False)
    if not (pa.types.is_string(keys.type) or pa.types.is_large_string(keys.type)
            or pa.types.is_string_view(keys.type)):  # fmt: skip
        return pa.nulls(len(keys), pa.int64())
    text = pc.utf8_trim_whitespace(keys.cast(pa.string()))
    whole = pc.fill_null(pc.match_substring_regex(text, r"^[+-]?[0-9]{1,18}$"), False)
    text = pc.replace_substring_regex(text, r"^\+", "")  # Arrow parses no plus sign
    return pc.cast(pc.if_else(whole, text, pa.scalar(None, pa.string())), pa.int64())


def _lengths(vectors: pa.Array) -> np.ndarray:
    return np.asarray(pc.list_value_length(vectors).fill_null(-1).to_numpy(), np.int64)


def _common_length(chunk: Chunk) -> int | None:
    """The most common vector length of the chunk (ties: the first seen), a new space's
    dimension (None: the chunk has no vector)."""
    lengths = _lengths(chunk.vectors)
    lengths = lengths[lengths > 0]
    if not len(lengths):
        return None
    values, first, counts = np.unique(lengths, return_index=True, return_counts=True)
    best = np.flatnonzero(counts == counts.max())
    return int(values[best[np.argmin(first[best])]])


def _check(
    chunk: Chunk,
    sample_ids: np.ndarray,
    dim: int | None,
    seen: set[int],
    rejected: dict[str, dict[str, Any]],
) -> tuple[np.ndarray, np.ndarray]:
    """The positions of the chunk's good rows and their vectors (float32); every other row
    is counted in ``rejected`` under the first check it fails."""
    n = len(sample_ids)
    reason = np.full(n, "", dtype=object)
    reason[sample_ids == -1] = "unknown_key"
    reason[sample_ids == -2] = "ambiguous_key"
    null = np.asarray(chunk.vectors.is_null().to_numpy(zero_copy_only=False), bool)
    reason[(reason == "") & null] = "null_vector"
    right = _lengths(chunk.vectors) == (dim if dim is not None else -2)
    reason[(reason == "") & ~right] = "wrong_dimension"
    candidates = np.flatnonzero(reason == "")
    matrix = np.empty((0, dim or 0), np.float32)
    if len(candidates):
        values = pc.list_flatten(chunk.vectors.take(pa.array(candidates)))
        flat = np.asarray(values.to_numpy(zero_copy_only=False), np.float64)
        with np.errstate(over="ignore"):  # past float32's range is not finite: reported
            matrix = flat.reshape(len(candidates), int(dim or 0)).astype(np.float32)
        finite = np.isfinite(matrix).all(axis=1)
        reason[candidates[~finite]] = "not_finite"
        matrix, candidates = matrix[finite], candidates[finite]
        # a cosine space compares directions: zeros have none (normalized they are NaN)
        direction = np.any(matrix != 0, axis=1)
        reason[candidates[~direction]] = "zero_vector"
        matrix, candidates = matrix[direction], candidates[direction]
    keep = np.ones(len(candidates), bool)
    for at, position in enumerate(candidates):  # the first good row of a sample wins
        sample = int(sample_ids[position])
        if sample in seen:
            reason[position], keep[at] = "duplicate_key", False
        seen.add(sample)
    keys = chunk.keys
    for position in np.flatnonzero(reason != ""):
        entry = rejected[str(reason[position])]
        entry["count"] += 1
        if len(entry["examples"]) < EXAMPLES:
            entry["examples"].append(str(keys[int(position)].as_py()))
    return candidates[keep], matrix[keep]


def _read(chunks: Iterator[Chunk], source: str) -> Iterator[Chunk]:
    """The chunks of the file, a file that cannot be read on (truncated, corrupt) an
    :class:`EmbedError` saying where."""
    rows = 0
    while True:
        try:
            chunk = next(chunks)
        except StopIteration:
            return
        except (pa.ArrowException, OSError, ValueError) as exc:
            raise EmbedError(
                f"{source} could not be read after its first {rows} rows ({exc}): nothing "
                "was imported; write the file again"
            ) from exc
        rows += len(chunk.keys)
        yield chunk
