"""Read what the LVIS protocol needs from the catalog: per image its ``neg_category_ids`` and
``not_exhaustive_category_ids`` (an LVIS image's own keys, which a COCO ingest keeps in the
sample's ``fields``) and per class its ``frequency`` (``categories.frequency``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..catalog import CatalogError
from .load import EvalInput
from .lvis import FREQUENCY_GROUPS, LvisSets

if TYPE_CHECKING:
    from ..catalog import Catalog

LIST_KEYS = ("neg_category_ids", "not_exhaustive_category_ids")

_PAIRS_SQL = """
    SELECT sample_id, UNNEST(TRY_CAST(json_extract(fields, '$.{key}') AS BIGINT[])) AS cid
    FROM samples WHERE dataset_id = ? AND fields IS NOT NULL
"""
_COUNTS_SQL = """
    SELECT count(*),
           count(*) FILTER (WHERE json_extract(fields, '$.{key}') IS NOT NULL),
           count(*) FILTER (WHERE json_extract(fields, '$.{key}') IS NOT NULL
                            AND TRY_CAST(json_extract(fields, '$.{key}') AS BIGINT[]) IS NULL)
    FROM samples WHERE dataset_id = ?
"""


def load_lvis_sets(catalog: Catalog, dataset: str, inp: EvalInput) -> tuple[LvisSets, list[str]]:
    """The :class:`LvisSets` of ``dataset`` in ``inp``'s image and class indices, and
    warnings; a :class:`CatalogError` when no image carries LVIS's lists (not an LVIS file)."""
    warnings: list[str] = []
    classes = {name: k for k, name in enumerate(inp.classes)}
    n_cats = len(inp.classes)
    # The evaluation's image index of every sample with boxes (the others have nothing to
    # evaluate, so their lists do not matter).
    samples = np.concatenate([inp.gt_sample, inp.dt_sample]).astype(np.int64)
    images = np.concatenate([inp.gt.image, inp.dt.image]).astype(np.int64)
    samples, first = np.unique(samples, return_index=True)
    images = images[first]
    groups: dict[str, np.ndarray] = {}
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        cats = cur.execute(
            "SELECT name, source_category_id, frequency FROM categories WHERE dataset_id = ?",
            [dataset_id],
        ).fetchall()
        by_source = {sid: classes[name] for name, sid, _ in cats if sid is not None}
        for key in LIST_KEYS:
            total, present, malformed = cur.execute(
                _COUNTS_SQL.format(key=key), [dataset_id]
            ).fetchone() or (0, 0, 0)
            if not present:
                raise CatalogError(
                    f"dataset {dataset!r} has no LVIS annotations: none of its {total} images "
                    f"carries {key!r}. Ingest an LVIS-format file (images with "
                    "neg_category_ids and not_exhaustive_category_ids, categories with "
                    "frequency), or evaluate with --protocol coco"
                )
            if present < total:
                warnings.append(f"{total - present} images have no {key}: read as empty")
            if malformed:
                warnings.append(f"{malformed} images have a {key} that is not a list of ids")
            rows = cur.execute(_PAIRS_SQL.format(key=key), [dataset_id]).fetchnumpy()
            groups[key] = _group_keys(rows, samples, images, by_source, n_cats)
    frequency = np.full(n_cats, -1, dtype=np.int64)
    for name, _, freq in cats:
        if freq in FREQUENCY_GROUPS:
            frequency[classes[name]] = FREQUENCY_GROUPS.index(freq)
    if not (frequency >= 0).any():
        warnings.append(
            "no class carries an LVIS frequency (r, c, f): APr, APc and APf are -1 "
            "(re-ingest the LVIS file: catalogs before schema step 26 did not keep it)"
        )
    return LvisSets(groups[LIST_KEYS[0]], groups[LIST_KEYS[1]], frequency), warnings


def _group_keys(
    rows: dict[str, Any],
    samples: np.ndarray,
    images: np.ndarray,
    by_source: dict[int, int],
    n_cats: int,
) -> np.ndarray:
    """``image * n_cats + class`` of each (sample, source category id) row whose sample has
    boxes and whose id names a class of the dataset."""
    if not len(samples):
        return np.zeros(0, dtype=np.int64)
    sample_ids = np.asarray(rows["sample_id"], dtype=np.int64)
    cids = rows["cid"].tolist()  # a NULL id (masked) reads as None: no class
    known = np.array([c in by_source for c in cids], dtype=bool)
    at = np.searchsorted(samples, sample_ids)
    known &= (at < len(samples)) & (samples[np.minimum(at, len(samples) - 1)] == sample_ids)
    cats = np.array([by_source[c] for c, k in zip(cids, known, strict=True) if k], dtype=np.int64)
    return np.unique(images[at[known]] * n_cats + cats)
