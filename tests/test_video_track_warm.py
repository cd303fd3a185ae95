"""The track index (importing/video_track_index.py) is rebuilt by the index warmer after a
write that changes a browsed video dataset's tracks, so the next view of objects under a
``track_length`` bound and the next facets request build nothing; a dataset without video
frames gets no track index."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.ingest_fixtures import ingest, tiny_jpeg
from tests.test_video_track_filters import mot  # noqa: F401 - a fixture
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.indexes.index_warmer import IndexWarmer
from visionlens_jlab.catalog.query.filter_parser import parse_filter
from visionlens_jlab.catalog.query.filters import Params
from visionlens_jlab.catalog.reads import queries
from visionlens_jlab.catalog.store.token_cache import index_token
from visionlens_jlab.edits.engine import apply_edits
from visionlens_jlab.importing import video_track_index
from visionlens_jlab.importing.video_track_index import track_index
from visionlens_jlab.importing.video_track_masks import track_length_objects

BOUND = {"labels": {"source": "trk", "where": {"track_length": {"max": 4}}}}


@pytest.fixture
def warmed(mot: Catalog) -> Iterator[IndexWarmer]:  # noqa: F811 - the fixture above
    warmer = IndexWarmer(mot)
    queries.facets(mot, "mot", BOUND)  # browsed: its box index (and track index) held
    assert warmer.idle(30)
    yield warmer


def shorten_a_track(catalog: Catalog) -> None:
    """Delete one object of the tracker's tracks (an edit: the token is renewed)."""
    with catalog.cursor() as cur:
        found = cur.execute(
            "SELECT ann_id FROM annotations WHERE source = 'trk' AND track_id IS NOT NULL "
            "ORDER BY ann_id LIMIT 1"
        ).fetchone()
    assert found is not None
    apply_edits(catalog, "mot", [{"op": "delete", "annotation_id": int(found[0])}], "tester")


def forbid_builds(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_build(*args: Any) -> Any:
        raise AssertionError("the track index was built here")

    monkeypatch.setattr(video_track_index, "_build", no_build)


def test_an_edit_of_a_track_is_indexed_before_the_next_view(
    mot: Catalog,  # noqa: F811 - the fixture above
    warmed: IndexWarmer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with mot.cursor() as cur:
        dataset_id = mot.dataset_id(cur, "mot")
        before = track_index(cur, dataset_id)
    assert before is not None
    shorten_a_track(mot)
    assert warmed.idle(30)
    forbid_builds(monkeypatch)
    with mot.cursor() as cur:
        after = track_index(cur, dataset_id)
        assert after is not None and after.token == index_token(cur, dataset_id)
        assert after.token != before.token
        # the objects' answer under a bound is the index's, not the SQL fallback (None)
        (label,) = parse_filter(BOUND).labels
        assert track_length_objects(cur, dataset_id, label, Params()) is not None
    queries.facets(mot, "mot", BOUND)  # the facets find it too


def test_a_dataset_without_video_frames_gets_no_track_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    images = tmp_path / "images"
    (images / "cat").mkdir(parents=True)
    for k in range(3):
        (images / "cat" / f"{k}.jpg").write_bytes(tiny_jpeg())
    with Catalog(tmp_path / "vl") as catalog:
        ingest(catalog, "stills", images, fmt="classification")
        warmer = IndexWarmer(catalog)
        forbid_builds(monkeypatch)
        with catalog.cursor() as cur:
            video_track_index.warm(catalog, cur, catalog.dataset_id(cur, "stills"))
        assert warmer.idle(30)
