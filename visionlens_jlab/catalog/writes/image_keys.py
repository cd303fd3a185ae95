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

A key two samples give equally (the base name ``a.jpg`` of ``train/a.jpg`` and ``val/a.jpg``)
names neither: it is listed in ``_vl_ambiguous_keys`` instead.

A name no key matches is tried again as other tools write it (:class:`.path_keys.PathKeys`,
the rule of :mod:`visionlens_jlab.records.image_names`): ``./train/x.jpg`` and
``train\\x.jpg`` as ``train/x.jpg``, an absolute path, a URL or a path from a folder above
the dataset's root by its suffix. Each name found so becomes a key of its own (priority 5);
one that fits two samples is listed in ``_vl_ambiguous_keys``.
"""

from __future__ import annotations

import duckdb

from ..base.errors import CatalogError

# each sample's base name and stem found once (regexps are most of the cost), then the
# sample's names one branch each
_NAMES = """
WITH n AS MATERIALIZED (
  SELECT *, CASE WHEN regexp_matches(stem, '^0+[0-9]+$')
                 THEN regexp_replace(stem, '^0+([0-9])', '\\1') END AS number
    FROM (SELECT *, regexp_replace(base, '\\.[^.]*$', '') AS stem
            FROM (SELECT source_image_id, file_name, sample_id, width, height,
                         regexp_replace(file_name, '^.*[/\\\\]', '') AS base
                    FROM samples WHERE dataset_id = $dataset {only})))
SELECT source_image_id AS key, sample_id, width, height, 0 AS priority
  FROM n WHERE source_image_id IS NOT NULL
UNION ALL SELECT file_name, sample_id, width, height, 1 FROM n
UNION ALL SELECT base, sample_id, width, height, 2 FROM n
UNION ALL SELECT stem, sample_id, width, height, 3 FROM n
UNION ALL SELECT number, sample_id, width, height, 4 FROM n WHERE number IS NOT NULL
"""
_SPLIT_IDS = """
UNION ALL SELECT source_image_id[length($split) + 2:], sample_id, width, height, 0
  FROM n WHERE starts_with(source_image_id, $split || '/')
"""
# (priority, sample_id) as one HUGEINT ordered as the pair (a sample id's whole range fits
# below one step of priority): arg_min over it is half the CPU of arg_min over the pair
_FIRST = "priority::HUGEINT * 18446744073709551616 + sample_id"
_LAST = "(8 - priority)::HUGEINT * 18446744073709551616 + sample_id"  # the best rank's last


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
    # image id 0 of "1.jpg") means the sample of the first name in the order above. Two
    # samples giving it at that rank (the base name of train/a.jpg and val/a.jpg) make it
    # ambiguous: no sample is guessed. The first and the last sample of the best rank
    # differ exactly then, which one pass finds.
    cur.execute(
        "CREATE OR REPLACE TEMP TABLE _vl_image_keys AS "  # noqa: S608 - fixed text
        "SELECT key, arg_min(sample_id, first) AS sample_id, arg_min(width, first) AS width, "
        "arg_min(height, first) AS height, MIN(priority) AS priority, "
        "arg_max(sample_id, last) AS last_id "
        f"FROM (SELECT *, {_FIRST} AS first, {_LAST} AS last FROM ({names})) GROUP BY key",
        params,
    )
    cur.execute(
        "CREATE OR REPLACE TEMP TABLE _vl_ambiguous_keys AS "
        "SELECT key FROM _vl_image_keys WHERE sample_id <> last_id; "
        "DELETE FROM _vl_image_keys WHERE sample_id <> last_id; "
        "ALTER TABLE _vl_image_keys DROP COLUMN last_id"
    )
