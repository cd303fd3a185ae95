"""Models on sampled frames: ``--frames every:K|fps:R|scenes`` narrows what the embedding and
model jobs read to the expected frame numbers of real encoded videos; a job cut off and run
again gets only the sampled frames it had not done; scenes are found on a video (and an
image sequence) with known cuts."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.ingest_fixtures import ingest
from tests.video_fixtures import write_scenes_sequence, write_scenes_video, write_video
from visionlens_jlab import features
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.embed.base import EmbedError
from visionlens_jlab.embed.job import EmbedOptions, run_embedding
from visionlens_jlab.embed.models import parse_model
from visionlens_jlab.embed.stream import embed_stream
from visionlens_jlab.media.confine import confine
from visionlens_jlab.media.frame_sampling import (
    FrameSampling,
    FrameSamplingError,
    parse_frames,
    sampled_items,
)
from visionlens_jlab.media.lookup import dataset_media
from visionlens_jlab.predict.base import PredictError, PredictOptions
from visionlens_jlab.predict.job import run_prediction
from visionlens_jlab.predict.stream import predict_stream
from visionlens_jlab.vectors import open_vector_store

from .predict_fixtures import save_tiny_detr

CLIPS = {"a.mp4": (23, 25), "b.mp4": (7, 10)}
"""Video files of the test dataset: ``name: (frames, fps)``."""


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Catalog]:
    """Two encoded videos (23 frames at 25 fps, 7 at 10 fps) and an image sequence of three
    scenes (no seqinfo: no frame rate), as the datasets ``clips`` and ``seqs``."""
    root = tmp_path_factory.mktemp("clips")
    (root / "videos").mkdir()
    for name, (frames, fps) in CLIPS.items():
        write_video(root / "videos" / name, frames, fps=fps, gop=6)
    write_scenes_sequence(root / "seqs" / "cuts", [9, 7, 8])
    features.load()
    with Catalog(root / "vl") as catalog:
        ingest(catalog, "clips", root / "videos", fmt="video")
        ingest(catalog, "seqs", root / "seqs", fmt="video")
        yield catalog


def frames_of(catalog: Catalog, ids: list[int]) -> dict[str, list[int]]:
    """``{video name: [frame numbers]}`` of the frame samples ``ids``."""
    with catalog.cursor() as cur:
        rows = cur.execute(
            "SELECT v.name, f.frame_number FROM video_frames f JOIN videos v "
            "ON v.dataset_id = f.dataset_id AND v.video_id = f.video_id "
            "WHERE list_contains(?, f.sample_id) ORDER BY v.name, f.frame_number",
            [ids],
        ).fetchall()
    out: dict[str, list[int]] = {}
    for name, number in rows:
        out.setdefault(name, []).append(number)
    return out


def sampled(catalog: Catalog, dataset: str, frames: str) -> dict[str, list[int]]:
    dataset_id, root, rows = dataset_media(catalog, dataset)
    items = sampled_items(
        catalog, dataset_id, root, confine(rows, root).items, parse_frames(frames)
    )
    return frames_of(catalog, [i for i, _ in items])


@pytest.mark.parametrize(
    ("frames", "expected"),
    [
        ("all", {"a.mp4": list(range(1, 24)), "b.mp4": list(range(1, 8))}),
        ("every:1", {"a.mp4": list(range(1, 24)), "b.mp4": list(range(1, 8))}),
        ("every:5", {"a.mp4": [1, 6, 11, 16, 21], "b.mp4": [1, 6]}),
        ("every:30", {"a.mp4": [1], "b.mp4": [1]}),
        # frame N is at (N - 1) / fps s: the first frame of each 1/R s interval
        ("fps:5", {"a.mp4": [1, 6, 11, 16, 21], "b.mp4": [1, 3, 5, 7]}),
        ("fps:2.5", {"a.mp4": [1, 11, 21], "b.mp4": [1, 5]}),
        ("fps:1", {"a.mp4": [1], "b.mp4": [1]}),
        ("fps:100", {"a.mp4": list(range(1, 24)), "b.mp4": list(range(1, 8))}),
    ],
)
def test_each_mode_keeps_the_expected_frame_numbers(
    clips: Catalog, frames: str, expected: dict[str, list[int]]
) -> None:
    assert sampled(clips, "clips", frames) == expected


def test_scenes_are_the_cuts_of_a_video_file_and_of_an_image_sequence(
    clips: Catalog, tmp_path: Path
) -> None:
    starts = write_scenes_video(tmp_path / "cuts.mp4", [9, 7, 8])
    assert starts == [1, 10, 17]
    features.load()
    ingest(clips, "cuts", tmp_path, fmt="video")
    assert sampled(clips, "cuts", "scenes") == {"cuts.mp4": starts}
    # the same scenes as JPEG frames; an unreachable threshold keeps the first frame only
    assert sampled(clips, "seqs", "scenes") == {"cuts": [1, 10, 17]}
    assert sampled(clips, "seqs", "scenes:300") == {"cuts": [1]}
    assert sampled(clips, "seqs", "scenes:0") == {"cuts": list(range(1, 25))}


def test_still_images_and_the_order_of_items_are_kept(clips: Catalog) -> None:
    dataset_id, root, rows = dataset_media(clips, "clips")
    items = [(10**9, "/elsewhere/still.jpg"), *reversed(confine(rows, root).items)]
    kept = sampled_items(clips, dataset_id, root, items, FrameSampling("every", 5.0))
    assert kept[0] == items[0]  # not a frame of any video: always read
    assert [i for i, _ in kept[1:]] == [i for i, _ in items if i in {k for k, _ in kept[1:]}]
    assert sum(len(v) for v in frames_of(clips, [i for i, _ in kept]).values()) == 7


@pytest.mark.parametrize("text", ["every:0", "every:1.5", "fps:0", "fps:x", "scenes:-1", "some"])
def test_bad_values_are_refused_naming_what_is_accepted(text: str) -> None:
    with pytest.raises(FrameSamplingError, match="every:K, fps:R, scenes"):
        parse_frames(text)
    with pytest.raises(PredictError, match="--frames"):
        PredictOptions("clips", "m", frames=text)
    with pytest.raises(EmbedError, match="--frames"):
        EmbedOptions("clips", parse_model("builtin-color-gradient", None), frames=text)


def test_fps_needs_each_videos_frame_rate(clips: Catalog) -> None:
    with pytest.raises(FrameSamplingError, match="unknown for cuts: use every:K"):
        sampled(clips, "seqs", "fps:2")
    assert sampled(clips, "seqs", "every:8") == {"cuts": [1, 9, 17]}


def test_an_embedding_job_embeds_the_sampled_frames_then_only_the_new_ones(
    clips: Catalog,
) -> None:
    spec = parse_model("builtin-color-gradient", None)
    with open_vector_store(clips.data_dir) as store:

        def embed(frames: str) -> dict[str, Any]:
            options = EmbedOptions("clips", spec, frames=frames)
            return run_embedding(
                None,
                clips,
                store,
                options,
                lambda items: embed_stream(spec.to_json(), list(items), "cpu", None, "float32"),
            )

        first = embed("every:5")
        assert (first["embedded"], first["skipped"], first["failed"]) == (7, 0, 0)
        # every:2 adds frames 3, 5, ... : of its 16 frames, 1, 11, 21 of a and 1 of b are done
        second = embed("every:2")
        assert (second["embedded"], second["skipped"]) == (12, 4)
        with pytest.raises(EmbedError, match="unknown for cuts"):
            options = EmbedOptions("seqs", spec, frames="fps:1")
            run_embedding(None, clips, store, options, lambda items: iter(()))


class Interrupted(Exception):
    pass


def test_a_model_job_cut_off_resumes_with_only_the_sampled_frames_not_done(
    clips: Catalog, tmp_path: Path
) -> None:
    detr = save_tiny_detr(tmp_path / "detr")
    options = PredictOptions(
        "clips", str(detr), batch_size=2, min_score=0.0, frames="fps:5", name="detr"
    )
    expected = sampled(clips, "clips", "fps:5")
    batches: list[list[int]] = []

    def cut_after_the_first_batch(request: dict[str, Any], items: Any) -> Iterator[tuple]:
        for message in predict_stream(request, items):
            if message[0] == "boxes":
                if batches:
                    raise Interrupted()
                batches.append([int(i) for i in message[1]])
            yield message

    with pytest.raises(Interrupted):
        run_prediction(None, clips, options, cut_after_the_first_batch, flush_seconds=3600)
    given: list[int] = []

    def recording(request: dict[str, Any], items: Any) -> Iterator[tuple]:
        given.extend(int(item[0]) for item in items)
        yield from predict_stream(request, items)

    again = run_prediction(None, clips, options, recording)
    assert (again["skipped"], again["processed"], again["failed"]) == (2, 7, 0)
    assert not set(given) & set(batches[0]) and len(given) == len(set(given))
    assert frames_of(clips, given + batches[0]) == expected
    # the whole set's frames are exactly the sampled ones
    done = run_prediction(None, clips, options, predict_stream)
    assert (done["processed"], done["skipped"]) == (0, 9)


def test_the_cli_takes_frames_for_embed_and_predict(clips: Catalog, tmp_path: Path) -> None:
    def run(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "visionlens_jlab.cli", *argv],
            capture_output=True,
            text=True,
            timeout=300,
        )

    data_dir = str(tmp_path / "cli")
    root = Path(clips.data_dir).parent / "videos"
    assert run("ingest", str(root), "--name", "v", "--format", "video", "--data-dir", data_dir)
    out = run(
        "embed", "v", "--model", "builtin-color-gradient", "--frames", "every:5",
        "--data-dir", data_dir, "--json",
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["embedded"] == 7
    bad = run("predict", "v", "--model", "x", "--frames", "every:0", "--data-dir", data_dir)
    assert bad.returncode == 2 and "--frames 'every:0' is not understood" in bad.stderr
