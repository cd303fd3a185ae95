"""Pages of semantic regions (the patches view's ``kind: "regions"``) and one region's box.

A page holds the stored regions (:mod:`.semantic_regions`) of ``model``'s last semantic
label-quality run in the samples the filter selects, with the exact total. As the objects'
own label conditions hold for each object of a patches page, a ``semantic_regions`` sample
condition of the same model also holds for each region: ``{"sample": {"semantic_regions":
{"model": "m", "flagged": true}}}`` pages the flagged regions, not every region of images
that have one. Sorted by score (the share of the region's pixels the model agrees with),
lowest (worst) first by default, ties by sample and region number; answers are kept in the
catalog's page cache until the dataset's next write.

Each region is a tile: its box ``x, y, w, h`` (what it crops,
:func:`~..media.crops.tile_regions`), its class as ``label``, the model's ``predicted``
class, and its key (``sample_id``, ``region``) for the crop route
(``GET /datasets/{name}/samples/{sample_id}/regions/{region}/crop?model=``), which
draws the region's pixels on the crop (:func:`region_pixels`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..catalog import GROUND_TRUTH, NotFoundError
from ..catalog.query.filter_model import Filter
from ..catalog.query.filter_parser import parse_filter
from ..catalog.query.filters import FilterError, Params, compile_parsed
from ..catalog.store.result_cache import params_key
from ..semantic.label_maps import LabelMapError, read_label_map
from ..semantic.records import MASKS, read_classes, read_encoding, source_colors, value_lut
from .semantic_masks import EIGHT
from .semantic_regions import KEY, REGIONS, region_where

if TYPE_CHECKING:
    from ..catalog import Catalog
    from ..catalog.reads.patch_query import PatchQuery

_TILE = ("sample_id", "region", "class", "predicted", "pixels", "x", "y", "w", "h", "score",
         "flagged")  # fmt: skip


def _own(flt: Filter, model: str, params: Params) -> list[str]:
    """The filter's ``semantic_regions`` conditions of ``model``, over the region ``r``."""
    out = []
    for one in flt.sample:
        if one.kind == "registered" and one.name == KEY and one.value[0] == model:
            out.append("(" + " AND ".join(region_where(one.value, params)) + ")")
    return out


def regions_page(catalog: Catalog, dataset: str, spec: Any, q: PatchQuery) -> dict[str, Any]:
    """The exact total of the regions of ``q.model`` in the samples ``spec`` selects and one
    page of them, in the patches page's shape (``objects``: the regions)."""
    model = str(q.model)
    if not (q.sort.by_id or (q.sort.kind == "column" and q.sort.name == "score")):
        raise FilterError("regions sort by 'score' only")
    flt = parse_filter(spec)
    direction = q.sort.direction
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        written = catalog.version_of(dataset_id)  # before the first read: see result_cache.py
        compiled = compile_parsed(dataset_id, flt, shortcuts=False)
        cache_key = ("regions", dataset_id, compiled.where, params_key(compiled.params),
                     model, direction, q.offset, q.limit)  # fmt: skip
        cached = catalog.results.get(cache_key, written)
        if cached is not None:
            return cached
        runs = cur.execute(
            f"SELECT 1 FROM {REGIONS} WHERE dataset_id = ? AND model = ? LIMIT 1",  # noqa: S608 - fixed name
            [dataset_id, model],
        ).fetchall()
        if not runs:
            raise NotFoundError(
                f"no semantic regions of {model!r} on {dataset!r}: run its label quality"
            )
        params = Params()
        where = [f"r.dataset_id = {params.add(dataset_id)}", f"r.model = {params.add(model)}",
                 *_own(flt, model, params)]  # fmt: skip
        values = params.values
        if not flt.whole_dataset:
            samples = f"SELECT s.sample_id FROM samples s WHERE {compiled.where}"  # noqa: S608 - compiled, values bound
            where.append(f"r.sample_id IN ({samples})")
            values = [*values, *compiled.params]
        # one statement: the filter runs once for the total and the page
        sql = f"""
            WITH matched AS MATERIALIZED (
                SELECT r.* FROM {REGIONS} r WHERE {" AND ".join(where)}),
            page AS (SELECT * FROM matched
                     ORDER BY score {direction}, sample_id ASC, region ASC LIMIT ? OFFSET ?)
            SELECT total.n, p.* FROM (SELECT COUNT(*) AS n FROM matched) total
            LEFT JOIN (
                SELECT {", ".join(f"page.{c}" for c in _TILE)}, s.file_name,
                       s.width AS image_width, s.height AS image_height
                FROM page JOIN samples s ON s.sample_id = page.sample_id
            ) p ON TRUE
            ORDER BY p.score {direction}, p.sample_id ASC, p.region ASC
        """  # noqa: S608 - fixed SQL; values bound
        result = cur.execute(sql, [*values, q.limit, q.offset])
        names = [d[0] for d in result.description or ()]
        rows = result.fetchall()
    regions = [_tile(dict(zip(names[1:], r[1:], strict=True))) for r in rows if r[1] is not None]
    page = {
        "total": int(rows[0][0]) if rows else 0, "offset": q.offset, "limit": q.limit,
        "kind": "regions", "source": model, "lq_model": model, "version": None,
        "evaluation": None, "objects": regions,
    }  # fmt: skip
    catalog.results.put(cache_key, written, page)
    return page


