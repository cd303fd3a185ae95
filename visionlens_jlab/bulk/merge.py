"""One dataset's samples merged into another (``visionlens merge SRC --into DST --key K``).

Samples are matched by ``file_name`` or by the source's image id (``image_id``). A matched
sample keeps the target's row (tags, fields) and gets the source's labels appended; an
unmatched one is added with its tags and fields. The objects and image-level labels of every
source come along (objects with their object tags), new ids for all, and so do the semantic
and panoptic label maps of every source (:mod:`.merge_label_maps`: a matched sample's mask
the target has of that source is kept, and counted); the models' rows follow (a model the
target lacks is added, every count recounted, label maps included). Reported, not guessed
at: a key matching samples of different image sizes (that sample is left out), and the
source's classes the target lacks (added to the target's classes, so that the labels stay
valid). Refused before anything is written: label maps whose classes differ between the two,
a source of both whose masks are encoded differently, or a model with label maps in one and
objects or image labels in the other. The target's evaluations list
themselves stale (``merged_from``).

All or nothing: new samples' vectors are written first (spaces both datasets have), then
every catalog row in ONE transaction; a failure removes the vectors written. The merge is a
write outside the edit log (like a model imported again): undo does not take it back, and
the copies of browsed versions are dropped (made again at the next browse).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from ..catalog import Catalog, CatalogError, NotFoundError
from ..catalog.derived import Change, Kind, apply_change
from ..catalog.writes.model_rows import recount_predictions
from ..vectors import VectorStore
from .merge_label_maps import check_label_maps, merge_label_maps
from .subset import VECTOR_CHUNK, remove_vectors

KEYS = {"file_name": "file_name", "image_id": "source_image_id"}
"""The ``--key`` choices and the samples column each matches on."""

Rows = list[tuple[int, str, int | None, int | None]]
"""Samples as (sample_id, key, width, height)."""


@dataclass
class MergeResult:
    """What :func:`merge_datasets` did and what it refused."""

    source: str
    target: str
    key: str
    matched: int
    added: int
    labels: int
    size_conflicts: list[dict[str, Any]] = field(default_factory=list)
    """Keys whose images differ in size (left out): key, source and target width x height."""
    missing_classes: list[str] = field(default_factory=list)
    """The source's classes the target lacked (added to it)."""
    vectors: dict[str, int] = field(default_factory=dict)
    label_maps: dict[str, dict[str, int]] = field(default_factory=dict)
    """Per source of semantic or panoptic label maps: masks ``copied``, and ``kept`` (a
    matched sample's mask of that source the target had already)."""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the CLI's ``--json``)."""
        return asdict(self)


def check_merge(catalog: Catalog, source: str, target: str, key: str) -> None:
    """What a merge would refuse before it starts, nothing written: a bad key, a dataset
    merged into itself, an unknown source (:class:`CatalogError`), an unknown target
    (:class:`NotFoundError`), a sample without the key or a key two samples share, label
    maps whose classes or encoding differ, a model of label maps in one and objects or image
    labels in the other (:func:`.merge_label_maps.check_label_maps`)."""
    with catalog.cursor() as cur:
        _read_both(cur, catalog, source, target, key)


def merge_datasets(
    catalog: Catalog,
    source: str,
    target: str,
    key: str,
    *,
    vectors: Callable[[], VectorStore] | None = None,
    progress: Callable[[str, float], None] | None = None,
) -> MergeResult:
    """Merge the samples of ``source`` into ``target``, matched by ``key``. ``progress``
    hears each stage (a job's may raise to cancel: nothing of the merge is kept)."""
    report = progress or (lambda _stage, _fraction: None)
    report("reading samples", 0.0)
    with catalog.cursor() as cur:
        src_id, dst_id, src, dst = _read_both(cur, catalog, source, target, key)
        spaces = [r[0] for r in cur.execute(
            "SELECT s.space FROM vector_spaces s JOIN vector_spaces t "
            "ON t.space = s.space AND t.dataset_id = ? WHERE s.dataset_id = ? ORDER BY 1",
            [dst_id, src_id],
        ).fetchall()]  # fmt: skip
    by_key = {k: (sid, w, h) for sid, k, w, h in dst}
    old: list[int] = []
    new: list[int | None] = []
    conflicts: list[dict[str, Any]] = []
    for sid, k, w, h in src:
        there = by_key.get(k)
        if there is None:
            old.append(sid)
            new.append(None)
        elif None not in (w, h, there[1], there[2]) and (w, h) != (there[1], there[2]):
            conflicts.append({key: k, "source_size": [w, h], "target_size": [there[1], there[2]]})
        else:
            old.append(sid)
            new.append(there[0])
    with catalog.write() as cur:
        ids = catalog.begin_ingest(cur, f"\0merge:{target}")  # reserves ids, writes nothing
        catalog.scope_write(dst_id, keeps_derived=True)
    written: dict[str, np.ndarray] = {}
    store: VectorStore | None = None
    try:
        n_new = sum(1 for n in new if n is None)
        fresh = iter(range(ids.sample_base, ids.sample_base + n_new))
        mapping = [n if n is not None else next(fresh) for n in new]
        added = np.array([m for m, n in zip(mapping, new, strict=True) if n is None], np.int64)
        added_old = np.array([o for o, n in zip(old, new, strict=True) if n is None], np.int64)
        counts: dict[str, int] = {}
        if spaces and len(added):
            if vectors is None:
                raise CatalogError(f"{source!r} has embeddings but no vector store is open")
            report("copying vectors", 0.2)
            store = vectors()
            counts = _copy_vectors(store, spaces, added_old, added, dst_id, written)
        report("writing rows", 0.6)
        with catalog.write(dst_id) as cur:
            n_labels, missing = _merge_rows(cur, src_id, dst_id, ids.ann_base, old, mapping, added)
            label_maps = merge_label_maps(cur, src_id, dst_id, source, target, old, mapping)
            _finish(cur, src_id, dst_id, len(added), counts)
            apply_change(catalog, cur, Change(dst_id, Kind.SAMPLES_ADDED))
            # labels came from outside the log: the copies of browsed versions go (made again)
            catalog.scope_write(dst_id, keeps_derived=False)
        return MergeResult(source=source, target=target, key=key, matched=len(old) - n_new,
                           added=n_new, labels=n_labels, size_conflicts=conflicts,
                           missing_classes=missing, vectors=counts,
                           label_maps=label_maps)  # fmt: skip
    except BaseException:
        if store is not None:
            remove_vectors(store, written)
        raise
    finally:
        catalog.end_ingest(ids)


