"""Track- and video-level filters and facets (``track_length``, ``video_tracks``...) and the
rows of videos and tracks, on catalogs ingested from real MOT sequences: every count is
checked against one computed here from the ``gt.txt`` files with pandas."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from tests.ingest_fixtures import ingest, ingest_predictions, tiny_jpeg
from tests.video_fixtures import write_mot
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.base.errors import NotFoundError
from visionlens_jlab.catalog.plan.planner import forced_sql
from visionlens_jlab.catalog.query.filters import FilterError
from visionlens_jlab.catalog.reads import queries
from visionlens_jlab.catalog.reads.object_pages import patches_page
from visionlens_jlab.catalog.reads.patch_query import PatchQuery
from visionlens_jlab.edits.engine import apply_edits
from visionlens_jlab.importing.video_reads import track_rows, video_rows
from visionlens_jlab.importing.video_track_index import track_index

GT = "ground_truth"
COLUMNS = ["frame", "id", "x", "y", "w", "h", "conf", "cls", "vis"]


def three_sequences(root: Path) -> Path:
    """Three sequences with different numbers of tracks (6, 6 and 2)."""
    write_mot(root / "train", {"A": 30, "B": 20}, tracks=6, seed=1)
    write_mot(root / "train", {"C": 12}, tracks=2, seed=2)
    return root


def gt_rows(root: Path) -> pd.DataFrame:
    """Every gt row of every sequence, read back from the files, with its track's length."""
    parts = []
    for gt in sorted(root.glob("train/*/gt/gt.txt")):
        rows = pd.read_csv(gt, header=None, names=COLUMNS)
        rows["seq"] = gt.parent.parent.name
        parts.append(rows)
    rows = pd.concat(parts, ignore_index=True)
    rows["length"] = rows.groupby(["seq", "id"])["id"].transform("size")
    rows["video_tracks"] = rows.groupby("seq")["id"].transform("nunique")
    return rows


def _frames(catalog: Catalog, spec: dict[str, Any]) -> set[tuple[str, int]]:
    """(sequence, frame) of every sample ``spec`` keeps, checked against its count, and
    the same through the planner's routes and the compiled SQL alone."""
    page = queries.samples_page(catalog, "mot", spec, limit=1000, include_annotations=False)
    with forced_sql():
        alone = queries.samples_page(catalog, "mot", spec, limit=0)["total"]
    found = {(s["fields"]["video"], int(s["fields"]["frame_number"])) for s in page["samples"]}
    assert page["total"] == alone == len(found)
    return found


def _facet(answer: dict[str, Any], name: str, source: str | None = None) -> dict[str, Any]:
    return next(f for f in answer["facets"] if f["name"] == name and f.get("source") == source)


def _histogram(values: np.ndarray, lo: float, hi: float) -> list[int]:
    """The facets' 20 bins of ``lo .. hi`` counted here (the last one closed)."""
    if hi == lo:
        return [len(values)]
    edges = lo + np.arange(21) * ((hi - lo) / 20)
    return [int(n) for n in np.histogram(values, bins=edges)[0]]


@pytest.fixture
def mot(tmp_path: Path) -> Iterator[tuple[Catalog, pd.DataFrame]]:
    root = three_sequences(tmp_path / "mot")
    catalog = Catalog(tmp_path / "vl")
    ingest(catalog, "mot", root)
    yield catalog, gt_rows(root)
    catalog.close()


@pytest.mark.parametrize("bounds", [(None, 3), (4, 10), (11, None), (7, 7), (1, 1000)])
def test_track_length_keeps_the_frames_of_tracks_of_that_length(
    mot: tuple[Catalog, pd.DataFrame], bounds: tuple[int | None, int | None]
) -> None:
    catalog, gt = mot
    lo, hi = bounds
    cond = {k: v for k, v in (("min", lo), ("max", hi)) if v is not None}
    kept = gt[(gt.length >= (lo or 0)) & (gt.length <= (hi or 10**9))]
    expected = set(zip(kept.seq, kept.frame.astype(int), strict=True))
    spec = {"labels": {"source": GT, "where": {"track_length": cond}}}
    assert _frames(catalog, spec) == expected
    assert 0 < len(expected) or bounds == (7, 7)
    # the facet counts the tracked objects of the kept frames, binned over their range
    on_frames = gt.merge(kept[["seq", "frame"]].drop_duplicates(), on=["seq", "frame"])
    facet = _facet(queries.facets(catalog, "mot", spec), "track_length", GT)
    assert facet["count"] == len(on_frames)
    assert facet["filter"] == {"path": "labels.where", "key": "track_length"}
    assert facet["unit"] == "objects"
    if len(on_frames):
        lo_v, hi_v = on_frames.length.min(), on_frames.length.max()
        assert (facet["min"], facet["max"]) == (lo_v, hi_v)
        counts = [b["count"] for b in facet["histogram"]]
        assert counts == _histogram(on_frames.length.to_numpy(float), lo_v, hi_v)


