"""Near-duplicate frames and the map of frames, on frame samples as they are: two encoded
videos of two visibly different scenes each, the second a copy of the first, embedded with a
tiny random open_clip model built here (frames decode through the media sources in the
embedding and hashing workers)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from tests.embed_fixtures import save_tiny_clip
from tests.ingest_fixtures import ingest
from tests.video_fixtures import write_scenes_video
from visionlens_jlab import features
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.dedup.job import run_duplicates
from visionlens_jlab.embed.job import EmbedOptions, run_embedding
from visionlens_jlab.embed.models import parse_model
from visionlens_jlab.embed.stream import embed_stream
from visionlens_jlab.maps.jobs import run_map
from visionlens_jlab.maps.store import resolve
from visionlens_jlab.maps.tables import read_points
from visionlens_jlab.vectors import VectorStore, open_vector_store

SCENES = [6, 6]


@pytest.fixture(scope="module")
def frames(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("frames")
    (root / "clips").mkdir()
    write_scenes_video(root / "clips" / "a.mp4", SCENES)
    shutil.copy(root / "clips" / "a.mp4", root / "clips" / "b.mp4")
    spec = parse_model(None, str(save_tiny_clip(root / "clip")))
    features.load()
    with Catalog(root / "vl") as catalog, open_vector_store(catalog.data_dir) as store:
        ingest(catalog, "clips", root / "clips", fmt="video")
        result = run_embedding(
            None,
            catalog,
            store,
            EmbedOptions("clips", spec),
            lambda items: embed_stream(spec.to_json(), list(items), "cpu", None, "float32"),
        )
        assert (result["embedded"], result["failed"]) == (2 * sum(SCENES), 0)
        with catalog.cursor() as cur:
            ids = dict(cur.execute("SELECT file_name, sample_id FROM samples").fetchall())
        yield {"catalog": catalog, "store": store, "ids": ids}


def frame_ids(ids: dict[str, int], video: str, numbers: range) -> list[int]:
    return [ids[f"{video}#frame={n}"] for n in numbers]


def test_near_duplicate_frames_within_and_across_videos(frames: dict[str, Any]) -> None:
    catalog: Catalog = frames["catalog"]
    store: VectorStore = frames["store"]
    ids = frames["ids"]
    result = run_duplicates(catalog, store, "clips")
    assert result["notes"] == [] and result["space"] is not None
    # each frame of the copy is an exact duplicate of the original's frame of that number
    exact = {
        tuple(sorted((ids[f"a.mp4#frame={n}"], ids[f"b.mp4#frame={n}"])))
        for n in range(1, sum(SCENES) + 1)
    }
    assert result["counts"]["exact"] == {"pairs": len(exact), "groups": len(exact)}
    # near duplicates: one group per scene, with its frames of both videos, and no more
    first, second = range(1, SCENES[0] + 1), range(SCENES[0] + 1, sum(SCENES) + 1)
    scenes = [
        sorted(frame_ids(ids, "a.mp4", first) + frame_ids(ids, "b.mp4", first)),
        sorted(frame_ids(ids, "a.mp4", second) + frame_ids(ids, "b.mp4", second)),
    ]
    assert sorted(sorted(g) for g in result["groups"]) == scenes
    assert result["counts"]["near"]["groups"] == 2


def test_the_map_of_frames_places_every_frame_and_copies_together(
    frames: dict[str, Any],
) -> None:
    catalog: Catalog = frames["catalog"]
    store: VectorStore = frames["store"]
    ids = frames["ids"]
    answer = run_map(catalog, store, resolve(catalog, store, "clips", None, "pca", None))
    assert answer["points"] == 2 * sum(SCENES) and answer["stale"] is False
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, "clips")
    points = read_points(catalog, dataset_id, answer["id"])
    assert sorted(points.sample_ids.tolist()) == sorted(ids.values())
    where = {int(s): (x, y) for s, x, y in zip(points.sample_ids, points.x, points.y, strict=True)}
    for n in range(1, sum(SCENES) + 1):  # identical frames, identical vectors: one place
        a, b = where[ids[f"a.mp4#frame={n}"]], where[ids[f"b.mp4#frame={n}"]]
        np.testing.assert_allclose(a, b, atol=1e-5)
    # the two scenes lie apart: every frame is nearer its own scene's centre
    centres = [
        np.mean([where[i] for i in frame_ids(ids, "a.mp4", r)], axis=0)
        for r in (range(1, 7), range(7, 13))
    ]
    for scene, numbers in enumerate((range(1, 7), range(7, 13))):
        for i in frame_ids(ids, "b.mp4", numbers):
            distances = [np.hypot(*(np.array(where[i]) - c)) for c in centres]
            assert int(np.argmin(distances)) == scene