def _read_both(
    cur: duckdb.DuckDBPyConnection, catalog: Catalog, source: str, target: str, key: str
) -> tuple[int, int, Rows, Rows]:
    """Both datasets' ids and samples, or the refusal of :func:`check_merge`."""
    if key not in KEYS:
        raise CatalogError(f"the key must be one of {', '.join(KEYS)}, got {key!r}")
    if source == target:
        raise CatalogError("a dataset cannot be merged into itself")
    dst_id = catalog.dataset_id(cur, target)
    try:
        src_id = catalog.dataset_id(cur, source)
    except NotFoundError:  # a name the request gave, not the dataset it is about
        raise CatalogError(f"no dataset named {source!r} to merge from") from None
    # refused here, before the vectors are written (and checked again in the transaction)
    check_label_maps(cur, src_id, dst_id, source, target)
    column = KEYS[key]
    return (src_id, dst_id, _samples(cur, src_id, column, source, key),
            _samples(cur, dst_id, column, target, key))  # fmt: skip


def _samples(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, column: str, name: str, key: str
) -> Rows:
    rows = cur.execute(
        f"SELECT sample_id, {column}, width, height FROM samples WHERE dataset_id = ? "  # noqa: S608 - a column of KEYS
        "ORDER BY sample_id",
        [dataset_id],
    ).fetchall()
    seen: set[str] = set()
    for _, k, _, _ in rows:
        if k is None:
            raise CatalogError(f"a sample of {name!r} has no {key}: merge by the other key")
        if k in seen:
            raise CatalogError(f"{name!r} has two samples of {key} {k!r}: merge by the other key")
        seen.add(k)
    return [(int(r[0]), str(r[1]), r[2], r[3]) for r in rows]


def _copy_vectors(
    store: VectorStore,
    spaces: list[str],
    old: np.ndarray,
    new: np.ndarray,
    dataset_id: int,
    written: dict[str, np.ndarray],
) -> dict[str, int]:
    """The added samples' vectors in each space both datasets have, under the new ids."""
    counts: dict[str, int] = {}
    new_of = dict(zip(old.tolist(), new.tolist(), strict=True))
    for space in spaces:
        parts: list[np.ndarray] = []
        for start in range(0, len(old), VECTOR_CHUNK):
            found, matrix = store.get_vectors(space, old[start : start + VECTOR_CHUNK])
            if len(found):
                target = np.array([new_of[int(i)] for i in found], np.int64)
                parts.append(target)
                written[space] = np.concatenate(parts)
                store.upsert(space, target, matrix, dataset_ids=dataset_id)
        counts[space] = int(sum(len(p) for p in parts))
    return counts


