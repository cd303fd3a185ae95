"""Random MOT Challenge splits on disk and TrackEval run on them (the tracking oracle).

A split is ``<root>/gt/<seq>/{seqinfo.ini, gt/gt.txt}`` and ``<root>/trackers/<tracker>/
data/<seq>.txt``: TrackEval's ``MotChallenge2DBox`` layout with ``SKIP_SPLIT_FOL``. The
tracks walk in a small image so that boxes overlap (ambiguous assignments); the tracker
output copies them with jitter, duplicates, misses, gaps (fragments), id switches, swapped identities,
false positives and boxes on distractor-class ground truth.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path
from typing import Any

import numpy as np

TRACKER = "tracker"
GT_CLASSES = np.array([1, 1, 1, 1, 1, 1, 2, 7, 8, 12, 3, 9])  # pedestrians mostly


def random_sequence(
    rng: np.random.Generator,
    num_frames: int,
    num_tracks: int,
    extent: float = 160.0,
    duplicates: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Ground-truth rows (frame, id, x, y, w, h, conf, class, vis) and tracker rows
    (frame, id, x, y, w, h, score, -1, -1, -1) of one random sequence."""
    gt_rows, tr_rows = [], []
    blank = set(rng.choice(np.arange(1, num_frames + 1), size=num_frames // 10, replace=False))
    next_tracker_id = 100
    for track in range(num_tracks):
        start = int(rng.integers(1, num_frames))
        end = min(num_frames, start + int(rng.integers(2, num_frames)))
        cls = int(rng.choice(GT_CLASSES))
        pos = rng.uniform(0, extent, size=2)
        size = rng.uniform(20, 50, size=2)
        tracker_id = next_tracker_id = next_tracker_id + int(rng.integers(1, 5))
        for frame in range(start, end + 1):
            pos = pos + rng.normal(0, 3, size=2)
            if frame in blank:
                continue
            conf = 0.0 if rng.random() < 0.05 else 1.0
            gt_rows.append([frame, track + 1, *pos, *size, conf, cls, rng.random()])
            if rng.random() < 0.03:  # identity switch: a new tracker id from here on
                tracker_id = next_tracker_id = next_tracker_id + 1
            if rng.random() < 0.15:  # missed (runs of these make fragments)
                continue
            jitter = rng.normal(0, rng.choice([1.0, 6.0]), size=4)
            box = [*(pos + jitter[:2]), *(size + jitter[2:])]
            tr_rows.append([frame, tracker_id, *box, rng.random(), -1, -1, -1])
            if (
                duplicates and rng.random() < 0.1
            ):  # a duplicate: which one CLEAR keeps depends on history
                twin = np.array(box) + rng.normal(0, 1.5, size=4)
                tr_rows.append([frame, 50_000 + track, *twin, rng.random(), -1, -1, -1])
    for frame in range(1, num_frames + 1):  # false positives
        for _ in range(int(rng.poisson(0.4))):
            next_tracker_id += 1
            tr_rows.append(
                [
                    frame,
                    next_tracker_id,
                    *rng.uniform(0, extent + 20, 2),
                    *rng.uniform(15, 50, 2),
                    rng.random(),
                    -1,
                    -1,
                    -1,
                ]
            )
    gt = np.array(gt_rows, dtype=float).reshape(-1, 9)
    tr = np.array(tr_rows, dtype=float).reshape(-1, 10)
    if len(tr) > 4 and rng.random() < 0.5:  # two tracker ids swapped from some frame on
        ids = np.unique(tr[:, 1])
        a, b = rng.choice(ids, size=2, replace=False)
        late = tr[:, 0] > num_frames // 2
        swap_a, swap_b = late & (tr[:, 1] == a), late & (tr[:, 1] == b)
        tr[swap_a, 1], tr[swap_b, 1] = b, a
        _drop_duplicates(tr)
    return gt, _drop_duplicates(tr)


def _drop_duplicates(rows: np.ndarray) -> np.ndarray:
    _, first = np.unique(rows[:, :2], axis=0, return_index=True)
    return rows[np.sort(first)]


def write_sequence(root: Path, name: str, num_frames: int, gt: np.ndarray, tr: np.ndarray) -> None:
    """One sequence's files in TrackEval's layout under ``root``."""
    seq_dir = root / "gt" / name
    (seq_dir / "gt").mkdir(parents=True, exist_ok=True)
    (seq_dir / "seqinfo.ini").write_text(
        f"[Sequence]\nname={name}\nimDir=img1\nframeRate=30\nseqLength={num_frames}\n"
        "imWidth=200\nimHeight=200\nimExt=.jpg\n"
    )
    order = np.lexsort((gt[:, 1], gt[:, 0])) if len(gt) else np.zeros(0, dtype=int)
    gt_fmt = "%d,%d,%.3f,%.3f,%.3f,%.3f,%g,%d,%.4f"
    tr_fmt = "%d,%d,%.3f,%.3f,%.3f,%.3f,%.4f,%d,%d,%d"
    with open(seq_dir / "gt" / "gt.txt", "w") as f:
        np.savetxt(f, gt[order], fmt=gt_fmt)
    data = root / "trackers" / TRACKER / "data"
    data.mkdir(parents=True, exist_ok=True)
    with open(data / f"{name}.txt", "w") as f:
        np.savetxt(f, tr, fmt=tr_fmt)


def write_random_split(
    root: Path,
    seed: int,
    num_sequences: int = 4,
    num_frames: int = 40,
    num_tracks: int = 10,
    extent: float = 160.0,
) -> list[str]:
    """A seeded random split: ``num_sequences`` sequences of 2..``num_tracks`` tracks moving
    in an ``extent``-pixel square, the last one with an empty results file when there are 3
    or more. Returns the sequence names."""
    rng = np.random.default_rng(seed)
    names = []
    for i in range(num_sequences):
        name = f"SEQ-{seed:03d}-{i:02d}"
        gt, tr = random_sequence(rng, num_frames, int(rng.integers(2, num_tracks + 1)), extent)
        if num_sequences >= 3 and i == num_sequences - 1:
            tr = tr[:0]
        write_sequence(root, name, num_frames, gt, tr)
        names.append(name)
    return names


def run_trackeval(root: Path, names: list[str], benchmark: str = "MOT17") -> dict[str, Any]:
    """TrackEval's results, ``{seq or "COMBINED_SEQ": {"HOTA"|"CLEAR"|"Identity": fields}}``,
    in process, quiet, writing no output files; ``benchmark`` its ``BENCHMARK`` (MOT20's
    distractor classes differ)."""
    import trackeval

    seqmap = root / "seqmap.txt"
    seqmap.write_text("name\n" + "".join(f"{n}\n" for n in names))
    eval_config = trackeval.Evaluator.get_default_eval_config()
    eval_config.update(
        USE_PARALLEL=False,
        PRINT_RESULTS=False,
        PRINT_CONFIG=False,
        TIME_PROGRESS=False,
        OUTPUT_SUMMARY=False,
        OUTPUT_DETAILED=False,
        PLOT_CURVES=False,
        LOG_ON_ERROR=None,
        DISPLAY_LESS_PROGRESS=True,
    )
    dataset_config = trackeval.datasets.MotChallenge2DBox.get_default_dataset_config()
    dataset_config.update(
        GT_FOLDER=str(root / "gt"),
        TRACKERS_FOLDER=str(root / "trackers"),
        OUTPUT_FOLDER=str(root / "out"),
        TRACKERS_TO_EVAL=[TRACKER],
        SKIP_SPLIT_FOL=True,
        SEQMAP_FILE=str(seqmap),
        PRINT_CONFIG=False,
        BENCHMARK=benchmark,
    )
    with contextlib.redirect_stdout(io.StringIO()):
        metrics = [
            trackeval.metrics.HOTA(),
            trackeval.metrics.CLEAR(),
            trackeval.metrics.Identity(),
        ]
        evaluator = trackeval.Evaluator(eval_config)
        dataset = trackeval.datasets.MotChallenge2DBox(dataset_config)
        results, _ = evaluator.evaluate([dataset], metrics)
    per_seq = results["MotChallenge2DBox"][TRACKER]
    return {seq: value["pedestrian"] for seq, value in per_seq.items()}


def moving_boxes(
    rng: np.random.Generator, num_frames: int, num_objects: int, width: int, height: int
) -> np.ndarray:
    """Rows ``(frame, id, x, y, w, h)`` of ``num_objects`` boxes moving at constant speed,
    each in its own horizontal lane (they never overlap), seen on a random run of at least
    a third of the frames: clean detections whose identities are known."""
    lane = height / num_objects
    rows = []
    for obj in range(num_objects):
        w, h = rng.uniform(14, 24), lane * 0.6
        x0, y = rng.uniform(0, width / 3), obj * lane + lane * 0.2
        speed = rng.uniform(0.5, 2.5) * rng.choice([-1, 1])
        start = int(rng.integers(1, num_frames * 2 // 3))
        end = int(rng.integers(start + num_frames // 3, num_frames + 1))
        for frame in range(start, end + 1):
            x = float(np.clip(x0 + speed * (frame - start), 0, width - w))
            rows.append((frame, obj + 1, x, y, w, h))
    return np.array(rows, dtype=float).reshape(-1, 6)


def write_moving_mot(root: Path, sequences: dict[str, int], seed: int = 0) -> dict[str, np.ndarray]:
    """MOT17-style sequences ``{name: frames}`` (200 x 150 frames at 30 fps, tiny JPEGs)
    whose ``gt.txt`` are :func:`moving_boxes` of 4 pedestrians; returns each one's rows."""
    from tests.ingest_fixtures import tiny_jpeg

    rng = np.random.default_rng(seed)
    written = {}
    for name, frames in sequences.items():
        seq = root / name
        (seq / "img1").mkdir(parents=True)
        (seq / "gt").mkdir()
        (seq / "seqinfo.ini").write_text(
            f"[Sequence]\nname={name}\nimDir=img1\nframeRate=30\nseqLength={frames}\n"
            "imWidth=200\nimHeight=150\nimExt=.jpg\n"
        )
        jpeg = tiny_jpeg(200, 150)
        for i in range(1, frames + 1):
            (seq / "img1" / f"{i:06d}.jpg").write_bytes(jpeg)
        rows = moving_boxes(rng, frames, 4, 200, 150)
        lines = "".join(
            f"{int(f)},{int(i)},{x:.3f},{y:.3f},{w:.3f},{h:.3f},1,1,1\n"
            for f, i, x, y, w, h in rows
        )
        (seq / "gt" / "gt.txt").write_text(lines)
        written[name] = rows
    return written