def test_video_tracks_filters_and_facets_frames_by_their_videos_tracks(
    mot: tuple[Catalog, pd.DataFrame],
) -> None:
    catalog, gt = mot
    tracks = gt.groupby("seq")["id"].nunique().to_dict()
    frames = {"A": 30, "B": 20, "C": 12}
    assert tracks["C"] == 2 and tracks["A"] > 2
    spec = {"sample": {"video_tracks": {"min": 3}}}
    expected = {(s, f) for s, n in frames.items() if tracks[s] >= 3 for f in range(1, n + 1)}
    assert _frames(catalog, spec) == expected
    # multi-pick: the facet of the filter's own field counts every frame's video
    facet = _facet(queries.facets(catalog, "mot", spec), "video_tracks")
    assert facet["count"] == sum(frames.values())
    assert (facet["min"], facet["max"]) == (min(tracks.values()), max(tracks.values()))
    assert facet["filter"] == {"path": "sample", "key": "video_tracks"}
    whole = _facet(queries.facets(catalog, "mot", None), "video_tracks")
    assert whole["histogram"] == facet["histogram"]
    low = [b for b in whole["histogram"] if b["lo"] <= 2 < b["hi"] or b["lo"] == 2]
    assert low[0]["count"] == frames["C"]
    # the videos' own fields: frames of videos of at least 20 frames, of a frame rate
    assert len(_frames(catalog, {"sample": {"video_num_frames": {"min": 20}}})) == 50
    assert len(_frames(catalog, {"sample": {"video_fps": {"eq": 30}}})) == 62
    assert len(_frames(catalog, {"sample": {"video_duration": {"max": 0.5}}})) == 12
    # a sort by the field: the crowded videos' frames first, then by sample id
    page = queries.samples_page(catalog, "mot", None, limit=62, sort="video_tracks", order="asc")
    first = [s["fields"]["video"] for s in page["samples"]]
    assert first[:12] == ["C"] * 12


def _video_entries(catalog: Catalog, spec: dict[str, Any] | None) -> list[dict[str, Any]]:
    catalog.results.clear()  # each answer computed, not the other path's cached one
    answer = queries.facets(catalog, "mot", spec)
    return [f for f in answer["facets"] if f["name"] in ("video_tracks", "track_length")]


def test_the_track_index_counts_what_the_sql_counts(
    tmp_path: Path, mot: tuple[Catalog, pd.DataFrame]
) -> None:
    """The facets counted from the in-memory track index (``importing/video_track_index``)
    equal the SQL's (the reference, ``forced_sql``) on every kind of filter, with a model's
    tracks beside the ground truth's; a write that changes boxes renews the index."""
    catalog, gt = mot
    a = gt[gt.seq == "A"]
    rows = [f"{f},{i + 50},{x + 1},{y},{w},{h},0.9,-1,-1,-1" for f, i, x, y, w, h in
            zip(a.frame, a.id, a.x, a.y, a.w, a.h, strict=True)]  # fmt: skip
    (tmp_path / "trk").mkdir()
    (tmp_path / "trk" / "A.txt").write_text("\n".join(rows) + "\n")
    ingest_predictions(catalog, "mot", "trk", tmp_path / "trk", fmt="mot")
    specs: list[dict[str, Any] | None] = [
        None,
        {"sample": {"video_tracks": {"min": 3}}},
        {"labels": {"source": GT, "where": {"track_length": {"max": 10}}}},
        {"sample": {"fields.video": {"in": ["A", "C"]}, "fields.frame_number": {"max": 9}}},
        {"labels": {"source": "trk", "score": {"min": 0.5}}},
        {"ids": []},
    ]
    for spec in specs:
        indexed = _video_entries(catalog, spec)
        with forced_sql():
            assert indexed == _video_entries(catalog, spec), spec
    with catalog.cursor() as cur:
        held = track_index(cur, catalog.dataset_id(cur, "mot"))
    assert held is not None and held.sources == (GT, "trk")
    # an edit of a box: a new token, a new index, the new counts
    with catalog.cursor() as cur:
        (ann,) = cur.execute(
            "SELECT ann_id FROM annotations WHERE source = ? AND track_id IS NOT NULL LIMIT 1",
            [GT],
        ).fetchone() or (None,)
    apply_edits(catalog, "mot", [{"op": "delete", "annotation_id": int(ann)}], "tester")
    after = _video_entries(catalog, None)
    with forced_sql():
        assert after == _video_entries(catalog, None)
    with catalog.cursor() as cur:
        assert track_index(cur, catalog.dataset_id(cur, "mot")) is not held


