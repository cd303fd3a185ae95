"""Stored embedding maps: one row per map, one row per (map, sample) with its x, y.

A map is keyed by (dataset, vector space, method, parameters) through its ``map_id``
(:func:`visionlens_jlab.maps.params.map_id`); computing it again replaces its rows. Both
tables are dataset tables of schema 1, declared by the maps' manifest (:mod:`.manifest`):
they go with their dataset. Points are written and read in sample-id order, which is the
order of every binary answer about a map. Records are read by column name
(:data:`RECORD_COLUMNS`), never by position.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from ..catalog import NotFoundError

if TYPE_CHECKING:
    import duckdb

    from ..catalog import Catalog

MAPS_DDL = """
    CREATE TABLE IF NOT EXISTS maps (
        dataset_id INTEGER NOT NULL,
        map_id VARCHAR NOT NULL,        -- method + hash of (dataset, space, method, params)
        space VARCHAR NOT NULL,         -- the vector space the map was computed from
        method VARCHAR NOT NULL,        -- 'pca' | 'umap' | 'tsne'
        params JSON NOT NULL,           -- every parameter, defaults included
        created_at TIMESTAMP NOT NULL,
        updated_at TIMESTAMP NOT NULL,  -- last time points were added or removed
        num_points BIGINT NOT NULL,
        xmin DOUBLE, ymin DOUBLE, xmax DOUBLE, ymax DOUBLE,
        seconds DOUBLE NOT NULL,        -- compute time of the reduction
        transform BLOB                  -- what places new samples (PCA: mean + components)
    )
"""

MAP_POINTS_DDL = """
    CREATE TABLE IF NOT EXISTS map_points (
        dataset_id INTEGER NOT NULL,
        map_id VARCHAR NOT NULL,
        sample_id BIGINT NOT NULL,
        x FLOAT NOT NULL,
        y FLOAT NOT NULL
    )
"""


@dataclass(frozen=True)
class MapPoints:
    """A map's points in sample-id order."""

    sample_ids: np.ndarray  # int64, ascending
    x: np.ndarray  # float32
    y: np.ndarray  # float32

    def __len__(self) -> int:
        return len(self.sample_ids)


def _bounds(x: np.ndarray, y: np.ndarray) -> list[float | None]:
    if len(x) == 0:
        return [None, None, None, None]
    return [float(x.min()), float(y.min()), float(x.max()), float(y.max())]


def _points_table(sample_ids: np.ndarray, coords: np.ndarray) -> pa.Table:
    ids = np.asarray(sample_ids, dtype=np.int64)
    xy = np.asarray(coords, dtype=np.float32)
    if xy.shape != (len(ids), 2):
        raise ValueError(f"expected {len(ids)} x 2 coordinates, got {xy.shape}")
    if not np.isfinite(xy).all():
        raise ValueError("map coordinates must be finite")
    order = np.argsort(ids, kind="stable")
    return pa.table(
        {
            "sample_id": ids[order],
            "x": np.ascontiguousarray(xy[order, 0]),
            "y": np.ascontiguousarray(xy[order, 1]),
        }
    )


def _insert_points(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, map_id: str, table: pa.Table
) -> None:
    """Append ``table`` (``sample_id, x, y``) to the map's points, inside ``cur``'s
    transaction."""
    cur.register("_vl_map_points", table)
    try:
        cur.execute(
            "INSERT INTO map_points SELECT ?, ?, sample_id, x, y FROM _vl_map_points",
            [dataset_id, map_id],
        )
    finally:
        cur.unregister("_vl_map_points")


def write_map(
    catalog: Catalog,
    *,
    dataset_id: int,
    map_id: str,
    space: str,
    method: str,
    params: dict[str, Any],
    sample_ids: np.ndarray,
    coords: np.ndarray,
    seconds: float,
    transform: bytes | None = None,
) -> None:
    """Store a computed map (replacing one with the same id) in one transaction."""
    table = _points_table(sample_ids, coords)
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    bounds = _bounds(table.column("x").to_numpy(), table.column("y").to_numpy())
    with catalog.write(dataset_id, keeps_derived=True) as cur:  # not samples nor boxes
        cur.execute(
            "DELETE FROM map_points WHERE dataset_id = ? AND map_id = ?", [dataset_id, map_id]
        )
        cur.execute("DELETE FROM maps WHERE dataset_id = ? AND map_id = ?", [dataset_id, map_id])
        _insert_points(cur, dataset_id, map_id, table)
        cur.execute(
            "INSERT INTO maps VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                dataset_id,
                map_id,
                space,
                method,
                json.dumps(params, sort_keys=True),
                now,
                now,
                table.num_rows,
                *bounds,
                float(seconds),
                transform,
            ],
        )


