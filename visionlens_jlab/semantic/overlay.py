"""A sample's semantic or panoptic mask as the image the lab lays over the photo.

Each pixel is its class's colour (the dataset's palette: VOC's, Cityscapes', a panoptic
category's), opaque; the ignore index, a class named like a background (``background``,
``unlabeled``...) and a panoptic PNG's void (segment 0, or a segment its JSON does not
list) are transparent, so the photo shows through where nothing is labelled. The lab sets
the opacity. Only ids come from a request: the PNG is the one the catalog recorded at
ingest (inside the server's allowed roots then).
"""

from __future__ import annotations

import io
import json
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image

from ..catalog import GROUND_TRUTH, NotFoundError
from .classes import voc_colors
from .label_maps import read_label_map
from .panoptic import LAYOUT as PANOPTIC
from .panoptic_quality import segment_ids
from .records import CLASSES, MASKS, SOURCES, painted_colors

if TYPE_CHECKING:
    from ..catalog import Catalog

BACKGROUND_NAMES = frozenset({"background", "__background__", "unlabeled", "unlabelled", "void"})
"""Class names drawn transparent: what is there is the photo itself."""


def mask_sources(catalog: Catalog, dataset: str) -> list[str]:
    """The sources with semantic or panoptic masks in ``dataset``: the ground truth first,
    then the models by name (empty: none)."""
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        rows = cur.execute(
            f"SELECT source FROM {SOURCES} WHERE dataset_id = ?",  # noqa: S608 - fixed identifiers
            [dataset_id],
        ).fetchall()
    return _truth_first(rows)


def mask_sources_of(catalog: Catalog, dataset: str, ids: list[int]) -> dict[int, list[str]]:
    """The sources with a semantic or panoptic mask of each of ``ids`` that has one (the
    ground truth first), in one query."""
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        rows = cur.execute(
            f"SELECT sample_id, source FROM {MASKS} WHERE dataset_id = ? "  # noqa: S608 - fixed identifiers
            "AND sample_id IN (SELECT unnest(?::BIGINT[]))",
            [dataset_id, ids],
        ).fetchall()
    found: dict[int, list[tuple[Any, ...]]] = {}
    for sample_id, source in rows:
        found.setdefault(int(sample_id), []).append((source,))
    return {i: _truth_first(sources) for i, sources in found.items()}


def with_mask_sources(catalog: Catalog, dataset: str, page: dict[str, Any]) -> dict[str, Any]:
    """A page of samples whose samples with a semantic or panoptic mask name its sources
    (``mask_sources``, the ground truth first); the page itself is left as it is (it may
    be a cached answer). One query on the page's ids; a page with no mask is returned."""
    ids = [int(s["sample_id"]) for s in page.get("samples", [])]
    if not ids:
        return page
    found = mask_sources_of(catalog, dataset, ids)
    if not found:
        return page
    samples = [
        {**s, "mask_sources": found[s["sample_id"]]} if s["sample_id"] in found else s
        for s in page["samples"]
    ]
    return {**page, "samples": samples}


def _truth_first(rows: list[tuple[Any, ...]]) -> list[str]:
    return sorted((str(r[0]) for r in rows), key=lambda s: (s != GROUND_TRUTH, s))


def overlay_png(
    catalog: Catalog, dataset: str, sample_id: int, source: str, size: int | None = None
) -> bytes:
    """The RGBA PNG of ``source``'s mask of sample ``sample_id`` (:class:`NotFoundError`
    when it has none); with ``size``, its longer side at most that many pixels (a grid
    tile's), each pixel the class of the mask's pixel nearest its centre."""
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        found = cur.execute(
            f"SELECT m.location, m.segments, s.layout, s.ignore_index, s.value_map "  # noqa: S608 - fixed identifiers
            f"FROM {MASKS} m JOIN {SOURCES} s USING (dataset_id, source) "
            "WHERE m.dataset_id = ? AND m.source = ? AND m.sample_id = ?",
            [dataset_id, source, sample_id],
        ).fetchall()
        classes = cur.execute(
            f"SELECT class_index, name, color FROM {CLASSES} WHERE dataset_id = ?",  # noqa: S608 - fixed identifiers
            [dataset_id],
        ).fetchall()
    if not found:
        raise NotFoundError(f"sample {sample_id} of {dataset!r} has no mask of {source!r}")
    location, segments, layout, ignore_index, value_map = found[0]
    palette = _palette(classes)
    if layout == PANOPTIC:
        rgba = _panoptic(location, segments, palette, size)
    else:
        lookup = None if value_map is None else np.asarray(value_map, dtype=np.int64)
        by_index = {int(index): color for index, _, color in classes}
        colors = painted_colors(layout, [by_index.get(i) for i in range(len(by_index))])
        labels = fitted(read_label_map(location, lookup, colors), size).astype(np.int64)
        labels[labels == ignore_index] = -1
        rgba = _coloured(labels, palette)
    out = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(out, format="PNG")
    return out.getvalue()


def _palette(classes: list[tuple[Any, ...]]) -> dict[int, tuple[int, int, int, int]]:
    """Class index → RGBA (transparent for a background-like name; VOC's colour where the
    dataset recorded none)."""
    fallback = voc_colors(256)
    out = {}
    for index, name, color in classes:
        key = int(index)
        if str(name).strip().lower() in BACKGROUND_NAMES:
            out[key] = (0, 0, 0, 0)
            continue
        rgb = tuple(int(c) for c in color) if color else fallback[key % 256]
        out[key] = (rgb[0], rgb[1], rgb[2], 255)
    return out


def _coloured(labels: np.ndarray, palette: dict[int, tuple[int, int, int, int]]) -> np.ndarray:
    """A label map (class index a pixel, -1 none) as RGBA pixels: one lookup per pixel in
    a table of every index up to the largest (a class without a colour is clear)."""
    top = int(labels.max()) if labels.size else -1
    table = np.zeros((top + 2, 4), dtype=np.uint8)
    for index, rgba in palette.items():
        if 0 <= index <= top:
            table[index + 1] = rgba
    return table[labels + 1]


def fitted(pixels: np.ndarray, size: int | None) -> np.ndarray:
    """A map of ids (classes, segments: below 2**31) sampled at the nearest pixel so that
    its longer side is at most ``size``, in its proportions (as is, when it is no larger):
    ids are never blended, a tile shows the classes the mask has. Pillow's nearest-pixel
    resize on 32-bit integer pixels (its rounding at cell edges, not a second one here)."""
    height, width = pixels.shape[:2]
    if size is None or max(height, width) <= size:
        return pixels
    scale = size / max(height, width)
    shape = (max(1, round(width * scale)), max(1, round(height * scale)))
    image = Image.fromarray(pixels.astype(np.int32))  # mode "I"
    return np.asarray(image.resize(shape, Image.Resampling.NEAREST))


def _panoptic(
    location: str,
    segments: str | None,
    palette: dict[int, tuple[int, int, int, int]],
    size: int | None,
) -> np.ndarray:
    """A COCO panoptic PNG's pixels coloured by their segment's category."""
    ids = fitted(segment_ids(location), size).astype(np.int64)
    category = {int(s["id"]): int(s["category_id"]) for s in json.loads(segments or "[]")}
    values, inverse = np.unique(ids, return_inverse=True)
    per_value = np.array([category.get(int(v), -1) for v in values], dtype=np.int64)
    labels = per_value[inverse.reshape(ids.shape)]
    return _coloured(labels, palette)