def test_a_model_has_its_own_tracks_and_an_edit_shortens_a_track_at_once(
    tmp_path: Path, mot: tuple[Catalog, pd.DataFrame]
) -> None:
    catalog, gt = mot
    results = tmp_path / "tracker"
    results.mkdir()
    # the tracker splits every identity in two at frame 10: the halves are its tracks
    for seq, rows in gt.groupby("seq"):
        ids = rows.id * 2 + (rows.frame >= 10)
        lines = [
            f"{f},{i},{x},{y},{w},{h},0.9,-1,-1,-1"
            for f, i, x, y, w, h in zip(
                rows.frame, ids, rows.x, rows.y, rows.w, rows.h, strict=True
            )
        ]
        (results / f"{seq}.txt").write_text("\n".join(lines) + "\n")
    ingest_predictions(catalog, "mot", "trk", results, fmt="mot")
    gt["half"] = gt.id * 2 + (gt.frame >= 10)
    gt["trk_length"] = gt.groupby(["seq", "half"])["half"].transform("size")
    kept = gt[gt.trk_length <= 5]
    spec = {"labels": {"source": "trk", "where": {"track_length": {"max": 5}}}}
    assert _frames(catalog, spec) == set(zip(kept.seq, kept.frame.astype(int), strict=True))
    facets = queries.facets(catalog, "mot", None)
    assert _facet(facets, "track_length", "trk")["count"] == len(gt)
    assert _facet(facets, "track_length", GT)["count"] == len(gt)
    model = track_rows(catalog, "mot", "trk")
    assert sorted(r["length"] for r in model) == sorted(gt.groupby(["seq", "half"]).size().tolist())
    # deleting the first object of the longest ground-truth track: one frame shorter at once
    longest = gt.sort_values(["length", "seq", "id"]).iloc[-1]
    seq, ident, n = str(longest.seq), int(longest.id), int(longest.length)
    first = int(gt[(gt.seq == seq) & (gt.id == ident)].frame.min())
    with catalog.cursor() as cur:
        ann = cur.execute(
            "SELECT a.ann_id FROM annotations a JOIN samples s USING (sample_id) "
            "WHERE a.source = 'ground_truth' AND a.source_ann_id = ? AND s.location = ?",
            [str(ident), str(Path(catalog_root(catalog)) / seq / "img1" / f"{first:06d}.jpg")],
        ).fetchall()
    assert len(ann) == 1
    apply_edits(catalog, "mot", [{"op": "delete", "annotation_id": int(ann[0][0])}], "tester")
    after = gt[~((gt.seq == seq) & (gt.id == ident) & (gt.frame == first))].copy()
    after["length"] = after.groupby(["seq", "id"])["id"].transform("size")
    for length in (n, n - 1):
        kept = after[after.length == length]
        spec = {"labels": {"source": GT, "where": {"track_length": {"min": length, "max": length}}}}
        assert _frames(catalog, spec) == set(zip(kept.seq, kept.frame.astype(int), strict=True))
    assert (seq, first + 1, n - 1) in {
        (r["video"], r["first_frame"], r["length"]) for r in track_rows(catalog, "mot", None, seq)
    }


