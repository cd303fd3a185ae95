"""The semantic and panoptic label maps of a merge (:mod:`.merge`): what it refuses, what it
copies.

A label map is a row of ``semantic_masks`` (a PNG's location, and a panoptic PNG's segments
JSON) read through its source's encoding (``semantic_sources``: layout, ignore index,
value map) and the dataset's classes (``semantic_classes``: one table for every source).
So the merge refuses, before anything is written, what would make a copied mask mean other
classes than it did: the two datasets' classes differing (index, name, thing or stuff), or
one source of both encoded differently; and a model with label maps in one dataset and
objects or image labels in the other (one model name holds one kind of prediction). Colours are display only: the target keeps its own.

Copied: each mask of the source's sources on a merged sample (matched or added), under the
target's sample id; the file is shared (as ``subset`` shares it), never copied. A matched
sample that has a mask of that source in the target keeps it (counted as ``kept``). A source
the target lacks comes with its encoding, the classes with it where the target has none; the
import time of every source that gained masks moves to now, so a result computed over its
masks before the merge (:func:`~..semantic.records.masks_basis`) says it is stale.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import duckdb

from ..catalog import CatalogError
from ..catalog.reads.model_kinds import LABEL_MAPS, OBJECTS, kinds_by_model
from ..semantic.records import CLASSES, MASKS, SOURCES

SHOWN = 3
"""Differences of two class tables a refusal names (then how many more)."""


def check_label_maps(
    cur: duckdb.DuckDBPyConnection, src_id: int, dst_id: int, source: str, target: str
) -> None:
    """Refuse (:class:`CatalogError`) to merge ``source``'s label maps into ``target`` when
    their classes differ, a source of both is encoded differently, or a model has label maps
    in one and objects or image labels in the other (:func:`check_model_kinds`); the message
    names what differs and how to make them agree."""
    check_model_kinds(cur, src_id, dst_id, source, target)
    src_sources = _sources(cur, src_id)
    if not src_sources:
        return
    names = ", ".join(src_sources)
    src_classes, dst_classes = _classes(cur, src_id), _classes(cur, dst_id)
    if dst_classes and src_classes != dst_classes:
        raise CatalogError(
            f"cannot merge {source!r} into {target!r}: the classes of their label maps differ "
            f"({_class_difference(src_classes, dst_classes, source, target)}), so the masks of "
            f"{names} would name other classes in {target!r}; import one dataset again with "
            "the other's classes (semantic-ingest --classes, or the panoptic JSON's categories) "
            "and merge again"
        )
    dst_sources = _sources(cur, dst_id)
    for name, encoding in src_sources.items():
        theirs = dst_sources.get(name)
        if theirs is not None and theirs != encoding:
            raise CatalogError(
                f"cannot merge {source!r} into {target!r}: both have label maps of {name!r}, "
                f"encoded differently ({_encoding_difference(encoding, theirs, source, target)}); "
                f"import {source!r}'s masks of {name!r} again as {target!r}'s were imported "
                "(or under another model name) and merge again"
            )


def check_model_kinds(
    cur: duckdb.DuckDBPyConnection, src_id: int, dst_id: int, source: str, target: str
) -> None:
    """Refuse (:class:`CatalogError`) a model name holding label maps in one dataset and
    objects or image labels in the other: merged, it would hold both, and its evaluation
    would leave one kind out (:mod:`~..catalog.reads.model_kinds`). A mix the target holds
    already (an earlier VisionLens) is not the merge's doing, and is left to evaluation."""
    src, dst = kinds_by_model(cur, src_id), kinds_by_model(cur, dst_id)
    for name in sorted(src.keys() & dst.keys()):
        # one kind between them, or the target's own mix (not this merge's doing)
        if len(src[name] | dst[name]) < 2 or len(dst[name]) == 2:
            continue
        where: dict[str, list[str]] = {LABEL_MAPS: [], OBJECTS: []}
        for dataset, kinds in ((source, src[name]), (target, dst[name])):
            for kind in kinds:
                where[kind].append(repr(dataset))
        raise CatalogError(
            f"cannot merge {source!r} into {target!r}: model {name!r} holds label maps in "
            f"{' and '.join(where[LABEL_MAPS])} but objects or image labels in "
            f"{' and '.join(where[OBJECTS])}, and one model holds one kind of prediction; "
            "import one of them again under another --model name and merge again"
        )


