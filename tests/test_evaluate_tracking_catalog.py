"""`visionlens evaluate NAME --model M --tracking` on an ingested MOT dataset: the same
report as the engine on the same MOT files (which equals TrackEval: test_evaluate_tracking),
through the catalog, the CLI and the server's route; refusals name what is missing."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from tests.ingest_fixtures import ingest, ingest_predictions
from tests.test_ingest_exports import cli
from tests.video_fixtures import MotSequence, write_mot
from visionlens_jlab.catalog import Catalog, CatalogError
from visionlens_jlab.evaluate.tracking import evaluate_tracking, read_mot_folders
from visionlens_jlab.evaluate.tracking.catalog_sequences import evaluate_dataset_tracking


def write_tracker(folder: Path, seqs: list[MotSequence], seed: int) -> None:
    """A tracker's output: the ground truth with misses, jitter, an id switch mid-way per
    sequence and false positives."""
    rng = random.Random(seed)
    folder.mkdir()
    for s in seqs:
        lines = []
        for frame, track, x, y, w, h, *_ in s.rows:
            if rng.random() < 0.15:
                continue
            ident = track + 100 if frame > s.frames // 2 and track == 1 else track
            dx, dy = rng.uniform(-2, 2), rng.uniform(-2, 2)
            lines.append(f"{frame},{ident},{x + dx},{y + dy},{w},{h},0.9,-1,-1,-1")
        for frame in range(1, s.frames + 1, 3):
            lines.append(
                f"{frame},{500 + frame},{rng.randint(0, 50)},{rng.randint(0, 38)},8,9,0.3,-1,-1,-1"
            )
        (folder / f"{s.name}.txt").write_text("\n".join(lines) + "\n")


@pytest.fixture
def mot(tmp_path: Path) -> dict[str, Any]:
    seqs = write_mot(tmp_path / "mot", {"S1": 30, "S2": 20}, tracks=6, seed=2)
    write_tracker(tmp_path / "trk", seqs, seed=4)
    data = tmp_path / "vl"
    with Catalog(data) as catalog:
        ingest(catalog, "m", tmp_path / "mot")
        ingest_predictions(catalog, "m", "trk", tmp_path / "trk", fmt="mot")
    return {"data": data, "gt": tmp_path / "mot", "results": tmp_path / "trk"}


def test_the_catalog_report_equals_the_files_report(mot: dict[str, Any]) -> None:
    expected = evaluate_tracking(read_mot_folders(mot["gt"], mot["results"])).to_dict()
    with Catalog(mot["data"]) as catalog:
        got = evaluate_dataset_tracking(catalog, "m", "trk")
    assert got["protocol"] == "mot-challenge" and got["model"] == "trk"
    assert got["tracking"]["num_switches"] >= 1 and got["tracking"]["num_false_positives"] > 0
    assert got["tracking"] == pytest.approx(expected["tracking"], abs=1e-9)
    for name in ("S1", "S2"):
        assert got["sequences"][name] == pytest.approx(expected["sequences"][name], abs=1e-9)


def test_the_cli_prints_the_report_and_refuses_what_has_no_tracks(mot: dict[str, Any]) -> None:
    out = cli(mot["data"], "evaluate", "m", "--model", "trk", "--tracking")
    assert set(out) >= {"tracking", "sequences", "trackeval", "protocol"} and "text" not in out
    assert {"MOTA", "IDF1", "HOTA", "DetA", "AssA", "num_switches"} <= set(out["tracking"])
    with Catalog(mot["data"]) as catalog:
        with pytest.raises(CatalogError, match="no tracked objects"):
            evaluate_dataset_tracking(catalog, "m", "nope")


async def test_the_server_route_answers_the_same_report(
    api: Any, vl_app: Any, tmp_path: Path
) -> None:
    seqs = write_mot(tmp_path / "mot", {"S1": 12}, tracks=4, seed=7)
    write_tracker(tmp_path / "trk", seqs, seed=1)
    ingest(vl_app.catalog, "m", tmp_path / "mot")
    ingest_predictions(vl_app.catalog, "m", "trk", tmp_path / "trk", fmt="mot")
    status, body = await api("POST", "datasets/m/tracking", {"model": "trk"})
    assert status == 200, body
    expected = evaluate_tracking(read_mot_folders(tmp_path / "mot", tmp_path / "trk")).to_dict()
    assert body["tracking"] == pytest.approx(expected["tracking"], abs=1e-9)
    status, body = await api("POST", "datasets/m/tracking", {"model": "nope"})
    assert status == 400 and "no tracked objects" in body["message"]
