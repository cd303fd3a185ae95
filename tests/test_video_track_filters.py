"""The ``video_tracks`` and ``track_length`` filters and the sort by ``video_tracks``
answered from memory (``importing/video_track_masks.py``: the track index as the planner's
backends; a held order of the sort) equal their SQL definition (``forced_sql``): pages,
exact counts, facets under the filter, the sort's order with its ties, also after a tag
and an edit of a track, and the SQL answers when the index is stale."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.ingest_fixtures import ingest, ingest_predictions
from tests.video_fixtures import write_mot
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.indexes.box_index import box_index
from visionlens_jlab.catalog.plan.object_matches import object_match
from visionlens_jlab.catalog.plan.planner import Held, Strategy, forced_sql, mask_steps, plan_page
from visionlens_jlab.catalog.plan.sorted_pages import sorted_page
from visionlens_jlab.catalog.query.filter_parser import parse_filter
from visionlens_jlab.catalog.query.filters import Params
from visionlens_jlab.catalog.query.sample_sort import parse_sample_sort
from visionlens_jlab.catalog.reads import queries
from visionlens_jlab.catalog.reads.object_pages import patches_page
from visionlens_jlab.catalog.reads.patch_query import PatchQuery
from visionlens_jlab.catalog.writes.sample_tags import update_tags
from visionlens_jlab.edits.engine import apply_edits
from visionlens_jlab.importing import video_track_masks
from visionlens_jlab.importing.track_tiles import track_tiles
from visionlens_jlab.importing.video_track_index import track_index

GT = "ground_truth"


@pytest.fixture
def mot(tmp_path: Path) -> Iterator[Catalog]:
    """Four videos (two of them with as many tracks: ties in the sort) and a tracker's
    results on two of them (its own tracks, of other lengths)."""
    root = tmp_path / "mot"
    write_mot(root / "train", {"A": 30, "B": 20}, tracks=6, seed=1)
    write_mot(root / "train", {"C": 12}, tracks=2, seed=2)
    write_mot(root / "train", {"D": 16}, tracks=9, seed=3)
    catalog = Catalog(tmp_path / "vl")
    ingest(catalog, "mot", root)
    (tmp_path / "trk").mkdir()
    for seq, first in (("A", 1), ("C", 3)):  # one identity per 5 frames: tracks of 5 or less
        rows = [f"{f},{f // 5 + 1},{f},2,8,8,0.9,-1,-1,-1" for f in range(first, 13)]
        (tmp_path / "trk" / f"{seq}.txt").write_text("\n".join(rows) + "\n")
    ingest_predictions(catalog, "mot", "trk", tmp_path / "trk", fmt="mot")
    yield catalog
    catalog.close()


def _tracks(bounds: dict[str, Any], source: str | None = GT) -> dict[str, Any]:
    return {"labels": {"source": source, "where": {"track_length": bounds}}}


SPECS: list[dict[str, Any]] = [
    {"sample": {"video_tracks": {"min": 6}}},
    {"sample": {"video_tracks": {"max": 5.5}}},
    {"sample": {"video_tracks": {"min": 3, "max": 6}}},
    {"sample": {"video_tracks": {"min": 40}}},
    _tracks({"max": 10}),
    _tracks({"min": 11.5}),
    _tracks({"min": 4, "max": 5}, "trk"),
    _tracks({"max": 3}, "predictions"),
    _tracks({"min": 5}, None),
    _tracks({"max": 5}, "nope"),
    {
        **_tracks({"max": 12}),
        "sample": {"video_tracks": {"min": 3}, "fields.frame_number": {"max": 9}},
    },
    {"sample": {"video_tracks": {"min": 3}}, "labels": [_tracks({"min": 8})["labels"]]},
]


def _answers(catalog: Catalog, spec: dict[str, Any] | None, sort: str | None = None) -> Any:
    """Pages (three offsets, both directions when sorted), the count and the facets."""
    out: list[Any] = []
    for offset in (0, 7, 40):
        for order in ("asc", "desc") if sort else ("asc",):
            catalog.results.clear()  # each answer computed, not the other path's cached one
            page = queries.samples_page(
                catalog, "mot", spec, offset=offset, limit=25, sort=sort, order=order,
                include_annotations=False,
            )  # fmt: skip
            out.append((page["total"], [s["sample_id"] for s in page["samples"]]))
    catalog.results.clear()
    out.append(queries.samples_page(catalog, "mot", spec, limit=0)["total"])
    catalog.results.clear()
    out.append(queries.facets(catalog, "mot", spec))
    return out


def _same_as_sql(catalog: Catalog, spec: dict[str, Any] | None, sort: str | None = None) -> Any:
    indexed = _answers(catalog, spec, sort)
    with forced_sql():
        assert indexed == _answers(catalog, spec, sort), (spec, sort)
    return indexed


def _backend_masks(catalog: Catalog, spec: dict[str, Any]) -> list[np.ndarray | None]:
    """Each backend step's mask of ``spec``'s conditions, as the mask route calls it."""
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, "mot")
        boxes = box_index(catalog, cur, dataset_id)
        assert boxes is not None
        steps = [s for s in mask_steps(parse_filter(spec), Held()) if s.backend is not None]
        return [
            s.backend.mask(cur, dataset_id, s.parts[0], boxes.samples, boxes.token)
            for s in steps
            if s.backend is not None
        ]


def _sql_mask(catalog: Catalog, spec: dict[str, Any]) -> np.ndarray:
    """The samples the SQL definition keeps, as a mask over the box index's samples."""
    with forced_sql():
        page = queries.samples_page(catalog, "mot", spec, limit=1000, include_annotations=False)
    with catalog.cursor() as cur:
        boxes = box_index(catalog, cur, catalog.dataset_id(cur, "mot"))
    assert boxes is not None
    mask = boxes.mask_of(np.array([s["sample_id"] for s in page["samples"]], dtype=np.int64))
    assert mask is not None
    return mask