def merge_label_maps(
    cur: duckdb.DuckDBPyConnection,
    src_id: int,
    dst_id: int,
    source: str,
    target: str,
    old: list[int],
    new: list[int],
) -> dict[str, dict[str, int]]:
    """Copy the masks of the source dataset's samples ``old`` to the target's samples
    ``new`` (pairwise), in the caller's transaction; returns ``{source: {"copied", "kept"}}``
    for each source with a mask on a merged sample (``kept``: the target's mask of a matched
    sample, left as it was). Refuses as :func:`check_label_maps` first: the merge checked
    before it wrote its vectors, and this transaction is what it must hold for."""
    check_label_maps(cur, src_id, dst_id, source, target)
    params: dict[str, Any] = {"src": src_id, "dst": dst_id, "old": old, "new": new}
    # the merged masks with whether the target has one of their source on that sample
    merged = f"""
        WITH pairs AS (SELECT unnest($old::BIGINT[]) AS old, unnest($new::BIGINT[]) AS new)
        SELECT m.* REPLACE (p.new AS sample_id, $dst AS dataset_id),
               EXISTS (SELECT 1 FROM {MASKS} d WHERE d.dataset_id = $dst
                       AND d.sample_id = p.new AND d.source = m.source) AS kept
        FROM {MASKS} m JOIN pairs p ON p.old = m.sample_id WHERE m.dataset_id = $src
    """  # noqa: S608 - fixed identifiers
    counts = {
        str(name): {"copied": int(copied), "kept": int(kept)}
        for name, copied, kept in cur.execute(
            f"SELECT source, count(*) FILTER (NOT kept), count(*) FILTER (kept) "  # noqa: S608 - fixed identifiers
            f"FROM ({merged}) GROUP BY source ORDER BY source",
            params,
        ).fetchall()
    }
    gained = [name for name, n in counts.items() if n["copied"]]
    if not gained:
        return counts
    if not _classes(cur, dst_id):
        cur.execute(
            f"INSERT INTO {CLASSES} BY NAME SELECT * REPLACE ($dst AS dataset_id) "  # noqa: S608 - fixed identifiers
            f"FROM {CLASSES} WHERE dataset_id = $src",
            {"src": src_id, "dst": dst_id},
        )
    cur.execute(
        f"INSERT INTO {SOURCES} BY NAME SELECT * REPLACE ($dst AS dataset_id) FROM {SOURCES} "  # noqa: S608 - fixed identifiers
        f"WHERE dataset_id = $src AND list_contains($gained, source) AND source NOT IN "
        f"(SELECT source FROM {SOURCES} WHERE dataset_id = $dst)",
        {"src": src_id, "dst": dst_id, "gained": gained},
    )
    cur.execute(
        f"UPDATE {SOURCES} SET imported_at = $now "  # noqa: S608 - fixed identifiers
        "WHERE dataset_id = $dst AND list_contains($gained, source)",
        {"dst": dst_id, "gained": gained, "now": datetime.now(UTC).replace(tzinfo=None)},
    )
    cur.execute(
        f"INSERT INTO {MASKS} BY NAME SELECT * EXCLUDE (kept) FROM ({merged}) WHERE NOT kept",  # noqa: S608 - fixed identifiers
        params,
    )
    return counts


Encoding = tuple[str | None, int, tuple[int, ...] | None]
"""A source's layout, ignore index and value map."""


def _sources(cur: duckdb.DuckDBPyConnection, dataset_id: int) -> dict[str, Encoding]:
    rows = cur.execute(
        f"SELECT source, layout, ignore_index, value_map FROM {SOURCES} "  # noqa: S608 - fixed identifiers
        "WHERE dataset_id = ? ORDER BY source",
        [dataset_id],
    ).fetchall()
    return {
        str(s): (layout, int(ignore), tuple(vmap) if vmap is not None else None)
        for s, layout, ignore, vmap in rows
    }


def _classes(cur: duckdb.DuckDBPyConnection, dataset_id: int) -> dict[int, tuple[str, bool | None]]:
    rows = cur.execute(
        f"SELECT class_index, name, isthing FROM {CLASSES} WHERE dataset_id = ?",  # noqa: S608 - fixed identifiers
        [dataset_id],
    ).fetchall()
    return {int(i): (str(name), thing) for i, name, thing in rows}


def _class_difference(
    src: dict[int, tuple[str, bool | None]],
    dst: dict[int, tuple[str, bool | None]],
    source: str,
    target: str,
) -> str:
    """The first :data:`SHOWN` classes that differ, as ``class 3 is 'cat' in 'a', 'dog' in
    'b'``, then how many more."""

    def named(entry: tuple[str, bool | None] | None, other: tuple[str, bool | None] | None) -> str:
        if entry is None:
            return "missing"
        if other is not None and other[0] == entry[0]:  # the same name: thing against stuff
            return f"{entry[0]!r} as a {'thing' if entry[1] else 'stuff'}"
        return repr(entry[0])

    differ = [i for i in sorted(src.keys() | dst.keys()) if src.get(i) != dst.get(i)]
    shown = [
        f"class {i} is {named(src.get(i), dst.get(i))} in {source!r}, "
        f"{named(dst.get(i), src.get(i))} in {target!r}"
        for i in differ[:SHOWN]
    ]
    more = f" and {len(differ) - SHOWN} more" if len(differ) > SHOWN else ""
    return "; ".join(shown) + more


def _encoding_difference(src: Encoding, dst: Encoding, source: str, target: str) -> str:
    """Which of layout, ignore index and value map differ, with both values."""
    parts = []
    if src[0] != dst[0]:
        parts.append(f"layout {src[0]!r} in {source!r}, {dst[0]!r} in {target!r}")
    if src[1] != dst[1]:
        parts.append(f"ignore index {src[1]} in {source!r}, {dst[1]} in {target!r}")
    if src[2] != dst[2]:
        parts.append(f"value maps differ: {_value_map_difference(src[2], dst[2], source, target)}")
    return "; ".join(parts)


def _value_map_difference(
    src: tuple[int, ...] | None, dst: tuple[int, ...] | None, source: str, target: str
) -> str:
    """Where two value maps part (not the maps: 256 numbers would hide the message)."""
    if src is None or dst is None:
        which = source if src is None else target
        return f"{which!r}'s pixel values are class indices, the other's are mapped"
    at = next((v for v, (a, b) in enumerate(zip(src, dst, strict=False)) if a != b), None)
    if at is None:
        return f"{len(src)} values in {source!r}, {len(dst)} in {target!r}"
    return f"value {at} is class {src[at]} in {source!r}, {dst[at]} in {target!r}"
