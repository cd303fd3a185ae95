"""Model jobs on a CPU over several worker processes (visionlens_jlab/predict/workers.py):
the same results as one worker and as the model run by hand, a cancel that ends every
worker, a resume that sends only the rest, and the memory cap on the number of workers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import psutil
import pytest

from visionlens_jlab.catalog import Catalog
from visionlens_jlab.jobs.job import Job, JobCancelled, JobContext
from visionlens_jlab.predict.base import PredictError, PredictOptions
from visionlens_jlab.predict.job import run_prediction
from visionlens_jlab.predict.stream import MAX_NEW_TOKENS
from visionlens_jlab.predict.workers import MEMORY_HEADROOM, sharded_source, worker_count

from .predict_fixtures import detections_by_hand, photo_catalog
from .test_predict_jobs import MIN_SCORE, N_IMAGES, models, photos, stored

__all__ = ["models", "photos"]  # the module-scoped fixtures, shared


@pytest.fixture
def two(tmp_path: Path, photos: Path) -> Iterator[tuple[Catalog, Catalog]]:
    with (
        photo_catalog(tmp_path / "one", photos) as one,
        photo_catalog(tmp_path / "two", photos) as two,
    ):
        yield one, two


def captions(catalog: Catalog) -> list[tuple[str, str]]:
    with catalog.cursor() as cur:
        return sorted(
            cur.execute(
                "SELECT regexp_replace(s.file_name, '^.*/', ''), c.text FROM computed_values c "
                "JOIN samples s USING (sample_id) WHERE c.field = 'caption'"
            ).fetchall()
        )


def captions_by_hand(model_dir: Path, files: list[Path], batch: int) -> list[tuple[str, str]]:
    """The plain loop: BLIP's processor and greedy generate, in one process."""
    import torch
    from PIL import Image
    from transformers import BlipForConditionalGeneration, BlipProcessor

    model = BlipForConditionalGeneration.from_pretrained(model_dir, local_files_only=True).eval()
    processor = BlipProcessor.from_pretrained(model_dir, local_files_only=True)
    out: list[tuple[str, str]] = []
    for start in range(0, len(files), batch):
        chunk = files[start : start + batch]
        images = [Image.open(f).convert("RGB") for f in chunk]
        with torch.no_grad():
            ids = model.generate(
                **processor(images=images, return_tensors="pt"),
                max_new_tokens=MAX_NEW_TOKENS,
                do_sample=False,
                num_beams=1,
            )
        texts = processor.batch_decode(ids, skip_special_tokens=True)
        out.extend((f.name, t.strip()) for f, t in zip(chunk, texts, strict=True))
    return sorted(out)


def test_two_workers_give_the_boxes_and_captions_of_one_and_of_the_plain_loop(
    two: tuple[Catalog, Catalog], models: dict[str, Path], photos: Path
) -> None:
    one, both = two
    files = sorted((photos / "images").glob("*.jpg"))
    for task, model in (("detect", models["detr"]), ("caption", models["blip"])):
        options = PredictOptions("photos", str(model), task=task, batch_size=2, min_score=MIN_SCORE)
        single = run_prediction(None, one, options, sharded_source(None, 1))
        double = run_prediction(None, both, options, sharded_source(None, 2))
        assert single["processed"] == double["processed"] == N_IMAGES
        if task == "caption":
            assert captions(one) == captions(both) == captions_by_hand(model, files, 2)
            continue
        rename = {"potted plant": "pottedplant", "Dining_Table": "diningtable"}
        expected = [
            (f, rename.get(n, n), *v) for f, n, *v in detections_by_hand(model, files, 2, MIN_SCORE)
        ]
        for rows in (stored(one, "detr"), stored(both, "detr")):
            assert [r[:2] for r in rows] == [e[:2] for e in sorted(expected)] and rows
            np.testing.assert_allclose(
                [r[2:] for r in rows], [e[2:] for e in sorted(expected)], atol=1e-3
            )


def spawned_workers() -> list[psutil.Process]:
    """This process's spawned workers (not multiprocessing's resource tracker, nor a child
    of an earlier test that is gone or a zombie by now)."""
    found = []
    for p in psutil.Process().children(recursive=True):
        try:
            if "spawn_main" in " ".join(p.cmdline()):
                found.append(p)
        except psutil.Error:
            continue
    return found


def test_a_cancel_ends_every_worker_and_a_resume_sends_only_the_rest(
    two: tuple[Catalog, Catalog], models: dict[str, Path]
) -> None:
    catalog = two[0]
    options = PredictOptions("photos", str(models["detr"]), batch_size=1, min_score=MIN_SCORE)
    job = Job("j", "predict", "t")
    workers: list[psutil.Process] = []
    received: list[int] = []
    inner = sharded_source(JobContext(job), 2)

    def cancelled_after_the_first_batch(request: dict[str, Any], items: Any) -> Iterator:
        for message in inner(request, items):
            # every message until the cancel: a worker may start late or end early
            seen = {w.pid for w in workers}
            workers.extend(w for w in spawned_workers() if w.pid not in seen)
            if message[0] == "boxes":
                received.extend(int(i) for i in message[1])
                job.cancel_event.set()
            yield message

    with pytest.raises(JobCancelled):
        run_prediction(JobContext(job), catalog, options, cancelled_after_the_first_batch)
    assert len(workers) >= 2 and received
    psutil.wait_procs(workers, timeout=10)
    assert not any(w.is_running() and w.status() != psutil.STATUS_ZOMBIE for w in workers)
    with catalog.cursor() as cur:
        done = {
            r[0]
            for r in cur.execute(
                "SELECT sample_id FROM annotations WHERE source = 'detr' UNION "
                "SELECT sample_id FROM model_run_empty_samples"
            ).fetchall()
        }
        every = {r[0] for r in cur.execute("SELECT sample_id FROM samples").fetchall()}
    assert done == set(received)  # whole batches only: the one the job received
    given: list[int] = []
    rest = sharded_source(None, 2)

    def recording(request: dict[str, Any], items: Any) -> Iterator:
        given.extend(int(item[0]) for item in items)
        yield from rest(request, items)

    again = run_prediction(None, catalog, options, recording)
    assert sorted(given) == sorted(every - done)
    assert (again["skipped"], again["processed"]) == (len(done), N_IMAGES - len(done))


def test_the_memory_cap_and_the_device_pick_the_number_of_workers() -> None:
    gib = 2**30
    common: dict[str, Any] = {"on_cuda": False, "threads": 4, "images": 100}
    assert worker_count(None, model_bytes=gib, available_bytes=64 * gib, **common) == 4
    fits_two = int(2.5 * MEMORY_HEADROOM * gib)
    assert worker_count(None, model_bytes=gib, available_bytes=fits_two, **common) == 2
    assert worker_count(8, model_bytes=gib, available_bytes=fits_two, **common) == 2
    assert worker_count(None, model_bytes=8 * gib, available_bytes=gib, **common) == 1
    assert worker_count(3, model_bytes=None, available_bytes=None, **common) == 3
    assert (
        worker_count(None, model_bytes=None, available_bytes=None, **{**common, "images": 3}) == 1
    )
    assert worker_count(4, model_bytes=1, available_bytes=gib, **{**common, "on_cuda": True}) == 1
    with pytest.raises(PredictError, match="workers"):
        PredictOptions("d", "m", workers=0)