@pytest.mark.parametrize("spec", SPECS)
def test_the_track_index_answers_what_the_sql_answers(mot: Catalog, spec: dict[str, Any]) -> None:
    """Every bound of the two fields is a backend step answered in memory (not handed to
    SQL), its mask the SQL's samples; pages, counts and facets equal the SQL's."""
    flt = parse_filter(spec)
    backends = [s for s in mask_steps(flt, Held()) if s.strategy is Strategy.BACKEND]
    assert {s.backend.name for s in backends if s.backend is not None} == {"track index"}
    assert len(backends) == len(flt.sample) - ("fields.frame_number" in str(spec)) + len(flt.labels)
    masks = _backend_masks(mot, spec)
    assert masks and all(m is not None for m in masks)
    combined = np.logical_and.reduce([m for m in masks if m is not None])
    if "fields.frame_number" not in str(spec):
        assert np.array_equal(combined, _sql_mask(mot, spec))
    _same_as_sql(mot, spec)


def test_other_shapes_are_left_to_the_sql(mot: Catalog) -> None:
    """``is_null``, ``eq``, classes beside ``track_length``: no mask, the SQL answers."""
    for spec in (
        {"sample": {"video_tracks": {"is_null": False}}},
        {"sample": {"video_tracks": {"eq": 6}}},
        {"labels": {"source": GT, "classes": ["car"], "where": {"track_length": {"max": 9}}}},
    ):
        assert _backend_masks(mot, spec) in ([], [None])
        _same_as_sql(mot, spec)


@pytest.mark.parametrize(
    "spec", [None, SPECS[2], SPECS[4], {"sample": {"fields.video": {"in": ["A", "B"]}}}]
)
def test_the_sort_by_video_tracks_is_held_and_orders_as_the_sql(
    mot: Catalog, spec: dict[str, Any] | None
) -> None:
    """A held order answers the sort (ties by sample id, both directions, any offset)."""
    for order in ("asc", "desc"):
        by = parse_sample_sort("video_tracks", order)
        assert by.held
        assert plan_page(parse_filter(spec), by, order).strategies[0] is Strategy.MASK
        with mot.cursor() as cur:
            dataset_id = mot.dataset_id(cur, "mot")
            found = sorted_page(mot, cur, dataset_id, parse_filter(spec), by, 5, 40)
        assert found is not None  # the held order, not the SQL
        with forced_sql():
            page = queries.samples_page(
                mot, "mot", spec, offset=5, limit=40, sort=by, include_annotations=False
            )
        assert found == (page["total"], [s["sample_id"] for s in page["samples"]])
    answers = _same_as_sql(mot, spec, "video_tracks")
    assert len(set(answers[0][1])) == len(answers[0][1]) > 0


