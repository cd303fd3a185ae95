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

A name no key matches is tried again as other tools write it (:class:`PathKeys`, the rule of
:mod:`visionlens_jlab.records.image_names`): ``./train/x.jpg`` and ``train\\x.jpg`` as
``train/x.jpg``, an absolute path, a URL or a path from a folder above the dataset's root
by its suffix. Each name found so becomes a key of its own (priority 5); one that fits two
samples is listed in ``_vl_ambiguous_keys``.
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb
import pyarrow as pa

from ...records.image_names import AMBIGUOUS, NameIndex, matched_by_suffix, normalize_name
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
    # image id 0 of "1.jpg") means the sample of the first name in the order above. Two
    # samples giving it at that rank (the base name of train/a.jpg and val/a.jpg) make it
    # ambiguous: no sample is guessed. The first and the last sample of the best rank
    # differ exactly then, which one pass finds.
    first, last = "(priority, sample_id)", "(-priority, sample_id)"
    cur.execute(
        "CREATE OR REPLACE TEMP TABLE _vl_image_keys AS "  # noqa: S608 - fixed text
        f"SELECT key, arg_min(sample_id, {first}) AS sample_id, "
        f"arg_min(width, {first}) AS width, arg_min(height, {first}) AS height, "
        f"MIN(priority) AS priority, arg_max(sample_id, {last}) AS last_id "
        f"FROM ({names}) GROUP BY key",
        params,
    )
    cur.execute(
        "CREATE OR REPLACE TEMP TABLE _vl_ambiguous_keys AS "
        "SELECT key FROM _vl_image_keys WHERE sample_id <> last_id; "
        "DELETE FROM _vl_image_keys WHERE sample_id <> last_id; "
        "ALTER TABLE _vl_image_keys DROP COLUMN last_id"
    )


class PathKeys:
    """Keys added to ``_vl_image_keys`` (made by :func:`create_image_keys` for the same
    ``dataset_id`` and ``split``) for names spelled as other tools write them."""

    def __init__(
        self, cur: duckdb.DuckDBPyConnection, dataset_id: int, split: str | None = None
    ) -> None:
        self._cur, self._dataset_id, self._split = cur, dataset_id, split
        self._index: NameIndex | None = None  # built at the first located name: it costs
        self._tried: set[str] = set()

    def add(self, refs: Iterable[object]) -> list[str]:
        """Give each of ``refs`` that no key matches the key it means when normalized, or
        else the sample its path means by its suffix; return the ambiguous ones (also
        listed in ``_vl_ambiguous_keys``)."""
        found: list[tuple[str, str | None, int | None]] = []  # (ref, its key, its sample)
        ambiguous: list[str] = []
        new = {r for r in refs if isinstance(r, str)} - self._tried
        self._tried |= new
        names = {ref: normalize_name(ref) for ref in new - set(self._keys(new))}
        keys = self._keys(set(names.values()))
        for ref, name in names.items():
            if name in keys:  # ./train/x.jpg: the key train/x.jpg, or its ambiguity
                if keys[name]:
                    ambiguous.append(ref)
                else:
                    found.append((ref, name, None))
            elif matched_by_suffix(name):
                sample = self._names().resolve(name)
                if sample == AMBIGUOUS:
                    ambiguous.append(ref)
                elif sample is not None:
                    found.append((ref, None, sample))
        if found:
            self._insert(found)
        if ambiguous:
            self._cur.executemany("INSERT INTO _vl_ambiguous_keys VALUES (?)",
                                  [[r] for r in ambiguous])  # fmt: skip
        return sorted(ambiguous)

    def _keys(self, names: set[str]) -> dict[str, bool]:
        """Which of ``names`` are keys already, each with whether it is ambiguous."""
        rows = self._cur.execute(
            "SELECT key, false FROM _vl_image_keys WHERE key IN (SELECT unnest($names)) "
            "UNION ALL SELECT key, true FROM _vl_ambiguous_keys "
            "WHERE key IN (SELECT unnest($names))",
            {"names": list(names)},
        ).fetchall()
        return dict(rows)

    def _names(self) -> NameIndex:
        if self._index is None:
            only = "" if self._split is None else " AND split = $split"
            params: dict[str, object] = {"dataset": self._dataset_id}
            if self._split is not None:
                params["split"] = self._split
            rows = self._cur.execute(
                "SELECT file_name, sample_id FROM samples "  # noqa: S608 - fixed text
                f"WHERE dataset_id = $dataset{only}",
                params,
            ).fetchall()
            self._index = NameIndex(rows)
        return self._index

    def _insert(self, found: list[tuple[str, str | None, int | None]]) -> None:
        """The refs' keys: a normalized name takes its key's sample (none: no key), a
        located one the sample it was resolved to."""
        refs, names, samples = zip(*found, strict=True)
        table = pa.table({"ref": pa.array(refs, pa.string()), "name": pa.array(names, pa.string()),
                          "sample": pa.array(samples, pa.int64())})  # fmt: skip
        self._cur.register("_vl_path_refs", table)
        self._cur.execute(
            """
            INSERT INTO _vl_image_keys
            SELECT r.ref, s.sample_id, s.width, s.height, 5
              FROM _vl_path_refs r
              LEFT JOIN _vl_image_keys k ON k.key = r.name
              JOIN samples s ON s.sample_id = coalesce(r.sample, k.sample_id)
            """
        )
        self._cur.unregister("_vl_path_refs")
