"""Reads of a saved version's labels: the same queries, over the labels at that version.

A request that names a version (``version=N`` on the samples page, counts, facets, one
sample and the patches view's objects) runs on its own cursor, where temporary views shadow the three relations a read of
labels goes through: ``annotations`` (the objects at the version, :func:`.labels_at.objects_at`),
``object_tags`` (their tags then) and ``box_summaries`` (the summaries of the samples an
operation changed since the version computed again from those objects, the others' rows as
they are). Every compiled filter, sort, facet and box read then answers for the version
without a second query path; the planner sees the position
(:mod:`..store.labels_position`) and plans the SQL route alone, since no in-memory index
holds a version's labels. The fold reads only the operations logged after the version, so
a version's page costs the SQL route's cost plus that fold.

Samples, their tags and image-level labels are not versioned (edits never change them):
they read as they are now. Evaluations judged the current labels; a version's read does
not show their statuses (:func:`check_readable`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import duckdb

from ..base.errors import CatalogError
from ..store.catalog import Catalog
from ..store.labels_position import reading_position
from .box_summaries import summary_aggregates
from .labels_at import changed_since, objects_at, version_position

SHADOWED = ("annotations", "object_tags", "box_summaries")
"""The relations a version's read sees at the version."""


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
def labels_at(
    catalog: Catalog, cur: duckdb.DuckDBPyConnection, dataset: str, version: int | None
) -> Iterator[None]:
    """Within the block, reads on ``cur`` (and the plans of this context) see the labels
    of ``dataset`` at ``version``; None: the current labels, nothing changes. An unknown
    version is a 404 (:class:`~..base.errors.NotFoundError`) naming how to list them."""
    if version is None:
        yield
        return
    dataset_id = catalog.dataset_id(cur, dataset)
    position = version_position(cur, dataset_id, version)
    ((database,),) = cur.execute("SELECT current_database()").fetchall()
    main = '"' + str(database).replace('"', '""') + '".main'
    for statement in _shadows(cur, dataset_id, position, main):
        cur.execute(statement)
    try:
        with reading_position(position):
            yield
    finally:
        for name in SHADOWED:
            cur.execute(f"DROP VIEW IF EXISTS temp.main.{name}")
        for name in _FOLDS:
            cur.execute(f"DROP TABLE IF EXISTS temp.main.{name}")


_FOLDS = ("_vl_changed", "_vl_touched")
"""The temporary tables a version's read computes once: the fold of the log since the
version and the samples it touched. The touched samples' box summaries stay a view:
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
        f"CREATE OR REPLACE TEMP VIEW annotations AS {objects}",
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