def _delete_object_of(catalog: Catalog, source: str, video: str) -> None:
    """Delete one tracked object of ``source`` on a frame of ``video``: its track shortens."""
    with catalog.cursor() as cur:
        found = cur.execute(
            "SELECT a.ann_id FROM annotations a JOIN samples s USING (sample_id) "
            "WHERE a.source = ? AND a.track_id IS NOT NULL AND s.fields->>'video' = ? "
            "ORDER BY a.ann_id LIMIT 1",
            [source, video],
        ).fetchone()
    assert found is not None
    apply_edits(catalog, "mot", [{"op": "delete", "annotation_id": int(found[0])}], "tester")


def test_a_tag_keeps_the_index_and_an_edit_of_a_track_renews_it(mot: Catalog) -> None:
    specs = [SPECS[0], SPECS[6], _tracks({"max": 4}, "trk")]
    before = [_same_as_sql(mot, spec) for spec in specs]
    sorted_before = _same_as_sql(mot, None, "video_tracks")
    with mot.cursor() as cur:
        held = track_index(cur, mot.dataset_id(cur, "mot"))
    update_tags(mot, "mot", {"sample": {"video_tracks": {"min": 6}}}, add=["crowded"])
    tagged = {"tags": {"any": ["crowded"]}, **_tracks({"max": 10})}
    _same_as_sql(mot, tagged)
    assert [_same_as_sql(mot, spec)[:-1] for spec in specs] == [b[:-1] for b in before]
    with mot.cursor() as cur:
        assert track_index(cur, mot.dataset_id(cur, "mot")) is held  # a tag changes no track
    # the trk tracks on C are 2, 5 and 3 frames long: the first one loses an object
    _delete_object_of(mot, "trk", "C")
    after = [_same_as_sql(mot, spec) for spec in specs]
    assert after[2][-2] != before[2][-2]  # the count the edit changed, from the new index
    with mot.cursor() as cur:
        assert track_index(cur, mot.dataset_id(cur, "mot")) is not held
    _same_as_sql(mot, None, "video_tracks")
    assert sorted_before  # the first order, sorted before the edit, is not served after it


def test_a_stale_index_falls_back_to_the_sql(mot: Catalog, monkeypatch: pytest.MonkeyPatch) -> None:
    """An index of other rows than the box index's (a write between the two reads) answers
    nothing: the SQL does, with the rows as they are now."""
    spec = _tracks({"max": 4}, "trk")
    with mot.cursor() as cur:
        stale = track_index(cur, mot.dataset_id(cur, "mot"))
    assert stale is not None
    stale_total = _same_as_sql(mot, spec)[-2]
    _delete_object_of(mot, "trk", "C")
    monkeypatch.setattr(video_track_masks, "track_index", lambda cur, dataset_id: stale)
    assert _backend_masks(mot, spec) == [None]
    assert _backend_masks(mot, SPECS[0]) == [None]
    assert "track_id IN" not in _object_match(mot, spec)  # the objects' flags too
    total = _same_as_sql(mot, spec)[-2]
    assert total != stale_total


def test_a_sample_of_no_video_meets_no_bound(mot: Catalog) -> None:
    """A sample that is no video's frame has no ``video_tracks`` (NULL): no bound keeps it."""
    with mot.cursor() as cur:
        (sample_id,) = cur.execute("SELECT MIN(sample_id) FROM video_frames").fetchone() or (0,)
        cur.execute("DELETE FROM video_frames WHERE sample_id = ?", [sample_id])
    _delete_object_of(mot, "trk", "A")  # a write renewing the token: a new index of the rows
    spec = {"sample": {"video_tracks": {"max": 5.5}}}
    (mask,) = _backend_masks(mot, spec)
    assert mask is not None and np.array_equal(mask, _sql_mask(mot, spec))
    nulls = {"sample": {"video_tracks": {"is_null": True}}}
    assert queries.samples_page(mot, "mot", nulls, limit=0)["total"] == 1
    _same_as_sql(mot, spec, "video_tracks")


