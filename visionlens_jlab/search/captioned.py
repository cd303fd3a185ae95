"""Text search that also reads captions: the CLIP ranking of a text query (:func:`.engine.search`)
and the caption keyword ranking (:func:`.captions.search_captions`)
fused by reciprocal rank fusion.

RRF (Cormack, Clarke and Büttcher, 2009): a sample's score is the sum, over the rankings
that hold it, of ``1 / (RRF_K + rank)`` (rank 1 the best). Ranks, not scores, because the
two scores have no common unit: a CLIP text-image cosine (about 0.2 to 0.35 for a good
match, its spread per model) and a caption's count of query words (small integers, many
ties) could only be weighed against each other by a calibration per model and dataset.
RRF needs none; a sample both rankings hold goes above one that only either holds, and
``RRF_K = 60`` (the paper's value) keeps the first few ranks of one list from outweighing
agreement between the two.

A dataset without captions gets the CLIP search alone, unchanged (``fusion`` null). With
captions and no CLIP ranking (no vectors, no text tower) the captions answer alone and
``fusion.clip_error`` says why CLIP did not; with neither, the CLIP error is raised.
"""

from __future__ import annotations

from typing import Any

from ..catalog import Catalog
from ..catalog.reads.queries import sample_ids
from ..vectors import VectorStore, VectorStoreError
from ..vectors.adapter_io import check_k
from .captions import has_captions, search_captions
from .engine import Query, file_names, reproduce_code, search
from .limits import DEFAULT_K
from .matrix_cache import VectorMatrixCache

RRF_K = 60
CLIP, CAPTION = "clip", "caption"


def fuse(rankings: dict[str, list[int]], k: int) -> list[tuple[int, float, list[str]]]:
    """``(sample_id, score, sources)`` of the best ``k`` by reciprocal rank fusion of the
    named rankings (sample ids, best first); ties by the sample id."""
    scores: dict[int, float] = {}
    sources: dict[int, list[str]] = {}
    for name, ranking in rankings.items():
        for rank, sample_id in enumerate(ranking, start=1):
            scores[sample_id] = scores.get(sample_id, 0.0) + 1.0 / (RRF_K + rank)
            sources.setdefault(sample_id, []).append(name)
    best = sorted(scores, key=lambda s: (-scores[s], s))[:k]
    return [(s, scores[s], sources[s]) for s in best]


def text_search(
    catalog: Catalog,
    store: VectorStore | None,
    dataset: str,
    text: str,
    *,
    filter_spec: dict[str, Any] | None = None,
    k: int = DEFAULT_K,
    model: str | None = None,
    cache: VectorMatrixCache | None = None,
) -> dict[str, Any]:
    """:func:`.engine.search`'s answer for a text query, fused with the caption ranking
    when ``dataset`` has captions: each result then says its ``sources`` (``clip``,
    ``caption``) and its ``caption`` when that matched, and ``fusion`` says how."""
    k = check_k(k)

    def by_clip() -> dict[str, Any]:
        query = Query(text=text)
        return search(
            catalog, store, dataset, query, filter_spec=filter_spec, k=k, model=model, cache=cache
        )

    if not has_captions(catalog, dataset):
        return {**by_clip(), "fusion": None}
    within = None if not filter_spec else sample_ids(catalog, dataset, filter_spec).to_pylist()
    captions = search_captions(catalog, dataset, text, k, within)
    clip: dict[str, Any] | None = None
    clip_error = None
    try:
        clip = by_clip()
    except VectorStoreError as exc:  # no vectors, or no text tower: the captions alone
        if not captions:
            raise
        clip_error = str(exc)
    clip_hits = {} if clip is None else {h["sample_id"]: h for h in clip["results"]}
    caption_of = {c["sample_id"]: c["caption"] for c in captions}
    fused = fuse({CLIP: list(clip_hits), CAPTION: list(caption_of)}, k)
    with catalog.cursor() as cur:
        names = file_names(cur, catalog.dataset_id(cur, dataset), [s for s, _, _ in fused])
    return {
        "model": None if clip is None else clip["model"],
        "space": None if clip is None else clip["space"],
        "strategy": "captions" if clip is None else clip["strategy"],
        "matched": None if within is None else len(within),
        "results": [
            {
                "sample_id": sample_id,
                "score": score,
                "file_name": names.get(sample_id),
                "sources": found,
                "caption": caption_of.get(sample_id),
                "clip_score": clip_hits[sample_id]["score"] if sample_id in clip_hits else None,
            }
            for sample_id, score, found in fused
        ],
        "warning": None if clip is None else clip["warning"],
        # the notebook's search goes through this route: the same call gets this answer
        "code": reproduce_code(dataset, Query(text=text), filter_spec, k, model),
        "fusion": {
            "method": "rrf",
            "rrf_k": RRF_K,
            "clip": len(clip_hits),
            "caption": len(captions),
            "clip_error": clip_error,
        },
    }
