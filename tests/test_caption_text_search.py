"""Text search fused with the caption ranking (search/captioned.py) through a real server: a
tiny open_clip checkpoint's vectors written by an embedding job, captions written by the
caption job's writer, the fused order checked against reciprocal rank fusion computed here
from the two rankings the server gives apart (the CLIP ranking by brute force)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from visionlens_jlab.embed.query import QueryEmbedders
from visionlens_jlab.embed.registry import load_embedder
from visionlens_jlab.search.captioned import fuse, text_search
from visionlens_jlab.search.captions import CAPTION, append_texts, start_texts

from .embed_fixtures import save_tiny_clip
from .test_embed_jobs import add_photos
from .test_embed_query import brute_force, embed

CAPTIONS = ["a red car on a road", "a red bus", "a car", "a tree", "a tree by a lake"]


def write_captions(vl_app: Any, dataset: str, ids: list[int], texts: list[str]) -> None:
    catalog = vl_app.catalog
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
    start_texts(catalog, dataset_id, [CAPTION], "caption:test", {"model": "test"})
    append_texts(catalog, dataset_id, ids, {CAPTION: texts})


def rrf(rankings: list[list[int]], k: int) -> list[int]:
    """Reciprocal rank fusion, written out: sum of 1 / (60 + rank) over the rankings."""
    score: dict[int, float] = {}
    for ranking in rankings:
        for rank, sample_id in enumerate(ranking, start=1):
            score[sample_id] = score.get(sample_id, 0.0) + 1 / (60 + rank)
    return sorted(score, key=lambda s: (-score[s], s))[:k]


def test_fuse_ranks_agreement_first() -> None:
    fused = fuse({"clip": [7, 8, 9], "caption": [9, 5]}, 3)
    assert [s for s, _, _ in fused] == [9, 7, 5]  # 1/63 + 1/61 beats 1/61 alone
    assert fused[0][2] == ["clip", "caption"] and fused[1][2] == ["clip"]
    assert fused[0][1] == 1 / 63 + 1 / 61


async def test_text_search_fuses_clip_and_captions(
    api: Any, wait_job: Any, vl_app: Any, tmp_path: Path
) -> None:
    ids = add_photos(vl_app, "photos", 12)
    status, plain = await api("POST", "datasets/photos/search", {"text": "red car"})
    assert status == 400  # neither vectors nor captions yet: the CLIP error, as before
    write_captions(vl_app, "photos", ids[:5], CAPTIONS)
    status, out = await api("POST", "datasets/photos/search", {"text": "red car", "k": 4})
    assert status == 200, out  # no vectors: the captions answer alone, saying why
    assert [r["sample_id"] for r in out["results"]] == [ids[0], ids[2], ids[1]]
    assert out["model"] is None and out["strategy"] == "captions"
    assert "no vectors" in out["fusion"]["clip_error"]
    assert out["results"][0]["sources"] == ["caption"]
    assert out["results"][0]["caption"] == CAPTIONS[0]

    tiny = save_tiny_clip(tmp_path / "tiny")
    space = (await embed(api, wait_job, {"checkpoint": str(tiny), "dtype": "float32"}))["space"]
    reference = load_embedder(
        QueryEmbedders(vl_app.catalog).spec_of(vl_app.vector_store().space(space)),
        "cpu",
        "float32",
    )
    k = 6
    clip = brute_force(vl_app, space, reference.embed_text(["red car"])[0], k)
    _, words = await api("GET", "datasets/photos/captions/search", params={"q": "red car"})
    by_caption = [r["sample_id"] for r in words["results"]]
    assert by_caption == [ids[0], ids[2], ids[1]]
    status, out = await api("POST", "datasets/photos/search", {"text": "red car", "k": k})
    assert status == 200, out
    assert [r["sample_id"] for r in out["results"]] == rrf([clip, by_caption], k)
    fusion = out["fusion"]
    assert (fusion["method"], fusion["rrf_k"], fusion["clip"], fusion["caption"]) == (
        "rrf",
        60,
        k,
        3,
    )
    assert fusion["clip_error"] is None and out["model"] is not None
    for hit in out["results"]:
        expected = [
            s
            for s, ranking in (("clip", clip), ("caption", by_caption))
            if hit["sample_id"] in ranking
        ]
        assert hit["sources"] == expected
        assert (hit["caption"] is not None) == ("caption" in expected)
        assert (hit["clip_score"] is not None) == ("clip" in expected)

    # what the CLI runs without a server: the same ranking; the snippet is ds.search's,
    # which goes through the route above
    local = text_search(vl_app.catalog, vl_app.vector_store(), "photos", "red car", k=k)
    assert [r["sample_id"] for r in local["results"]] == [r["sample_id"] for r in out["results"]]
    assert out["code"] == local["code"] and "text='red car'" in out["code"]

    # a filter restricts both rankings
    only_red = {"sample": {"computed.caption": {"contains": "red"}}}
    body = {"text": "red car", "k": k, "filter": only_red}
    status, out = await api("POST", "datasets/photos/search", body)
    assert status == 200, out
    assert sorted(r["sample_id"] for r in out["results"]) == [ids[0], ids[1]]
    assert out["matched"] == 2 and out["fusion"]["caption"] == 2
