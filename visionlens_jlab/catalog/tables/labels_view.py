"""Reads of a saved version's labels: the same queries, over the labels at that version.

A request that names a version (``version=N`` on the samples page, counts, facets, one
sample and the patches view's objects) runs on its own cursor, where temporary views shadow
the relations a read of labels goes through: ``annotations`` (the objects at the
version, :func:`.labels_at.objects_at`), ``object_tags`` (their tags then),
``box_summaries`` (the summaries of the samples an operation changed since the version
computed again from those objects, the others' rows as they are), ``samples`` (their
rows as they are, with the tags they had then, :mod:`.sample_tag_log`) and
``classifications`` (the image labels then, :mod:`.classification_log`). Every compiled filter,
sort, facet and box read then answers for the version without a second query path; the
planner sees the position (:mod:`..store.labels_position`) and plans the SQL route alone,
since no in-memory index holds a version's labels.

A saved version never changes, so the fold is done once: the first browse of a version
writes the relations as they are in its views into the version's copies (steps 14, 15 and
27, :mod:`..store.edit_tables`: the samples' tags only, of those that had any; one derived write, all or nothing, through the single writer;
at most :data:`KEPT_COPIES` versions per dataset), and every browse then shadows them with
plain reads of those rows, whatever the number of edits since. A read-only catalog, which
cannot write a copy, reads the views of the fold itself; the copies are the fold's rows,
so both answer alike.

Samples (but their tags) are not versioned (edits never change them): they read as they
are now. Evaluations judged the current labels; a version's read does
not show their statuses (:func:`check_readable`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any

import duckdb

from ..base.errors import CatalogError
from ..store.catalog import Catalog
from ..store.edit_tables import VERSION_CLASSIFICATIONS, VERSION_COPIES, VERSION_SAMPLE_TAGS
from ..store.labels_position import reading_position
from .box_summaries import summary_aggregates
from .classification_log import classifications_at, classifications_since
from .labels_at import changed_since, objects_at, version_position
from .sample_tag_log import sample_tags_since, samples_at

SHADOWED = ("annotations", "object_tags", "box_summaries")
"""The relations a version's read sees at the version (their copies: ``VERSION_COPIES``);
``samples`` is shadowed too, its tags from ``VERSION_SAMPLE_TAGS``, and ``classifications``
from ``VERSION_CLASSIFICATIONS``."""

KEPT_COPIES = 2
"""Versions of a dataset whose copies are kept: copying another drops the oldest copy (each
copy is as large as the dataset's objects and box summaries)."""


def parse_version(value: Any) -> int | None:
    """A request's ``version``: a version number, or None for the current labels (absent,
    empty or ``current``); a :class:`CatalogError` (400) otherwise."""
    if value is None or value in ("", "current"):
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    if isinstance(value, str) and value.isdigit() and int(value) > 0:
        return int(value)
    raise CatalogError(f"'version' must be a version number or 'current', got {value!r}")


def check_readable(
    version: int | None, eval_status: str | None, option: str = "'eval_status'"
) -> None:
    """Refuse what a version's read cannot answer: evaluation statuses, which judged the
    current labels; ``option``: how the request asked for them (named in the message)."""
    if version is not None and eval_status:
        raise CatalogError(
            "evaluation statuses are of the current labels: browse version "
            f"{version} without {option}, or go back to the current labels"
        )


@contextmanager
def labels_shadowed(
    catalog: Catalog, cur: duckdb.DuckDBPyConnection, dataset: str, version: int | None
) -> Iterator[int | None]:
    """Within the block, reads on ``cur`` see the labels of ``dataset`` at ``version``
    (None: the current labels, nothing changes); yields the version's log position (None
    for the current labels) for the caller to pass on explicitly: the context itself is
    left as it is (the patches view's reads name their version, :mod:`..reads.object_pages`).
    An unknown version is a 404 (:class:`~..base.errors.NotFoundError`) naming how to list
    them."""
    if version is None:
        yield None
        return
    dataset_id = catalog.dataset_id(cur, dataset)
    position = version_position(cur, dataset_id, version)
    main = _main(cur)
    if _copied(cur, dataset_id, version) or _copy(catalog, dataset_id, version, position):
        statements = _copy_views(dataset_id, version, main)
    else:  # a read-only catalog: the fold's own views
        statements = _shadows(cur, dataset_id, position, main)
    for statement in statements:
        cur.execute(statement)
    try:
        yield position
    finally:
        _drop_shadows(cur)


@contextmanager
def labels_at(
    catalog: Catalog, cur: duckdb.DuckDBPyConnection, dataset: str, version: int | None
) -> Iterator[None]:
    """:func:`labels_shadowed`, and the plans of this context (the samples routes' reads)
    see the version's position (:mod:`..store.labels_position`)."""
    with labels_shadowed(catalog, cur, dataset, version) as position:
        if position is None:
            yield
            return
        with reading_position(position):
            yield


def _main(cur: duckdb.DuckDBPyConnection) -> str:
    """The qualified schema of the catalog's tables (the views shadow their plain names)."""
    ((database,),) = cur.execute("SELECT current_database()").fetchall()
    return '"' + str(database).replace('"', '""') + '".main'


def _drop_shadows(cur: duckdb.DuckDBPyConnection) -> None:
    for name in (*SHADOWED, "samples", "classifications"):
        cur.execute(f"DROP VIEW IF EXISTS temp.main.{name}")
    for name in _FOLDS:
        cur.execute(f"DROP TABLE IF EXISTS temp.main.{name}")


def _copied(cur: duckdb.DuckDBPyConnection, dataset_id: int, version: int) -> bool:
    rows = cur.execute(
        "SELECT COUNT(*) FROM version_copies WHERE dataset_id = ? AND version = ?",
        [dataset_id, version],
    ).fetchall()
    return bool(rows[0][0])


def _copy(catalog: Catalog, dataset_id: int, version: int, position: int) -> bool:
    """Write the copies of ``version``'s labels (the fold's views, read once) in one derived
    write, dropping the oldest copy past :data:`KEPT_COPIES`; False on a read-only catalog.
    A concurrent browse that copied first wins: the copy is not written twice."""
    if catalog.read_only:
        return False
    with catalog.write_derived(dataset_id) as cur:  # no answer changes: a version's rows
        if _copied(cur, dataset_id, version):
            return True
        main = _main(cur)
        for statement in _shadows(cur, dataset_id, position, main):
            cur.execute(statement)
        try:
            for copy, shadow in zip(VERSION_COPIES, SHADOWED, strict=True):
                cur.execute(
                    f"INSERT INTO {main}.{copy} BY NAME "  # noqa: S608 - fixed names, integers
                    f"SELECT *, {int(version)} AS version FROM temp.main.{shadow} "
                    f"WHERE dataset_id = {int(dataset_id)}"
                )
            cur.execute(
                f"INSERT INTO {main}.{VERSION_SAMPLE_TAGS} "  # noqa: S608 - fixed names, integers
                f"SELECT dataset_id, sample_id, tags, {int(version)} FROM temp.main.samples "
                f"WHERE dataset_id = {int(dataset_id)} AND len(tags) > 0"
            )
            cur.execute(
                f"INSERT INTO {main}.{VERSION_CLASSIFICATIONS} BY NAME "  # noqa: S608 - fixed names, integers
                f"SELECT *, {int(version)} AS version FROM temp.main.classifications "
                f"WHERE dataset_id = {int(dataset_id)}"
            )
        finally:
            _drop_shadows(cur)
        when = datetime.now(timezone.utc).replace(tzinfo=None)
        cur.execute("INSERT INTO version_copies VALUES (?, ?, ?)", [dataset_id, version, when])
        dropped = cur.execute(
            "SELECT version FROM version_copies WHERE dataset_id = ? "
            "ORDER BY created_at DESC, version DESC OFFSET ?",
            [dataset_id, KEPT_COPIES],
        ).fetchall()
        for table in (*VERSION_COPIES, VERSION_SAMPLE_TAGS, VERSION_CLASSIFICATIONS,
                      "version_copies"):  # fmt: skip
            cur.execute(
                f"DELETE FROM {table} WHERE dataset_id = ? "  # noqa: S608 - fixed names
                "AND list_contains(?::INTEGER[], version)",
                [dataset_id, [r[0] for r in dropped]],
            )
    return True


def _copy_views(dataset_id: int, version: int, main: str) -> list[str]:
    """The statements shadowing each relation with its copy's rows of ``version``."""
    ds, number = int(dataset_id), int(version)
    return [
        *(
            f"CREATE OR REPLACE TEMP VIEW {shadow} AS "  # noqa: S608 - fixed names, integers
            f"SELECT * EXCLUDE (version) FROM {main}.{copy} "
            f"WHERE dataset_id = {ds} AND version = {number}"
            for copy, shadow in zip(VERSION_COPIES, SHADOWED, strict=True)
        ),
        # a sample without a row had no tags at the version
        f"""CREATE OR REPLACE TEMP VIEW samples AS
        SELECT s.* REPLACE (
            CASE WHEN s.dataset_id = {ds} THEN COALESCE(c.tags, []::VARCHAR[]) ELSE s.tags END
            AS tags)
        FROM {main}.samples s LEFT JOIN {main}.{VERSION_SAMPLE_TAGS} c
          ON c.dataset_id = s.dataset_id AND c.sample_id = s.sample_id AND c.version = {number}""",  # noqa: S608 - fixed names, integers
        f"CREATE OR REPLACE TEMP VIEW classifications AS "  # noqa: S608 - fixed names, integers
        f"SELECT * EXCLUDE (version) FROM {main}.{VERSION_CLASSIFICATIONS} "
        f"WHERE dataset_id = {ds} AND version = {number}",
    ]


_FOLDS = ("_vl_changed", "_vl_touched", "_vl_sample_tags", "_vl_classifications")
"""The temporary tables a version's read computes once: the fold of the log since the
version, the samples it touched, the samples' tags and the image labels it changed. The touched samples' box
summaries stay a view:
computed only by the reads that name ``box_summaries`` (a class filter, a box count)."""


def _shadows(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, position: int, main: str
) -> list[str]:
    """The statements making the temporary tables and views of a version's read, in order;
    ``main``: the qualified schema of the tables. The fold is read from the log once per
    request (temporary tables), not at every reference to the views."""
    ds = int(dataset_id)
    objects = objects_at(cur, ds, position, f"{main}.annotations", "temp.main._vl_changed")
    return [
        f"CREATE OR REPLACE TEMP TABLE _vl_changed AS {changed_since(ds, position)}",
        "CREATE OR REPLACE TEMP TABLE _vl_touched AS "  # noqa: S608 - integers only
        f"SELECT DISTINCT sample_id FROM {main}.edit_ops "
        f"WHERE dataset_id = {ds} AND seq > {int(position)}",
        f"CREATE OR REPLACE TEMP TABLE _vl_sample_tags AS {sample_tags_since(ds, position)}",
        "CREATE OR REPLACE TEMP TABLE _vl_classifications AS "
        + classifications_since(ds, position),
        "CREATE OR REPLACE TEMP VIEW classifications AS SELECT * FROM "  # noqa: S608 - the fold's SQL
        + classifications_at(
            ds, position, f"{main}.classifications", "temp.main._vl_classifications"
        ),
        f"CREATE OR REPLACE TEMP VIEW annotations AS {objects}",
        "CREATE OR REPLACE TEMP VIEW samples AS SELECT * FROM "  # noqa: S608 - the fold's SQL
        + samples_at(ds, position, f"{main}.samples", "temp.main._vl_sample_tags"),
        f"""CREATE OR REPLACE TEMP VIEW object_tags AS
        SELECT * FROM {main}.object_tags
        WHERE NOT (dataset_id = {ds} AND ann_id IN (SELECT ann_id FROM temp.main._vl_changed))
        UNION ALL
        SELECT {ds}, ann_id, tags FROM (
            SELECT ann_id, json_transform(then_state -> 'tags', '["VARCHAR"]') AS tags
            FROM temp.main._vl_changed WHERE then_state IS NOT NULL)
        WHERE len(tags) > 0""",  # noqa: S608 - integers and the catalog's own names
        f"""CREATE OR REPLACE TEMP VIEW box_summaries AS
        SELECT * FROM {main}.box_summaries
        WHERE NOT (dataset_id = {ds} AND sample_id IN (SELECT sample_id FROM temp.main._vl_touched))
        UNION ALL
        SELECT {ds}, a.sample_id, a.source, {summary_aggregates()}
        FROM temp.main.annotations a JOIN {main}.summary_classes c
          ON c.dataset_id = {ds} AND c.label = a.label
        WHERE a.sample_id IN (SELECT sample_id FROM temp.main._vl_touched)
        GROUP BY a.sample_id, a.source""",  # noqa: S608 - integers and the catalog's own names
    ]
