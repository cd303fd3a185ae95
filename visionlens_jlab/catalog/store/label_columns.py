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

Step 7 adds ``categories.keypoint_sigmas``: the class's own per-keypoint OKS sigmas, as its
source gives them (a COCO category's ``sigmas``, an Ultralytics data.yaml's
``kpt_oks_sigmas``), NULL where it gives none; keypoint evaluation uses them when no sigmas
are passed.
"""

from __future__ import annotations

import duckdb

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


def add_keypoint_sigmas(cur: duckdb.DuckDBPyConnection) -> None:
    """Add ``categories.keypoint_sigmas`` (step 7; existing classes get NULL: no sigmas)."""
    cur.execute("ALTER TABLE categories ADD COLUMN IF NOT EXISTS keypoint_sigmas DOUBLE[]")