def update_points(
    catalog: Catalog,
    dataset_id: int,
    map_id: str,
    *,
    add_ids: np.ndarray,
    add_coords: np.ndarray,
    remove_ids: np.ndarray,
) -> int:
    """Add placed samples to a map and drop samples that lost their vector; returns the
    new point count. Bounds and ``updated_at`` follow."""
    table = _points_table(add_ids, add_coords)
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    with catalog.write(dataset_id, keeps_derived=True) as cur:  # not samples nor boxes
        if len(remove_ids):
            cur.execute(
                "DELETE FROM map_points WHERE dataset_id = ? AND map_id = ? "
                "AND sample_id IN (SELECT unnest(?::BIGINT[]))",
                [dataset_id, map_id, np.asarray(remove_ids, dtype=np.int64).tolist()],
            )
        _insert_points(cur, dataset_id, map_id, table)
        cur.execute(
            "SELECT COUNT(*) AS n, MIN(x) AS xmin, MIN(y) AS ymin, MAX(x) AS xmax, "
            "MAX(y) AS ymax FROM map_points WHERE dataset_id = ? AND map_id = ?",
            [dataset_id, map_id],
        )
        (row,) = _named(cur)
        cur.execute(
            "UPDATE maps SET num_points = ?, xmin = ?, ymin = ?, xmax = ?, ymax = ?, "
            "updated_at = ? WHERE dataset_id = ? AND map_id = ?",
            [int(row["n"]), row["xmin"], row["ymin"], row["xmax"], row["ymax"], now,
             dataset_id, map_id],
        )  # fmt: skip
    return int(row["n"])


RECORD_COLUMNS = (
    "map_id", "space", "method", "params", "created_at", "updated_at", "num_points",
    "xmin", "ymin", "xmax", "ymax", "seconds",
)  # fmt: skip
"""The columns of a map's record (:func:`list_maps`), selected and read by name."""

_SELECT = ", ".join(RECORD_COLUMNS)


def _named(cur: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """The rows of ``cur``'s last query as ``{column: value}``."""
    names = [d[0] for d in cur.description or ()]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _record(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": r["map_id"],
        "space": r["space"],
        "method": r["method"],
        "params": json.loads(r["params"]),
        "created_at": r["created_at"].isoformat(),
        "updated_at": r["updated_at"].isoformat(),
        "points": int(r["num_points"]),
        "bounds": [r["xmin"], r["ymin"], r["xmax"], r["ymax"]],
        "seconds": float(r["seconds"]),
    }


def list_maps(catalog: Catalog, dataset_id: int) -> list[dict[str, Any]]:
    """Every stored map of a dataset (newest first), without points or staleness."""
    with catalog.cursor() as cur:
        cur.execute(
            f"SELECT {_SELECT} FROM maps WHERE dataset_id = ? "  # noqa: S608 - fixed columns
            "ORDER BY created_at DESC, map_id",
            [dataset_id],
        )
        rows = _named(cur)
    return [_record(r) for r in rows]


def get_map(catalog: Catalog, dataset_id: int, map_id: str) -> dict[str, Any] | None:
    """One stored map's record (with its ``transform`` blob), or ``None``."""
    with catalog.cursor() as cur:
        cur.execute(
            f"SELECT {_SELECT}, transform FROM maps "  # noqa: S608 - fixed columns
            "WHERE dataset_id = ? AND map_id = ?",
            [dataset_id, map_id],
        )
        rows = _named(cur)
    if not rows:
        return None
    return {**_record(rows[0]), "transform": rows[0]["transform"]}


def require_map(catalog: Catalog, dataset_id: int, map_id: str, dataset: str) -> dict[str, Any]:
    """:func:`get_map`, or :class:`NotFoundError` naming the dataset."""
    record = get_map(catalog, dataset_id, map_id)
    if record is None:
        raise NotFoundError(f"no map {map_id!r} on dataset {dataset!r}")
    return record


def read_points(catalog: Catalog, dataset_id: int, map_id: str) -> MapPoints:
    """The points of a map in sample-id order."""
    with catalog.cursor() as cur:
        table = cur.sql(
            "SELECT sample_id, x, y FROM map_points WHERE dataset_id = ? AND map_id = ? "
            "ORDER BY sample_id",
            params=[dataset_id, map_id],
        ).to_arrow_table()
    return MapPoints(
        sample_ids=table.column("sample_id").to_numpy().astype(np.int64, copy=False),
        x=table.column("x").to_numpy().astype(np.float32, copy=False),
        y=table.column("y").to_numpy().astype(np.float32, copy=False),
    )