def catalog_root(catalog: Catalog) -> Path:
    """The folder of the sequences the fixture ingested (beside the catalog's folder)."""
    with catalog.cursor() as cur:
        location = cur.execute("SELECT location FROM videos ORDER BY video_id LIMIT 1").fetchone()
    assert location is not None
    return Path(location[0]).parent


def test_video_and_track_rows_match_the_files(mot: tuple[Catalog, pd.DataFrame]) -> None:
    catalog, gt = mot
    videos = video_rows(catalog, "mot")
    tracks = gt.groupby("seq")["id"].nunique()
    assert [(v["name"], v["num_frames"], v["tracks"]) for v in videos] == [
        ("A", 30, tracks["A"]), ("B", 20, tracks["B"]), ("C", 12, tracks["C"]),
    ]  # fmt: skip
    assert {(v["kind"], v["fps"], v["width"], v["height"]) for v in videos} == {
        ("sequence", 30.0, 64, 48)
    }
    per_track = gt.sort_values("frame").groupby(["seq", "id"])
    expected = sorted(
        (seq, str(i), "pedestrian" if g.cls.iloc[0] == 1 else "car", int(g.frame.min()),
         int(g.frame.max()), len(g), int(g.frame.max() - g.frame.min() + 1))
        for (seq, i), g in per_track
    )  # fmt: skip
    rows = track_rows(catalog, "mot")
    got = sorted(
        (r["video"], r["source_id"], r["label"], r["first_frame"], r["last_frame"], r["length"],
         r["span"])
        for r in rows
    )  # fmt: skip
    assert got == expected
    assert len({r["track_id"] for r in rows}) == len(rows)  # unique in the dataset
    only_c = track_rows(catalog, "mot", None, "C")
    assert {r["video"] for r in only_c} == {"C"} and len(only_c) == tracks["C"]
    with pytest.raises(FilterError, match="unknown model 'nope'"):
        track_rows(catalog, "mot", "nope")
    with pytest.raises(NotFoundError, match="no video named 'Z'"):
        track_rows(catalog, "mot", None, "Z")


def test_bad_video_fields_are_clear_and_still_images_have_none(
    mot: tuple[Catalog, pd.DataFrame], tmp_path: Path
) -> None:
    catalog, _ = mot
    with pytest.raises(FilterError, match="unknown video field 'video_bogus'.*video_tracks"):
        queries.samples_page(catalog, "mot", {"sample": {"video_bogus": {"min": 1}}})
    with pytest.raises(FilterError, match="unknown label field 'track_len'"):
        queries.samples_page(catalog, "mot", {"labels": {"where": {"track_len": {"min": 1}}}})
    assert _frames(catalog, {"sample": {"video_tracks": {"is_null": True}}}) == set()
    for name in ("cat/a.jpg", "dog/b.jpg"):  # a classification tree of two images
        (tmp_path / "stills" / name).parent.mkdir(parents=True)
        (tmp_path / "stills" / name).write_bytes(tiny_jpeg(16, 16))
    ingest(catalog, "stills", tmp_path / "stills")
    names = {f["name"] for f in queries.facets(catalog, "stills", None)["facets"]}
    assert not names & {"video_tracks", "track_length"}
    assert video_rows(catalog, "stills") == track_rows(catalog, "stills") == []
    stills = {"sample": {"video_tracks": {"is_null": True}}}
    assert queries.samples_page(catalog, "stills", stills, limit=0)["total"] == 2


def test_the_patches_view_keeps_the_objects_of_short_tracks(
    mot: tuple[Catalog, pd.DataFrame],
) -> None:
    catalog, gt = mot
    spec = {"labels": {"source": GT, "where": {"track_length": {"max": 5}}}}
    page = patches_page(catalog, "mot", spec, PatchQuery(limit=1000))
    short = gt[gt.length <= 5]
    assert page["total"] == len(short) > 0
    with catalog.cursor() as cur:
        ids = cur.execute(
            "SELECT a.source_ann_id, s.fields->>'video' FROM annotations a "
            "JOIN samples s USING (sample_id) WHERE list_contains(?, a.ann_id)",
            [[p["ann_id"] for p in page["objects"]]],
        ).fetchall()
    assert sorted((v, int(i)) for i, v in ids) == sorted(
        zip(short.seq, short.id.astype(int), strict=True)
    )
