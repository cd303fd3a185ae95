"""Where selections are kept: one record per run and one row per chosen sample.

* ``selections`` (migration step 19): the run's id (per catalog), dataset, when, strategy
  words and weights, filter JSON, embedding space, seed, count asked and chosen, the tag
  written and the seconds it took.
* ``selection_rows`` (step 19): per chosen sample its rank (0: chosen first), its total
  score and its per-strategy scores (``{word: scaled weighted gain}``; they sum to the
  total: why it was chosen).

The tables and their step are declared in the feature's manifest (:mod:`.manifest`).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import duckdb
import numpy as np
import orjson
import pyarrow as pa

from ..catalog import NotFoundError

if TYPE_CHECKING:
    from ..catalog import Catalog

SELECTIONS_DDL = """
CREATE TABLE IF NOT EXISTS selections (
    selection_id INTEGER NOT NULL,   -- unique in the catalog
    dataset_id INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    strategies JSON NOT NULL,        -- [{"name": "diversity", "weight": 1.0}, ...]
    filter JSON NOT NULL,            -- the request's filter as it came
    options JSON NOT NULL,           -- exclusions, version, balance field, models...
    space VARCHAR,                   -- the embedding space read (none: no vector strategy)
    seed BIGINT NOT NULL,
    count BIGINT NOT NULL,           -- asked for
    chosen BIGINT NOT NULL,          -- chosen (fewer when the candidates ran out)
    tag VARCHAR NOT NULL,
    seconds DOUBLE NOT NULL
)
"""
ROWS_DDL = """
CREATE TABLE IF NOT EXISTS selection_rows (
    dataset_id INTEGER NOT NULL,
    selection_id INTEGER NOT NULL,
    sample_id BIGINT NOT NULL,
    rank INTEGER NOT NULL,           -- 0: chosen first
    score DOUBLE NOT NULL,           -- the sum of the per-strategy scores
    scores DOUBLE[] NOT NULL         -- per strategy, in the record's strategies' order
)
"""
TABLES = ("selections", "selection_rows")


def create_tables(cur: duckdb.DuckDBPyConnection) -> None:
    """Migration step 19: the selection tables."""
    cur.execute(SELECTIONS_DDL)
    cur.execute(ROWS_DDL)


def next_id(cur: duckdb.DuckDBPyConnection) -> int:
    """The next selection id of the catalog."""
    ((last,),) = cur.execute("SELECT max(selection_id) FROM selections").fetchall()
    return int(last or 0) + 1


def store_selection(
    cur: duckdb.DuckDBPyConnection,
    dataset_id: int,
    record: dict[str, Any],
    sample_ids: np.ndarray,
    contributions: np.ndarray,
) -> None:
    """Write ``record`` (keys as :func:`read_selection` answers them) and its chosen rows,
    inside the caller's write transaction."""
    cur.execute(
        "INSERT INTO selections VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            record["id"],
            dataset_id,
            record["created"],
            orjson.dumps(record["strategies"]).decode(),
            orjson.dumps(record["filter"]).decode(),
            orjson.dumps(record["options"]).decode(),
            record["space"],
            record["seed"],
            record["count"],
            len(sample_ids),
            record["tag"],
            record["seconds"],
        ],  # fmt: skip
    )
    if not len(sample_ids):
        return
    rows = pa.table(
        {
            "sample_id": pa.array(np.asarray(sample_ids, dtype=np.int64)),
            "rank": pa.array(np.arange(len(sample_ids), dtype=np.int32)),
            "score": pa.array(contributions.sum(axis=1).astype(np.float64)),
            "scores": pa.array(
                [list(map(float, r)) for r in contributions], pa.list_(pa.float64())
            ),
        }
    )
    cur.register("_vl_selection_rows", rows)
    try:
        cur.execute(
            "INSERT INTO selection_rows SELECT ?, ?, sample_id, rank, score, scores "
            "FROM _vl_selection_rows",
            [dataset_id, record["id"]],
        )
    finally:
        cur.unregister("_vl_selection_rows")


def _record(row: tuple[Any, ...]) -> dict[str, Any]:
    (sid, created, strategies, flt, options, space, seed, count, chosen, tag, seconds) = row
    return {
        "id": int(sid), "created": created.replace(tzinfo=timezone.utc).isoformat(),
        "strategies": orjson.loads(strategies), "filter": orjson.loads(flt),
        "options": orjson.loads(options), "space": space, "seed": int(seed),
        "count": int(count), "chosen": int(chosen), "tag": tag, "seconds": float(seconds),
    }  # fmt: skip


_COLUMNS = (
    "selection_id, created_at, strategies, filter, options, space, seed, count, chosen, "
    "tag, seconds"
)


def list_selections(catalog: Catalog, dataset: str) -> list[dict[str, Any]]:
    """The dataset's selections, newest first (without their rows)."""
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        rows = cur.execute(
            f"SELECT {_COLUMNS} FROM selections WHERE dataset_id = ? "  # noqa: S608 - fixed columns
            "ORDER BY selection_id DESC",
            [dataset_id],
        ).fetchall()
    return [{"dataset": dataset, **_record(r)} for r in rows]


def read_selection(catalog: Catalog, dataset: str, selection_id: int) -> dict[str, Any]:
    """One selection with its chosen rows (``rows``: sample_id, rank, score, scores by
    strategy word), in rank order; :class:`NotFoundError` if the dataset has none of that id."""
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        found = cur.execute(
            f"SELECT {_COLUMNS} FROM selections WHERE dataset_id = ? AND selection_id = ?",  # noqa: S608 - fixed columns
            [dataset_id, selection_id],
        ).fetchall()
        if not found:
            raise NotFoundError(f"no selection {selection_id} on dataset {dataset!r}")
        rows = cur.execute(
            "SELECT sample_id, rank, score, scores FROM selection_rows "
            "WHERE dataset_id = ? AND selection_id = ? ORDER BY rank",
            [dataset_id, selection_id],
        ).fetchall()
    record = {"dataset": dataset, **_record(found[0])}
    names = [s["name"] for s in record["strategies"]]
    record["rows"] = [
        {"sample_id": int(s), "rank": int(r), "score": float(t),
         "scores": dict(zip(names, map(float, parts), strict=True))}
        for s, r, t, parts in rows
    ]  # fmt: skip
    return record


def now() -> datetime:
    """The record's time (UTC, naive as the catalog stores times)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)
