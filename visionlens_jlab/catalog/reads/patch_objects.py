"""A patch selection's samples and one object's box (the patches view's other reads).

Both read the objects of a saved ``version`` when the request names one: the relations
:func:`..tables.labels_view.labels_shadowed` shadows on the request's cursor, the version a
parameter of the call like the patches pages' (:mod:`.object_pages`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..query.filters import FilterError
from ..store.catalog import Catalog, NotFoundError
from ..tables.labels_view import labels_shadowed


def patch_samples(
    catalog: Catalog, dataset: str, ann_ids: Sequence[int], version: int | None = None
) -> list[int]:
    """The samples (ids, ascending, each once) of the objects ``ann_ids`` of ``dataset``
    (at saved ``version``: of its objects): where a patch selection goes in the shared
    selection. Ids of no object are ignored."""
    ids = _checked_ids(ann_ids)
    with catalog.cursor() as cur, labels_shadowed(catalog, cur, dataset, version):
        dataset_id = catalog.dataset_id(cur, dataset)
        rows = cur.execute(
            "SELECT DISTINCT sample_id FROM annotations WHERE dataset_id = ? "
            "AND ann_id IN (SELECT unnest(?::BIGINT[])) ORDER BY sample_id",
            [dataset_id, ids],
        ).fetchall()
    return [int(r[0]) for r in rows]


def patch_box(
    catalog: Catalog, dataset: str, ann_id: int, version: int | None = None
) -> tuple[int, float, float, float, float]:
    """``(sample_id, x, y, w, h)`` of one object of ``dataset`` (at saved ``version``: where
    it was then; NotFoundError when it has no such object)."""
    with catalog.cursor() as cur, labels_shadowed(catalog, cur, dataset, version):
        dataset_id = catalog.dataset_id(cur, dataset)
        row = cur.execute(
            "SELECT sample_id, x, y, w, h FROM annotations WHERE dataset_id = ? AND ann_id = ?",
            [dataset_id, ann_id],
        ).fetchone()
    if row is None:
        raise NotFoundError(f"no object {ann_id} in dataset {dataset!r}")
    return int(row[0]), float(row[1]), float(row[2]), float(row[3]), float(row[4])


def _checked_ids(ids: Any) -> list[int]:
    if not isinstance(ids, list | tuple) or any(
        not isinstance(i, int) or isinstance(i, bool) for i in ids
    ):
        raise FilterError("'ann_ids' must be a list of integer object ids")
    return [int(i) for i in ids]