def _object_match(catalog: Catalog, spec: dict[str, Any]) -> str:
    with catalog.cursor() as cur:
        sql = object_match(cur, catalog.dataset_id(cur, "mot"), parse_filter(spec), Params())
    assert sql is not None
    return sql


@pytest.mark.parametrize("spec", SPECS[4:])
def test_the_views_of_objects_flag_them_from_the_track_index(
    mot: Catalog, spec: dict[str, Any]
) -> None:
    """A ``track_length`` bound is compiled over each object as its track among the index's
    tracks within the bounds (no correlated count of every tracked object of the dataset),
    for each view that shows objects: the samples page's box flags, the patches view and the
    track tiles equal the SQL's."""
    sql = _object_match(mot, spec)
    # from memory ("nope" has no tracks: no object meets it)
    assert ("track_id IN" in sql or sql == "(false)") and "track_id = a.track_id" not in sql
    answers = []
    for forced in (False, True):
        with forced_sql() if forced else nullcontext():
            out = []
            for offset in (0, 7):
                mot.results.clear()
                out.append(queries.samples_page(mot, "mot", spec, offset=offset, limit=25))
                for source in (GT, "trk"):
                    q = PatchQuery(source=source, offset=offset, limit=40)
                    out.append(patches_page(mot, "mot", spec, q))
                    model = None if source == GT else source
                    out.append(track_tiles(mot, "mot", spec, model=model, offset=offset))
            answers.append(out)
    assert answers[0] == answers[1]
    flags = [a["match"] for p in answers[0][::5] for s in p["samples"] for a in s["annotations"]]
    assert any(flags) or SPECS.index(spec) == 9  # "nope": a source with no box
    objects = [len(p["objects"]) for p in answers[0][1::5] + answers[0][3::5]]
    assert any(objects) or SPECS.index(spec) == 9


def _vary_videos(catalog: Catalog) -> None:
    """Give the videos frame rates with ties and NULLs (C: unknown, so no duration) and
    make one frame of A no video's frame (NULL in every ``video_<name>``)."""
    with catalog.cursor() as cur:
        for name, fps in (("A", 25.0), ("B", 30.0), ("C", None), ("D", 30.0)):
            cur.execute(
                "UPDATE videos SET fps = ?, duration = num_frames / ? WHERE name = ?",
                [fps, fps, name],
            )
        cur.execute(
            "DELETE FROM video_frames WHERE sample_id = (SELECT MIN(f.sample_id) "
            "FROM video_frames f JOIN videos v USING (dataset_id, video_id) WHERE v.name = 'A')"
        )
    _delete_object_of(catalog, "trk", "A")  # a write renewing the token: orders of the rows


@pytest.mark.parametrize("field", ["video_num_frames", "video_duration", "video_fps"])
@pytest.mark.parametrize("spec", [None, SPECS[2], SPECS[4]])
def test_the_video_fields_sort_from_held_orders(
    mot: Catalog, field: str, spec: dict[str, Any] | None
) -> None:
    """``video_num_frames``, ``video_duration`` and ``video_fps`` sort from a held order in
    the SQL's order: ties by sample id, NULLs last in both directions, at any offset."""
    _vary_videos(mot)
    for order in ("asc", "desc"):
        by = parse_sample_sort(field, order)
        assert by.held
        assert plan_page(parse_filter(spec), by, order).strategies[0] is Strategy.MASK
        for offset in (0, 30, 60):
            with mot.cursor() as cur:
                dataset_id = mot.dataset_id(cur, "mot")
                found = sorted_page(mot, cur, dataset_id, parse_filter(spec), by, offset, 40)
            assert found is not None  # the held order, not the SQL
            with forced_sql():
                page = queries.samples_page(
                    mot, "mot", spec, offset=offset, limit=40, sort=by, include_annotations=False
                )
            assert found == (page["total"], [s["sample_id"] for s in page["samples"]])
    _same_as_sql(mot, spec, field)
