"""Videos, frames and tracks in the notebook (``ds.videos()``, ``ds.frames()``,
``ds.tracks()``), run in a real kernel against a real Jupyter server whose catalog holds
MOT sequences; the rows are checked against the ``gt.txt`` files read with pandas."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tests.ingest_fixtures import ingest
from tests.notebook_fixtures import running_kernel
from tests.test_video_facets import gt_rows, three_sequences


@pytest.fixture
def mot(vl_app: Any, http_server_client: Any, tmp_path: Path) -> pd.DataFrame:
    """The sequences of :func:`tests.test_video_facets.three_sequences` in the server's catalog, and
    their gt rows (``http_server_client``: the server listens, so kernels reach it)."""
    root = three_sequences(tmp_path / "mot")
    ingest(vl_app.catalog, "mot", root)
    return gt_rows(root)


async def test_videos_and_tracks_routes(api: Any, mot: pd.DataFrame) -> None:
    status, answer = await api("GET", "datasets/mot/videos")
    assert status == 200
    tracks = mot.groupby("seq")["id"].nunique()
    assert [(v["name"], v["tracks"]) for v in answer["videos"]] == list(tracks.items())
    status, answer = await api("GET", "datasets/mot/tracks", params={"video": "C"})
    assert status == 200 and len(answer["tracks"]) == tracks["C"]
    for params, code, needle in (
        ({"model": "nope"}, 400, "unknown model 'nope' (models of this dataset: none)"),
        ({"video": "Z"}, 404, "no video named 'Z'"),
    ):
        status, answer = await api("GET", "datasets/mot/tracks", params=params)
        assert status == code and needle in answer["message"], answer
    status, answer = await api("GET", "datasets/nope/videos")
    assert status == 404


async def test_videos_frames_and_tracks_in_a_kernel(mot: pd.DataFrame) -> None:
    async with running_kernel() as k:
        out = await k.check(
            "import json, visionlens_jlab.notebook as vl\n"
            "ds = vl.dataset('mot')\n"
            "v = ds.videos()\n"
            "t = ds.tracks()\n"
            "b = ds.frames('B')\n"
            "short = ds.frames(filter={'labels': {'source': 'ground_truth',\n"
            "    'where': {'track_length': {'max': 5}}}})\n"
            "crowded = ds.frames(filter={'sample': {'video_tracks': {'min': 3}}})\n"
            "print(json.dumps({'videos': v[['name', 'num_frames', 'tracks']].values.tolist(),\n"
            "  'v_cols': v.columns.tolist(), 'width': str(v.width.dtype),\n"
            "  'tracks': t[['video', 'source_id', 'first_frame', 'last_frame', 'length',\n"
            "     'span']].values.tolist(), 't_cols': t.columns.tolist(),\n"
            "  'c_tracks': len(ds.tracks(video='C')),\n"
            "  'b': b[['video', 'frame_number']].values.tolist(), 'b_cols': b.columns[:3].tolist(),\n"
            "  'short': short[['video', 'frame_number']].values.tolist(),\n"
            "  'crowded': len(crowded)}, default=int))\n"
        )
        got = json.loads(out)
        err = await k.execute("ds.frames('B', filter={'sample': {'fields.video': {'eq': 'A'}}})")
        assert "give the video either as video= or" in (err["error"] or "")
        err = await k.execute("ds.tracks(model='nope')")
        assert "unknown model 'nope'" in (err["error"] or "")
    tracks = mot.groupby("seq")["id"].nunique()
    assert got["videos"] == [["A", 30, tracks["A"]], ["B", 20, tracks["B"]], ["C", 12, 2]]
    assert got["v_cols"][:3] == ["video_id", "name", "location"] and got["width"] == "Int64"
    assert got["t_cols"] == [
        "video", "video_id", "track_id", "source_id", "label", "first_frame", "last_frame",
        "length", "span",
    ]  # fmt: skip
    expected = sorted(
        [seq, str(i), int(g.frame.min()), int(g.frame.max()), len(g),
         int(g.frame.max() - g.frame.min() + 1)]
        for (seq, i), g in mot.groupby(["seq", "id"])
    )  # fmt: skip
    assert sorted(got["tracks"]) == expected
    assert got["c_tracks"] == tracks["C"]
    assert got["b"] == [["B", n] for n in range(1, 21)]
    assert got["b_cols"] == ["sample_id", "video", "frame_number"]
    short = mot[mot.length <= 5]
    assert sorted(map(tuple, got["short"])) == sorted(
        {(s, int(f)) for s, f in zip(short.seq, short.frame, strict=True)}
    )
    assert got["crowded"] == sum(n for s, n in (("A", 30), ("B", 20), ("C", 12)) if tracks[s] >= 3)
