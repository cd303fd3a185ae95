"""What the map routes answer: the points frame, a field's values, a lasso's ids."""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

import numpy as np

from ..catalog.reads.queries import sample_ids
from ..int_unique import unique_ints
from .lasso import as_polygon, as_rect, points_in_polygon, points_in_rect
from .params import MapError
from .store import dataset_id_of
from .tables import MapPoints, read_points, require_map
from .values import map_values
from .wire import encode_points, encode_points_arrow, encode_values

if TYPE_CHECKING:
    from ..catalog import Catalog

MODES = ("replace", "add", "subtract")
POINT_FORMATS = ("binary", "arrow")
CACHED_MAPS = 4
"""Maps whose points a lasso keeps in memory per catalog (1M points = 16 MB each): reading
1M rows back from DuckDB took ~130 of the ~180 ms of a lasso over 1M points."""

_cache: weakref.WeakKeyDictionary[Catalog, OrderedDict[tuple[Any, ...], MapPoints]] = (
    weakref.WeakKeyDictionary()
)
_cache_lock = threading.Lock()


def cached_points(catalog: Catalog, dataset_id: int, record: dict[str, Any]) -> MapPoints:
    """The points of a stored map, kept while its ``updated_at`` and its points' count and
    id sum stay the same (a map's own writes change the first; a sample delete or its undo,
    which take or bring back points without touching the map's row, the others)."""
    with catalog.cursor() as cur:
        ((count, id_sum),) = cur.execute(
            "SELECT count(*), sum(sample_id) FROM map_points WHERE dataset_id = ? AND map_id = ?",
            [dataset_id, record["id"]],
        ).fetchall()
    key = (dataset_id, record["id"], record["updated_at"], count, id_sum)
    with _cache_lock:
        maps = _cache.setdefault(catalog, OrderedDict())
        if key in maps:
            maps.move_to_end(key)
            return maps[key]
    points = read_points(catalog, dataset_id, record["id"])
    with _cache_lock:
        maps[key] = points
        while len(maps) > CACHED_MAPS:
            maps.popitem(last=False)
    return points


def _dataset_ids(catalog: Catalog, dataset: str) -> np.ndarray:
    return sample_ids(catalog, dataset, None).to_numpy().astype(np.int64, copy=False)


def points_frame(catalog: Catalog, dataset: str, map_id: str, fmt: str = "binary") -> bytes:
    """A map's points as the binary frame (``binary``) or an Arrow IPC stream (``arrow``)."""
    if fmt not in POINT_FORMATS:
        raise MapError(f"unknown points format {fmt!r}: use 'binary' or 'arrow'")
    dataset_id = dataset_id_of(catalog, dataset)
    record = require_map(catalog, dataset_id, map_id, dataset)
    points = read_points(catalog, dataset_id, map_id)
    ids = _dataset_ids(catalog, dataset)
    if fmt == "arrow":
        return encode_points_arrow(points, ids)
    header = {k: record[k] for k in ("id", "space", "method", "params", "bounds", "updated_at")}
    return encode_points(header, points, ids)


def values_frame(
    catalog: Catalog, dataset: str, map_id: str, field: str, model: str | None = None
) -> bytes:
    """The values of ``field`` for every point of the map, in point order (binary frame)."""
    dataset_id = dataset_id_of(catalog, dataset)
    require_map(catalog, dataset_id, map_id, dataset)
    return encode_values(map_values(catalog, dataset_id, map_id, field, model))


def parse_ids_in(raw: Any) -> np.ndarray:
    """The caller's ``ids_in`` list as sorted unique sample ids (empty for ``None``); a
    :class:`MapError` for anything but a list of integers."""
    if raw is None:
        return np.empty(0, dtype=np.int64)
    if not isinstance(raw, list) or not all(
        isinstance(v, int) and not isinstance(v, bool) for v in raw
    ):
        raise MapError("'ids_in' must be a list of sample ids (integers)")
    return unique_ints(np.asarray(raw, dtype=np.int64))


def select_ids(
    catalog: Catalog,
    dataset: str,
    map_id: str,
    *,
    polygon: Any = None,
    rect: Any = None,
    spec: dict[str, Any] | None = None,
    mode: str = "replace",
    ids_in: Any = None,
    version: int | None = None,
) -> np.ndarray:
    """Sorted sample ids selected by a lasso ``polygon`` or a ``rect`` on the map.

    Only points matching the samples filter ``spec`` (when given) are selected, the filter
    read over the labels and tags of saved ``version`` when one is named (as the grid
    browsing it reads them; None: the current ones).
    ``mode``: ``replace`` (the selection is what the shape holds), ``add`` (``ids_in`` plus
    it), ``subtract`` (``ids_in`` minus it).
    """
    if (polygon is None) == (rect is None):
        raise MapError("give exactly one of 'polygon' ([[x, y], ...]) or 'rect' ([x0, y0, x1, y1])")
    if mode not in MODES:
        raise MapError(f"unknown mode {mode!r}: use one of {', '.join(MODES)}")
    if spec is not None and not isinstance(spec, dict):
        raise MapError("'filter' must be a JSON object")
    previous = parse_ids_in(ids_in)
    shape_poly = as_polygon(polygon) if polygon is not None else None
    shape_rect = as_rect(rect) if rect is not None else None
    dataset_id = dataset_id_of(catalog, dataset)
    points = cached_points(catalog, dataset_id, require_map(catalog, dataset_id, map_id, dataset))
    if shape_poly is not None:
        mask = points_in_polygon(points.x, points.y, shape_poly)
    else:
        assert shape_rect is not None
        mask = points_in_rect(points.x, points.y, shape_rect)
    chosen = points.sample_ids[mask]  # sorted: points are in sample-id order
    if spec is not None:
        allowed = (
            sample_ids(catalog, dataset, spec, version).to_numpy().astype(np.int64, copy=False)
        )
        chosen = np.intersect1d(chosen, allowed, assume_unique=True)
    if mode == "add":
        return np.union1d(previous, chosen)
    if mode == "subtract":
        return np.setdiff1d(previous, chosen, assume_unique=True)
    return chosen
