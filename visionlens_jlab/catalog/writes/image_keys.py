"""The names a prediction may give its image, and the sample each one means.

A prediction row names its image by ``image_ref``: the source image id, the file name, its
base name, its stem or, for a stem of digits, its number (``000000000139.jpg``: ``139``, the
``image_id`` Ultralytics' ``val(save_json=True)`` writes, ``int(stem)``), tried in that order
(the ``priority`` column). The prediction writer
and the classification writer join their rows to the temporary table ``_vl_image_keys``
made here.

Given a split, only that split's samples have keys, and an id stored under the split
(``val/12``: a dataset read one split at a time, whose files number their images each from
the start, :mod:`visionlens_jlab.ingest.split_folders`) is also found by its bare id, so a
COCO results file made against one split's file matches that split's images.
"""

from __future__ import annotations

import duckdb

from ..base.errors import CatalogError

_NAMES = """
SELECT source_image_id AS key, sample_id, width, height, 0 AS priority
  FROM samples WHERE dataset_id = $dataset AND source_image_id IS NOT NULL {only}
UNION ALL SELECT file_name, sample_id, width, height, 1
  FROM samples WHERE dataset_id = $dataset {only}
UNION ALL SELECT regexp_replace(file_name, '^.*[/\\\\]', ''), sample_id, width, height, 2
  FROM samples WHERE dataset_id = $dataset {only}
UNION ALL SELECT regexp_replace(regexp_replace(file_name, '^.*[/\\\\]', ''), '\\.[^.]*$', ''),
                 sample_id, width, height, 3
  FROM samples WHERE dataset_id = $dataset {only}
UNION ALL SELECT regexp_replace(stem, '^0+([0-9])', '\\1'), sample_id, width, height, 4
  FROM (SELECT regexp_replace(regexp_replace(file_name, '^.*[/\\\\]', ''), '\\.[^.]*$', '')
               AS stem, sample_id, width, height
          FROM samples WHERE dataset_id = $dataset {only})
 WHERE regexp_matches(stem, '^0+[0-9]+$')
"""
_SPLIT_IDS = """
UNION ALL SELECT source_image_id[length($split) + 2:], sample_id, width, height, 0
  FROM samples WHERE dataset_id = $dataset AND split = $split
   AND starts_with(source_image_id, $split || '/')
"""


def create_image_keys(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, split: str | None = None
) -> None:
    """Make ``_vl_image_keys`` (key, sample_id, width, height, priority) for the samples of
    ``dataset_id``, or of its ``split`` (a :class:`CatalogError` naming the splits there
    when it has none)."""
    params: dict[str, object] = {"dataset": dataset_id}
    names = _NAMES.format(only="")
    if split is not None:
        params["split"] = split
        names = _NAMES.format(only="AND split = $split") + _SPLIT_IDS
        found = cur.execute(
            "SELECT count(*) FILTER (split = $split), list(DISTINCT split ORDER BY split) "
            "FROM samples WHERE dataset_id = $dataset",
            params,
        ).fetchone()
        if not found or not found[0]:
            known = ", ".join(str(s) for s in (found[1] if found else []) if s is not None)
            raise CatalogError(f"the dataset has no split {split!r}; its splits: {known or 'none'}")
    # a key two samples give (one's image id, another's stem: image id 1 of "2.jpg" beside
    # image id 0 of "1.jpg") means the sample of the first name in the order above; among
    # equals, the first sample. Every column comes from that one row.
    first = "(priority, sample_id)"
    cur.execute(
        "CREATE OR REPLACE TEMP TABLE _vl_image_keys AS "  # noqa: S608 - fixed text
        f"SELECT key, arg_min(sample_id, {first}) AS sample_id, "
        f"arg_min(width, {first}) AS width, arg_min(height, {first}) AS height, "
        f"MIN(priority) AS priority FROM ({names}) GROUP BY key",
        params,
    )
