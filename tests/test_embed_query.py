"""Search queries encoded by the model of the space (embed/query.py wired into search):
text and uploaded-image search through a real server over vectors an embedding job wrote,
checked against the same model's vectors computed here; the built-in embedder's text
search refused; a checkpoint that is gone named in the error."""

from __future__ import annotations

import base64
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from visionlens_jlab.embed.base import Embedder
from visionlens_jlab.embed.decode import decode
from visionlens_jlab.embed.models import ModelSpec, parse_model
from visionlens_jlab.embed.query import QueryEmbedders
from visionlens_jlab.embed.registry import load_embedder
from visionlens_jlab.embed.spaces import record_space
from visionlens_jlab.search.encoders import QueryEncoderError
from visionlens_jlab.vectors import SpaceInfo

from .embed_fixtures import photos, save_tiny_clip
from .test_embed_jobs import add_photos


async def embed(api: Any, wait_job: Any, body: dict[str, Any]) -> dict[str, Any]:
    status, answer = await api("POST", "datasets/photos/embed", body)
    assert status == 202, answer
    job = await wait_job(answer["job"])
    assert job["status"] == "done", job
    return dict(job["result"])


def brute_force(vl_app: Any, space: str, query: np.ndarray, k: int) -> list[int]:
    """The top k sample ids of the stored vectors by cosine to ``query``."""
    store = vl_app.vector_store()
    ids, vectors = store.get_vectors(space, store.ids(space))
    scores = vectors @ (query / np.linalg.norm(query))
    return [int(i) for i in ids[np.argsort(-scores, kind="stable")[:k]]]


async def test_text_and_image_search_with_a_tiny_open_clip_checkpoint(
    api: Any, wait_job: Any, vl_app: Any, tmp_path: Path
) -> None:
    ids = add_photos(vl_app, "photos", 12)
    tiny = save_tiny_clip(tmp_path / "tiny")
    result = await embed(api, wait_job, {"checkpoint": str(tiny), "dtype": "float32"})
    reference = load_embedder(
        QueryEmbedders(vl_app.catalog).spec_of(vl_app.vector_store().space(result["space"])),
        "cpu",
        "float32",
    )

    status, out = await api("POST", "datasets/photos/search", {"text": "a red car", "k": 5})
    assert status == 200, out
    expected = brute_force(vl_app, result["space"], reference.embed_text(["a red car"])[0], 5)
    assert [r["sample_id"] for r in out["results"]] == expected
    assert out["model"] == result["model"]

    data = photos(1)[0].read_bytes()
    body = {"image": base64.b64encode(data).decode(), "k": 3}
    status, out = await api("POST", "datasets/photos/search", body)
    assert status == 200, out
    query = reference.embed_images(decode(data, reference.input_spec)[None].copy())[0]
    assert [r["sample_id"] for r in out["results"]] == brute_force(
        vl_app, result["space"], query, 3
    )
    assert out["results"][0]["sample_id"] in ids  # the photo itself (it is in the dataset)
    assert out["results"][0]["score"] == pytest.approx(1.0, abs=1e-3)


async def test_builtin_space_searches_by_image_and_refuses_text(
    api: Any, wait_job: Any, vl_app: Any
) -> None:
    add_photos(vl_app, "photos", 8)
    await embed(api, wait_job, {"model": "builtin-color-gradient"})
    status, out = await api("POST", "datasets/photos/search", {"text": "a dog"})
    assert status == 400
    assert "text search needs a model with a text tower" in out["message"]
    data = photos(1)[0].read_bytes()
    status, out = await api(
        "POST", "datasets/photos/search", {"image": base64.b64encode(data).decode(), "k": 2}
    )
    assert status == 200, out
    assert out["results"][0]["score"] == pytest.approx(1.0, abs=1e-3)


def test_checkpoint_spaces_need_the_same_weights(vl_app: Any, tmp_path: Path) -> None:
    ids = add_photos(vl_app, "photos", 1)
    tiny = save_tiny_clip(tmp_path / "tiny")
    loads: list[ModelSpec] = []

    def loader(spec: ModelSpec) -> Embedder:
        loads.append(spec)
        return load_embedder(spec, "cpu")

    embedders = QueryEmbedders(vl_app.catalog, loader=loader)
    version = parse_model(None, str(tiny)).version
    space = SpaceInfo("tiny-space", tiny.name, version, 32, "cosine", "")
    with vl_app.catalog.cursor() as cur:
        dataset_id = vl_app.catalog.dataset_id(cur, "photos")
    record_space(
        vl_app.catalog,
        dataset_id,
        space="tiny-space",
        model=tiny.name,
        version=version,
        dim=32,
        preprocessing="",
        count=len(ids),
        complete=True,
        info={"checkpoint": str(tiny)},
    )
    encoder = embedders.encoder(space)
    assert encoder.encode_text is not None
    assert encoder.encode_text("x").shape == (32,)
    assert encoder.encode_text("y").shape == (32,)
    assert len(loads) == 1  # loaded once, kept

    moved = tmp_path / "elsewhere"
    shutil.move(str(tiny), moved)
    with pytest.raises(QueryEncoderError, match="not on this machine any more"):
        QueryEmbedders(vl_app.catalog).encoder(space)
    save_tiny_clip(tiny, seed=1)  # other weights at the recorded path: refused too
    with pytest.raises(QueryEncoderError, match=str(tiny)):
        QueryEmbedders(vl_app.catalog).encoder(space)
    # the configured checkpoint is tried when the recorded one is gone
    assert QueryEmbedders(vl_app.catalog, str(moved)).spec_of(space).checkpoint == str(moved)