def _tile(r: dict[str, Any]) -> dict[str, Any]:
    """One region of a page as a tile: its class as ``label``, its box and its key."""
    return {
        "sample_id": int(r["sample_id"]), "region": int(r["region"]), "label": r["class"],
        "predicted": r["predicted"], "pixels": int(r["pixels"]), "x": r["x"], "y": r["y"],
        "w": r["w"], "h": r["h"], "score": r["score"], "flagged": bool(r["flagged"]),
        "file_name": r["file_name"], "image_width": r["image_width"],
        "image_height": r["image_height"],
    }  # fmt: skip


def region_row(
    catalog: Catalog, dataset: str, model: str, sample_id: int, region: int
) -> dict[str, Any]:
    """One stored region's ``x, y, w, h``, ``class`` and ``pixels`` (NotFoundError when
    there is none)."""
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        row = cur.execute(
            f"SELECT x, y, w, h, class, pixels FROM {REGIONS} WHERE dataset_id = ? "  # noqa: S608 - fixed name
            "AND model = ? AND sample_id = ? AND region = ?",
            [dataset_id, model, sample_id, region],
        ).fetchone()
    if row is None:
        raise NotFoundError(f"no region {region} of {model!r} in sample {sample_id}")
    return dict(zip(("x", "y", "w", "h", "class", "pixels"), row, strict=True))


def region_pixels(
    catalog: Catalog, dataset: str, sample_id: int, found: dict[str, Any]
) -> tuple[int, int, np.ndarray] | None:
    """Where one stored region's pixels are: its box's corner and a boolean mask of the
    box's size, found again in the ground truth's label map (the rows keep a region's box,
    class and size, not its pixels): the 8-connected component of its class that fills its
    box with its number of pixels. None when the label map no longer holds it (imported
    again since the run) or cannot be read: the tile then shows the crop alone. ``found``
    is the region's stored row (:func:`region_row`)."""
    from scipy import ndimage  # here: importing the catalog's manifests must not load scipy

    x, y, w, h = (int(found[k]) for k in ("x", "y", "w", "h"))
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        names = read_classes(cur, dataset_id)
        ignore_index, value_map = read_encoding(cur, dataset_id, GROUND_TRUTH)
        colors = source_colors(cur, dataset_id, GROUND_TRUTH)
        location = cur.execute(
            f"SELECT location FROM {MASKS} WHERE dataset_id = ? AND sample_id = ? "  # noqa: S608 - fixed name
            "AND source = ?",
            [dataset_id, sample_id, GROUND_TRUTH],
        ).fetchone()
    if location is None or found["class"] not in names:
        return None
    try:
        truth = read_label_map(location[0], value_lut(ignore_index, value_map), colors)
    except (LabelMapError, OSError, ValueError):
        return None
    window = truth[y : y + h, x : x + w] == names.index(found["class"])
    if window.shape != (h, w):
        return None
    comp, n = ndimage.label(window, structure=EIGHT)
    counts = np.bincount(comp.ravel(), minlength=n + 1)
    for k, box in enumerate(ndimage.find_objects(comp), start=1):
        if counts[k] == found["pixels"] and box == (slice(0, h), slice(0, w)):
            return x, y, comp == k
    return None
