"""The blind-spot finder's results and the user's reviews of its findings, in the catalog.

Tables (of schema 1, declared by :mod:`.manifest`; removed with their dataset):

* ``blindspot_results``: the last result per model (JSON, as :func:`~.api.find_blind_spots`
  returns it);
* ``blindspot_reviews``: the user's verdicts on findings (the newest verdict of a finding
  wins).

Every write goes through the functions here.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ..catalog.reads.result_basis import basis, present_ids, staleness
from ..catalog.store.catalog import NotFoundError
from ..catalog.store.schema import GROUND_TRUTH

if TYPE_CHECKING:
    from ..catalog import Catalog

RESULTS_DDL = (
    "CREATE TABLE IF NOT EXISTS blindspot_results (dataset_id INTEGER "
    "NOT NULL, model VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL, result JSON NOT NULL)"
)
REVIEWS_DDL = (
    "CREATE TABLE IF NOT EXISTS blindspot_reviews (dataset_id INTEGER "
    "NOT NULL, finding_id VARCHAR NOT NULL, verdict VARCHAR NOT NULL, "
    "created_at TIMESTAMP NOT NULL)"
)
VERDICTS = ("confirmed", "rejected")


def computed_basis(catalog: Catalog, dataset: str, model: str) -> tuple[int, dict[str, Any]]:
    """The dataset's id and what a run of ``model`` is about to read: its samples and the
    ground truth's and the model's labels (:func:`~..catalog.reads.result_basis.basis`), to
    store with the result. Taken before the run, so a write during it makes the result
    stale rather than unnoticed."""
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        return dataset_id, basis(cur, dataset_id, [GROUND_TRUTH, model])


def save_result(
    catalog: Catalog,
    dataset_id: int,
    model: str,
    result: dict[str, Any],
    computed_over: dict[str, Any],
) -> None:
    """Store the last blind-spot result of ``model`` (replacing the previous one) with what
    it was computed over (:func:`computed_basis`; kept, never answered)."""
    created = datetime.now(timezone.utc).replace(tzinfo=None)
    with catalog.write(dataset_id, keeps_derived=True) as cur:  # not samples nor boxes
        cur.execute(
            "DELETE FROM blindspot_results WHERE dataset_id = ? AND model = ?", [dataset_id, model]
        )
        cur.execute(
            "INSERT INTO blindspot_results VALUES (?, ?, ?, ?)",
            [dataset_id, model, created, json.dumps({**result, "basis": computed_over})],
        )


def last_result(catalog: Catalog, dataset: str, model: str | None = None) -> dict[str, Any] | None:
    """The last stored result (of ``model``, or of any model), with the reviews merged in
    and whether it is ``stale`` (samples or the labels it read changed since:
    :mod:`~..catalog.reads.result_basis`); None while none was computed (NotFoundError: no
    such dataset). Samples deleted since are left out of the findings' ``evidence``
    (``deleted_members`` counts them); the findings' numbers stay those computed."""
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        sql = "SELECT result, created_at FROM blindspot_results WHERE dataset_id = ?"
        args: list[Any] = [dataset_id]
        if model is not None:
            sql += " AND model = ?"
            args.append(model)
        rows = cur.execute(sql + " ORDER BY created_at DESC LIMIT 1", args).fetchall()
        reviews = dict(
            cur.execute(
                "SELECT finding_id, arg_max(verdict, created_at) FROM blindspot_reviews "
                "WHERE dataset_id = ? GROUP BY finding_id",
                [dataset_id],
            ).fetchall()
        )
        if not rows:
            return None
        result: dict[str, Any] = json.loads(rows[0][0])
        result.update(staleness(cur, dataset_id, result.pop("basis", None), rows[0][1]))
        named = [s for f in result.get("findings", []) for s in f.get("evidence", [])]
        present = present_ids(cur, dataset_id, named)
    result["created_at"] = rows[0][1].isoformat()
    result["deleted_members"] = len(set(named) - present)
    for finding in result.get("findings", []):
        finding["review"] = reviews.get(finding["id"])
        if "evidence" in finding:
            finding["evidence"] = [s for s in finding["evidence"] if s in present]
    return result


def save_review(catalog: Catalog, dataset: str, finding_id: str, verdict: str) -> None:
    """Record a user's verdict on a finding (the newest verdict wins).

    :class:`NotFoundError` (HTTP 404) unless a stored result of the dataset holds a finding
    with that id: a verdict on nothing would be kept forever and merged into nothing.
    """
    if verdict not in VERDICTS:
        raise ValueError(f"verdict must be one of {list(VERDICTS)}")
    created = datetime.now(timezone.utc).replace(tzinfo=None)
    with catalog.write() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        catalog.scope_write(dataset_id, keeps_derived=True)  # not samples nor boxes
        stored = cur.execute(
            "SELECT result FROM blindspot_results WHERE dataset_id = ?", [dataset_id]
        ).fetchall()
        if not any(
            finding.get("id") == finding_id
            for (result,) in stored
            for finding in json.loads(result).get("findings", [])
        ):
            raise NotFoundError(f"no blind-spot finding {finding_id!r} on dataset {dataset!r}")
        cur.execute(
            "INSERT INTO blindspot_reviews VALUES (?, ?, ?, ?)",
            [dataset_id, finding_id, verdict, created],
        )