def _merge_rows(
    cur: duckdb.DuckDBPyConnection,
    src_id: int,
    dst_id: int,
    ann_base: int,
    old: list[int],
    mapping: list[int],
    added: np.ndarray,
) -> tuple[int, list[str]]:
    """The samples, objects, object tags and image labels of the merge, in the caller's
    transaction: (labels added, classes added to the target)."""
    cur.register("_vl_map", pa.table({"old": pa.array(old, pa.int64()),
                                      "new": pa.array(mapping, pa.int64())}))  # fmt: skip
    cur.register("_vl_added", pa.table({"new": pa.array(added, pa.int64())}))
    try:
        missing = [r[0] for r in cur.execute(
            """
            SELECT DISTINCT label FROM (
                SELECT a.label FROM annotations a JOIN _vl_map m ON m.old = a.sample_id
                WHERE a.dataset_id = $src
                UNION ALL
                SELECT c.label FROM classifications c JOIN _vl_map m ON m.old = c.sample_id
                WHERE c.dataset_id = $src)
            WHERE label NOT IN (SELECT name FROM categories WHERE dataset_id = $dst)
            ORDER BY label
            """,
            {"src": src_id, "dst": dst_id},
        ).fetchall()]  # fmt: skip
        cur.execute(
            """
            INSERT INTO categories (dataset_id, category_id, name, supercategory)
            SELECT $dst, (SELECT COALESCE(MAX(category_id), -1) FROM categories
                          WHERE dataset_id = $dst) + row_number() OVER (ORDER BY name), name, NULL
            FROM (SELECT unnest($names::VARCHAR[]) AS name)
            """,
            {"dst": dst_id, "names": missing},
        )
        cur.execute(
            """
            INSERT INTO samples SELECT m.new, $dst, s.file_name, s.location, s.width, s.height,
                   s.split, s.source_image_id, s.tags, s.fields
            FROM samples s JOIN _vl_map m ON m.old = s.sample_id
            WHERE s.dataset_id = $src AND m.new IN (SELECT new FROM _vl_added)
            """,
            {"src": src_id, "dst": dst_id},
        )
        cur.execute(
            """
            CREATE TEMP TABLE _vl_ann AS
            SELECT a.ann_id AS old, $base + row_number() OVER (ORDER BY a.ann_id) - 1 AS new
            FROM annotations a JOIN _vl_map m ON m.old = a.sample_id WHERE a.dataset_id = $src
            """,
            {"src": src_id, "base": ann_base},
        )
        columns = [r[0] for r in cur.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'annotations' "
            "ORDER BY ordinal_position"
        ).fetchall()]  # fmt: skip
        shifted = {"ann_id": "n.new", "sample_id": "m.new", "dataset_id": "$dst"}
        select = ", ".join(shifted.get(c, f'a."{c}"') for c in columns)
        cur.execute(
            f"INSERT INTO annotations SELECT {select} FROM annotations a "  # noqa: S608 - schema columns
            "JOIN _vl_map m ON m.old = a.sample_id JOIN _vl_ann n ON n.old = a.ann_id "
            "WHERE a.dataset_id = $src",
            {"src": src_id, "dst": dst_id},
        )
        cur.execute(
            "INSERT INTO object_tags SELECT $dst, n.new, t.tags FROM object_tags t "
            "JOIN _vl_ann n ON n.old = t.ann_id WHERE t.dataset_id = $src",
            {"src": src_id, "dst": dst_id},
        )
        cur.execute(
            "INSERT INTO classifications SELECT $dst, m.new, c.source, c.label, c.score, c.scores "
            "FROM classifications c JOIN _vl_map m ON m.old = c.sample_id "
            "WHERE c.dataset_id = $src",
            {"src": src_id, "dst": dst_id},
        )
        n_labels = int(cur.execute("SELECT COUNT(*) FROM _vl_ann").fetchall()[0][0])
        cur.execute("DROP TABLE _vl_ann")
    finally:
        cur.unregister("_vl_map")
        cur.unregister("_vl_added")
    return n_labels, missing


def _finish(
    cur: duckdb.DuckDBPyConnection, src_id: int, dst_id: int, n_added: int, counts: dict[str, int]
) -> None:
    """Models, counts, evaluations' staleness and vector space counts of the target."""
    cur.execute(
        "INSERT INTO models SELECT $dst, name, format, source, created_at, 0, report "
        "FROM models WHERE dataset_id = $src "
        "AND name NOT IN (SELECT name FROM models WHERE dataset_id = $dst)",
        {"src": src_id, "dst": dst_id},
    )
    recount_predictions(cur, dst_id)  # every model counted again, its label maps with them
    cur.execute(
        """
        UPDATE datasets SET num_samples = num_samples + ?,
            num_annotations = (SELECT COUNT(*) FROM annotations WHERE dataset_id = ?
                               AND source = 'ground_truth')
                            + (SELECT COUNT(*) FROM classifications WHERE dataset_id = ?
                               AND source = 'ground_truth')
        WHERE dataset_id = ?
        """,
        [n_added, dst_id, dst_id, dst_id],
    )
    source_name = cur.execute("SELECT name FROM datasets WHERE dataset_id = ?", [src_id])
    note = json.dumps({"merged_from": source_name.fetchall()[0][0]})
    cur.execute(
        "UPDATE evaluations SET params = json_merge_patch(params, ?) WHERE dataset_id = ?",
        [note, dst_id],
    )
    for space, count in counts.items():
        cur.execute(
            "UPDATE vector_spaces SET count = count + ? WHERE dataset_id = ? AND space = ?",
            [count, dst_id, space],
        )
