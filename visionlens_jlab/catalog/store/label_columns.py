"""Schema step 6: labels beyond the box (masks, keypoints, image-level classifications).

Every object keeps its box (derived from its mask or keypoints when the source has none), so
everything built on boxes keeps working; the new facts sit beside it:

* ``annotations.keypoints``: the object's keypoints as a flat ``[x1, y1, v1, x2, ...]`` in
  absolute pixels (COCO's layout; ``v`` 0 = not labelled, 1 = labelled but hidden,
  2 = visible), NULL for an object without keypoints;
* ``annotations.num_keypoints``: how many of them are labelled (``v > 0``, COCO's
  ``num_keypoints``), NULL without keypoints;
* ``annotations.mask_area``: the pixel area of the object's mask, NULL without a mask (the
  mask itself stays in ``segmentation`` as the source wrote it: polygons, or an RLE);
* ``categories.keypoint_names`` / ``categories.skeleton``: a keypoint class's point names
  and its skeleton (COCO's 1-based index pairs);
* ``classifications``: image-level labels, ground truth or a model's, with an optional score
  and per-class scores.

Steps 17 and 18 add the columns of rotated boxes (``annotations.obb``) and polylines
(``annotations.polyline``) with
:func:`add_declared_columns`, which adds whatever columns the declared object kinds have
that a catalog lacks.

Step 20 adds ``annotations.track_id`` (:func:`add_track_ids`): an object's identity across the
frames of a video, NULL for an object outside any track.

Step 7 adds ``categories.keypoint_sigmas``: the class's own per-keypoint OKS sigmas, as its
source gives them (a COCO category's ``sigmas``, an Ultralytics data.yaml's
``kpt_oks_sigmas``), NULL where it gives none; keypoint evaluation uses them when no sigmas
are passed.
"""

from __future__ import annotations

from typing import Any

import duckdb

from ...records.label_kinds import LABEL_KINDS, LABEL_TYPES, LabelKind
from .edit_tables import VERSION_COPIES

VERSION_ANNOTATIONS = VERSION_COPIES[0]
"""The objects' copy of browsed versions (step 14), which has every column of theirs."""

CLASSIFICATIONS_DDL = """
    CREATE TABLE IF NOT EXISTS classifications (
        dataset_id INTEGER NOT NULL,
        sample_id BIGINT NOT NULL,
        source VARCHAR NOT NULL,       -- 'ground_truth' or the model's name
        label VARCHAR NOT NULL,
        score DOUBLE,                  -- NULL for ground truth
        scores JSON                    -- per-class scores {"cat": 0.7, ...}, or NULL
    )
"""

STATEMENTS = [
    "ALTER TABLE annotations ADD COLUMN IF NOT EXISTS keypoints DOUBLE[]",
    "ALTER TABLE annotations ADD COLUMN IF NOT EXISTS num_keypoints INTEGER",
    "ALTER TABLE annotations ADD COLUMN IF NOT EXISTS mask_area DOUBLE",
    "ALTER TABLE categories ADD COLUMN IF NOT EXISTS keypoint_names VARCHAR[]",
    "ALTER TABLE categories ADD COLUMN IF NOT EXISTS skeleton JSON",
    CLASSIFICATIONS_DDL,
]


def add_label_columns(cur: duckdb.DuckDBPyConnection) -> None:
    """Add the columns and the table of the module docstring (existing rows get NULLs)."""
    for statement in STATEMENTS:
        cur.execute(statement)


def add_category_frequency(cur: duckdb.DuckDBPyConnection) -> None:
    """Add ``categories.frequency`` (an LVIS class's group: r, c or f, for the APr/APc/APf
    of LVIS evaluation); classes ingested before get NULL: in no group, until re-ingested."""
    cur.execute("ALTER TABLE categories ADD COLUMN IF NOT EXISTS frequency VARCHAR")


def add_keypoint_sigmas(cur: duckdb.DuckDBPyConnection) -> None:
    """Add ``categories.keypoint_sigmas`` (step 7; existing classes get NULL: no sigmas)."""
    cur.execute("ALTER TABLE categories ADD COLUMN IF NOT EXISTS keypoint_sigmas DOUBLE[]")


def add_declared_columns(cur: duckdb.DuckDBPyConnection) -> None:
    """Add every object kind's declared column that ``annotations`` and its version copy
    lack (existing objects get NULL: they do not have that kind). A new object kind needs
    no migration code of its own: a step that runs this adds its columns to older catalogs."""
    for table in ("annotations", VERSION_ANNOTATIONS):
        for kind in LABEL_KINDS:
            if kind.scope != "object":
                continue
            for column in kind.columns:
                cur.execute(
                    f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column.name} {column.duckdb}"
                )


def add_track_ids(cur: duckdb.DuckDBPyConnection) -> None:
    """Add ``track_id BIGINT`` to ``annotations`` and its version copy (step 20): the track
    an object belongs to, unique within its dataset and source; existing objects get NULL
    (they belong to no track)."""
    for table in ("annotations", VERSION_ANNOTATIONS):
        cur.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS track_id BIGINT")


def _label_counts_sql(one_source: bool) -> str:
    """Per source, one count per label kind (:mod:`~visionlens_jlab.records.label_kinds`):
    one scan of the annotations counts the objects having each object kind, and an image
    kind counts the rows of its own table."""

    def object_count(kind: LabelKind) -> str:
        if kind.scope != "object":
            return "0"
        return "count(*)" if kind.presence is None else f"count({kind.presence})"

    scans = {"annotations": [object_count(k) for k in LABEL_KINDS]}
    for kind in LABEL_KINDS:
        if kind.scope == "image" and kind.table:
            scans[kind.table] = ["count(*)" if k is kind else "0" for k in LABEL_KINDS]
    where = "dataset_id = $ds" + (" AND source = $source" if one_source else "")
    union = " UNION ALL ".join(
        f"SELECT source, {', '.join(counts)} FROM {table} WHERE {where} GROUP BY source"  # noqa: S608 - declared identifiers
        for table, counts in scans.items()
    )
    names = [f"c{i}" for i in range(len(LABEL_KINDS))]
    sums = ", ".join(f"sum({n})" for n in names)
    return f"SELECT source, {sums} FROM ({union}) t(source, {', '.join(names)}) GROUP BY source"  # noqa: S608 - declared identifiers


_COUNTS_SQL = {one: _label_counts_sql(one) for one in (False, True)}


def label_counts(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, source: str | None = None
) -> dict[str, dict[str, int]]:
    """How many labels of each type (``boxes``, ``masks``, ...: the kinds' label types) each
    source (ground truth or a model) has in a dataset, in one query; only ``source`` when
    given. Every object is a box; masks and keypoints are objects with one; an image kind
    counts its rows."""
    values: dict[str, Any] = {"ds": dataset_id}
    if source is not None:
        values["source"] = source
    rows = cur.execute(_COUNTS_SQL[source is not None], values).fetchall()
    return {r[0]: dict(zip(LABEL_TYPES, map(int, r[1:]), strict=True)) for r in rows}
