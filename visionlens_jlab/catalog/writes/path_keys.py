"""Keys for names spelled as other tools write them, found for a whole batch in SQL.

A name no key of ``_vl_image_keys`` (:mod:`.image_keys`) matches is tried again by the rule
of :mod:`visionlens_jlab.records.image_names`: normalized (``./train/x.jpg``,
``train\\x.jpg``: ``train/x.jpg``) it may be a key; an absolute path, a URL or a name with
folders (``/data/coco/train/x.jpg``) means the sample whose whole file name its path ends
with, the longest such file name first, else the sample sharing the longest path suffix with
it. Each name found so becomes a key of its own (priority 5); one that fits two samples is
listed in ``_vl_ambiguous_keys``.

The rule is :class:`~visionlens_jlab.records.image_names.NameIndex`'s, applied here to a
batch at once (a million FiftyOne paths one by one took 17 s of Python): each name's path
suffixes are joined to the dataset's normalized file names, so the longest whole fit is a
hash join and a ``max``, and the rare rest (no file name fits whole) a join on the base name.
Only URLs, whose paths are decoded as Python's ``urllib`` does, are split in Python, one
call each.
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb
import pyarrow as pa

from ...records.image_names import AMBIGUOUS, URL_PATTERN, path_parts


def _normalized(column: str) -> str:
    """SQL for :func:`~visionlens_jlab.records.image_names.normalize_name` of ``column``
    (not a URL): ``/`` for ``\\``, no leading ``./`` and ``/./`` as ``/`` (replaced left to
    right, as Python's ``str.replace``)."""
    return rf"replace(regexp_replace(replace({column}, '\', '/'), '^(\./)+', ''), '/./', '/')"


def _parts(column: str) -> str:
    """SQL for the path components of a normalized name that is not a URL."""
    return f"list_filter(string_split({column}, '/'), lambda p: p <> '' AND p <> '.')"


# the length of the shared suffix of two lists of components a and b, the first position
# from the end where they differ, all of the shorter list when none does
_COMMON_SUFFIX = """coalesce(list_position(list_transform(range(1, least(len(a), len(b)) + 1),
                                  lambda i: a[-i] = b[-i]), false) - 1, least(len(a), len(b)))"""

_URLS = "_vl_path_urls"  # a batch's URLs (normalized names) with their components


class PathKeys:
    """Keys added to ``_vl_image_keys`` (made by :func:`.image_keys.create_image_keys` for
    the same ``dataset_id`` and ``split``) for names spelled as other tools write them."""

    def __init__(
        self, cur: duckdb.DuckDBPyConnection, dataset_id: int, split: str | None = None
    ) -> None:
        self._cur, self._dataset_id, self._split = cur, dataset_id, split
        self._longest = -1  # the most components of a file name; -1: not indexed yet
        self._tried: set[str] = set()

    def add(self, refs: Iterable[object]) -> list[str]:
        """Give each of ``refs`` that no key matches the key it means when normalized, or
        else the sample its path means by its suffix; return the ambiguous ones (also
        listed in ``_vl_ambiguous_keys``)."""
        new = {r for r in refs if isinstance(r, str)} - self._tried
        if not new:
            return []
        self._tried |= new
        cur = self._cur
        cur.register("_vl_path_batch", pa.table({"ref": pa.array(list(new), pa.string())}))
        # the names no key matches yet, normalized; what a normalized name is decides after.
        # The keys are found by IN, which hashes the batch's few names, not all the keys
        cur.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE _vl_path_names AS
            SELECT ref, CASE WHEN regexp_matches(ref, $url) THEN ref
                             ELSE {_normalized("ref")} END AS name
              FROM _vl_path_batch
            """,  # noqa: S608 - fixed text
            {"url": URL_PATTERN},
        )
        cur.execute(
            """
            CREATE OR REPLACE TEMP TABLE _vl_path_known AS
            SELECT key, bool_or(ambiguous) AS ambiguous
              FROM (SELECT key, false AS ambiguous FROM _vl_image_keys
                     WHERE key IN (SELECT ref FROM _vl_path_names
                                   UNION ALL SELECT name FROM _vl_path_names)
                    UNION ALL SELECT key, true FROM _vl_ambiguous_keys
                     WHERE key IN (SELECT ref FROM _vl_path_names
                                   UNION ALL SELECT name FROM _vl_path_names))
             GROUP BY key;
            CREATE OR REPLACE TEMP TABLE _vl_path_refs AS
            SELECT n.ref, n.name, coalesce(k.ambiguous, false) AS ambiguous,
                   k.key IS NOT NULL AS keyed
              FROM _vl_path_names n LEFT JOIN _vl_path_known k ON k.key = n.name
             WHERE n.ref NOT IN (SELECT key FROM _vl_path_known);
            DROP TABLE _vl_path_names; DROP TABLE _vl_path_known
            """
        )
        cur.unregister("_vl_path_batch")
        # located names (with a "/": matched_by_suffix) the keys do not know, as components.
        # NameIndex.resolve normalizes the normalized name again, which is not always the
        # same (a second "/./" goes: "gs:/.//b/x.jpg" is then a URL), so here too
        cur.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE _vl_path_unknown AS
            SELECT ref, CASE WHEN regexp_matches(name, $url) THEN name
                             ELSE {_normalized("name")} END AS name
              FROM _vl_path_refs WHERE NOT keyed AND contains(name, '/')
            """,  # noqa: S608 - fixed text
            {"url": URL_PATTERN},
        )
        self._components("SELECT name FROM _vl_path_unknown")
        cur.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE _vl_path_located AS
            SELECT r.ref, CASE WHEN u.name IS NULL THEN {_parts("r.name")} ELSE u.parts END
                   AS parts
              FROM _vl_path_unknown r LEFT JOIN {_URLS} u ON u.name = r.name;
            DROP TABLE _vl_path_unknown
            """  # noqa: S608 - fixed text
        )
        cur.execute(f"DROP TABLE {_URLS}")
        self._resolve()
        cur.execute(
            """
            INSERT INTO _vl_image_keys
            SELECT r.ref, k.sample_id, k.width, k.height, 5 FROM _vl_path_refs r
              JOIN _vl_image_keys k ON k.key = r.name
             WHERE r.keyed AND NOT r.ambiguous
            UNION ALL SELECT ref, sample, width, height, 5 FROM _vl_path_resolved
             WHERE sample <> $ambiguous
            """,
            {"ambiguous": AMBIGUOUS},
        )
        ambiguous = [
            r
            for (r,) in cur.execute(
                "SELECT ref FROM _vl_path_refs WHERE ambiguous UNION ALL "
                "SELECT ref FROM _vl_path_resolved WHERE sample = $ambiguous",
                {"ambiguous": AMBIGUOUS},
            ).fetchall()
        ]
        if ambiguous:
            cur.execute("INSERT INTO _vl_ambiguous_keys SELECT unnest($refs)", {"refs": ambiguous})
        cur.execute(
            "DROP TABLE _vl_path_refs; DROP TABLE _vl_path_located; DROP TABLE _vl_path_resolved"
        )
        return sorted(ambiguous)

    def _components(self, names_sql: str, params: dict[str, object] | None = None) -> None:
        """Make ``_vl_path_urls`` (name, parts): the components of the URLs among the
        normalized names ``names_sql`` selects (with ``params``), split by Python's rule."""
        urls = [
            n
            for (n,) in self._cur.execute(
                f"SELECT DISTINCT name FROM ({names_sql}) WHERE regexp_matches(name, $url)",  # noqa: S608 - fixed text
                {**(params or {}), "url": URL_PATTERN},
            ).fetchall()
        ]
        table = pa.table(
            {
                "name": pa.array(urls, pa.string()),
                "parts": pa.array([path_parts(u) for u in urls], pa.list_(pa.string())),
            }
        )
        self._cur.register("_vl_path_url_rows", table)
        self._cur.execute(f"CREATE OR REPLACE TEMP TABLE {_URLS} AS FROM _vl_path_url_rows")
        self._cur.unregister("_vl_path_url_rows")

    def _resolve(self) -> None:
        """Make ``_vl_path_resolved`` (ref, sample): the sample each of
        ``_vl_path_located`` means, :data:`AMBIGUOUS` for two; a name no file name has the
        base name of is not there."""
        cur = self._cur
        (located,) = cur.execute("SELECT count(*) FROM _vl_path_located").fetchone() or (0,)
        if not located:  # the file names are indexed at the first located name: it costs
            cur.execute(
                "CREATE OR REPLACE TEMP TABLE _vl_path_resolved "
                "(ref VARCHAR, sample BIGINT, width INTEGER, height INTEGER)"
            )
            return
        self._index()
        # the longest whole file name a name's path ends with: one per length, so the
        # longest decides alone (its sample AMBIGUOUS when two samples share the name)
        cur.execute(
            """
            CREATE OR REPLACE TEMP TABLE _vl_path_resolved AS
            SELECT l.ref, arg_max(p.sample, p.n) AS sample, arg_max(p.width, p.n) AS width,
                   arg_max(p.height, p.n) AS height
              FROM (SELECT ref, array_to_string(parts[-k:], '/') AS suffix
                      FROM (SELECT ref, parts, unnest(range(1, least(len(parts), $longest) + 1))
                                   AS k FROM _vl_path_located)) l
              JOIN _vl_name_paths p ON p.path = l.suffix
             GROUP BY l.ref
            """,
            {"longest": max(self._longest, 0)},
        )
        # none fits whole (a layout of another machine): the longest shared suffix among
        # the file names of its base name; two samples there make it ambiguous
        cur.execute(
            f"""
            INSERT INTO _vl_path_resolved
            SELECT ref, CASE WHEN min(sample) = max(sample) THEN min(sample)
                             ELSE $ambiguous END, min(width), min(height)
              FROM (SELECT ref, sample, width, height, score,
                           max(score) OVER (PARTITION BY ref) AS top
                      FROM (SELECT l.ref, p.sample, p.width, p.height, {_COMMON_SUFFIX} AS score
                              FROM (SELECT ref, parts AS a FROM _vl_path_located l
                                     WHERE NOT EXISTS (SELECT 1 FROM _vl_path_resolved r
                                                        WHERE r.ref = l.ref)) l
                              JOIN (SELECT base, sample, width, height, parts AS b
                                      FROM _vl_name_paths) p
                                ON p.base = l.a[-1]))
             WHERE score = top
             GROUP BY ref
            """,  # noqa: S608 - fixed text
            {"ambiguous": AMBIGUOUS},
        )

    def _index(self) -> None:
        """Make ``_vl_name_paths`` (path, base, n, parts, sample, width, height) once: the
        dataset's file names as components (``path`` joined by ``/``), each with its sample
        (and its size: the keys made need no look-up in ``samples``), or :data:`AMBIGUOUS`
        where two samples have it."""
        if self._longest >= 0:
            return
        only = "" if self._split is None else " AND split = $split"
        params: dict[str, object] = {"dataset": self._dataset_id}
        if self._split is not None:
            params["split"] = self._split
        names = (
            "SELECT sample_id, width, height, CASE WHEN regexp_matches(file_name, $url) THEN file_name "  # noqa: S608 - fixed text
            f"ELSE {_normalized('file_name')} END AS name "
            f"FROM samples WHERE dataset_id = $dataset{only}"
        )
        self._components(names, params)
        self._cur.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE _vl_name_paths AS
            SELECT array_to_string(parts, '/') AS path, any_value(parts[-1]) AS base,
                   any_value(len(parts)) AS n, any_value(parts) AS parts,
                   CASE WHEN min(sample_id) = max(sample_id) THEN min(sample_id)
                        ELSE $ambiguous END AS sample,
                   any_value(width) AS width, any_value(height) AS height
              FROM (SELECT n.sample_id, n.width, n.height,
                           CASE WHEN u.name IS NULL THEN {_parts("n.name")} ELSE u.parts END
                           AS parts
                      FROM ({names}) n LEFT JOIN {_URLS} u ON u.name = n.name)
             WHERE len(parts) > 0
             GROUP BY path
            """,  # noqa: S608 - fixed text
            {**params, "url": URL_PATTERN, "ambiguous": AMBIGUOUS},
        )
        self._cur.execute(f"DROP TABLE {_URLS}")
        found = self._cur.execute("SELECT coalesce(max(n), 0) FROM _vl_name_paths").fetchone()
        self._longest = int(found[0]) if found else 0
