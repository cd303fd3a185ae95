"""Model jobs in process: tiny random transformers checkpoints loaded by path, run on real
photos, their predictions checked against the same model run by hand."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from visionlens_jlab.catalog import Catalog, CatalogError
from visionlens_jlab.embed.base import EmbedError
from visionlens_jlab.predict.base import PredictError, PredictOptions
from visionlens_jlab.predict.job import run_prediction
from visionlens_jlab.predict.stream import predict_stream

from .predict_fixtures import (
    detections_by_hand,
    photo_fixtures,
    save_tiny_blip,
    save_tiny_detr,
)

N_IMAGES = 7
MIN_SCORE = 0.05


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("models")
    return {"detr": save_tiny_detr(root / "detr"), "blip": save_tiny_blip(root / "blip")}


photos, catalog = photo_fixtures(N_IMAGES)


def stored(catalog: Catalog, source: str) -> list[tuple]:
    with catalog.cursor() as cur:
        return sorted(
            cur.execute(
                "SELECT regexp_replace(s.file_name, '^.*/', ''), a.label, a.x, a.y, a.w, a.h, "
                "a.score FROM annotations a JOIN samples s USING (sample_id) WHERE a.source = ?",
                [source],
            ).fetchall()
        )


def test_detections_land_as_a_prediction_set_equal_to_the_model_by_hand(
    catalog: Catalog, models: dict[str, Path], photos: Path
) -> None:
    options = PredictOptions("photos", str(models["detr"]), batch_size=3, min_score=MIN_SCORE)
    result = run_prediction(None, catalog, options, predict_stream)
    assert result["processed"] == N_IMAGES and result["skipped"] == 0 and result["failed"] == 0
    assert (result["device"], result["dtype"], result["name"]) == ("cpu", "float32", "detr")
    rows = stored(catalog, "detr")
    files = sorted((photos / "images").glob("*.jpg"))
    expected = detections_by_hand(models["detr"], files, 3, MIN_SCORE)
    assert result["predictions"] == len(rows) == len(expected) > 0
    # model classes map onto the dataset's names; the one it lacks keeps the model's name
    rename = {"potted plant": "pottedplant", "Dining_Table": "diningtable", "zebra": "zebra"}
    expected = sorted((f, rename[n], *v) for f, n, *v in expected)
    assert [r[:2] for r in rows] == [e[:2] for e in expected]
    np.testing.assert_allclose([r[2:] for r in rows], [e[2:] for e in expected], atol=1e-3)
    assert min(r[6] for r in rows) >= MIN_SCORE
    with catalog.cursor() as cur:
        inside = cur.execute(
            "SELECT bool_and(a.x >= 0 AND a.y >= 0 AND a.x + a.w <= s.width + 1e-6 "
            "AND a.y + a.h <= s.height + 1e-6) FROM annotations a JOIN samples s "
            "USING (sample_id) WHERE a.source = 'detr'"
        ).fetchall()[0][0]
        (fmt, count, report) = cur.execute(
            "SELECT format, num_predictions, report FROM models WHERE name = 'detr'"
        ).fetchall()[0]
    assert inside is True
    assert (fmt, count) == ("model-run", len(rows))
    warnings = json.loads(report)["warnings"]
    assert [w["code"] for w in warnings] == ["prediction_unknown_class"]
    assert warnings[0]["examples"] == ["zebra"] and result["unknown_classes"] == ["zebra"]
    # what works on an imported prediction set works on this one
    from visionlens_jlab.evaluate.api import evaluate_model

    report = evaluate_model(catalog, "photos", "detr", protocol="voc")
    assert report is not None


class Interrupted(Exception):
    pass


def test_a_run_cut_off_resumes_with_the_images_not_done(
    catalog: Catalog, models: dict[str, Path]
) -> None:
    options = PredictOptions("photos", str(models["detr"]), batch_size=2, min_score=MIN_SCORE)
    seen: list[list[int]] = []

    def cut_after_two_batches(request: dict[str, Any], items: Any) -> Iterator[tuple]:
        for message in predict_stream(request, items):
            if message[0] == "boxes":
                seen.append(list(message[1]))
                if len(seen) == 2:
                    raise Interrupted()
            yield message

    with pytest.raises(Interrupted):
        run_prediction(None, catalog, options, cut_after_two_batches, flush_seconds=3600)
    # the batch in hand was written on the way out (flush_seconds never elapsed)
    partial = stored(catalog, "detr")
    assert {r[0] for r in partial} and len(seen[0]) == 2
    again = run_prediction(None, catalog, options, predict_stream)
    assert again["skipped"] == 2 and again["processed"] == N_IMAGES - 2
    full_catalog_rows = stored(catalog, "detr")
    # the same as one uninterrupted run under another name
    run_prediction(
        None,
        catalog,
        PredictOptions(
            "photos", str(models["detr"]), name="whole", batch_size=2, min_score=MIN_SCORE
        ),
        predict_stream,
    )
    assert [r[:2] for r in full_catalog_rows] == [r[:2] for r in stored(catalog, "whole")]
    np.testing.assert_allclose(
        [r[2:] for r in full_catalog_rows], [r[2:] for r in stored(catalog, "whole")], atol=1e-4
    )
    done = run_prediction(None, catalog, options, predict_stream)
    assert (done["processed"], done["skipped"], done["device"]) == (0, N_IMAGES, None)
    # other parameters make another run: it starts over
    higher = PredictOptions("photos", str(models["detr"]), batch_size=4, min_score=0.5)
    redo = run_prediction(None, catalog, higher, predict_stream)
    assert redo["processed"] == N_IMAGES
    assert all(r[6] >= 0.5 for r in stored(catalog, "detr"))


def test_a_resumed_run_is_given_exactly_the_images_not_done(
    catalog: Catalog, models: dict[str, Path]
) -> None:
    """Done: processed with predictions, or processed with none (a row of
    ``model_run_empty_samples``); a resumed run gets every other image, each once."""
    options = PredictOptions("photos", str(models["detr"]), batch_size=2, min_score=MIN_SCORE)
    batches: list[list[int]] = []

    def first_batch_empty_cut_at_the_third(request: dict[str, Any], items: Any) -> Iterator:
        for message in predict_stream(request, items):
            if message[0] == "boxes":
                if len(batches) == 2:
                    raise Interrupted()
                if not batches:  # processed, but the model found nothing there
                    message = (message[0], message[1], [], message[3])
                batches.append([int(i) for i in message[1]])
            yield message

    with pytest.raises(Interrupted):
        run_prediction(None, catalog, options, first_batch_empty_cut_at_the_third)
    with catalog.cursor() as cur:
        every = [r[0] for r in cur.execute("SELECT sample_id FROM samples").fetchall()]
        empty = [
            r[0] for r in cur.execute("SELECT sample_id FROM model_run_empty_samples").fetchall()
        ]
        with_rows = cur.execute(
            "SELECT count(*) FROM annotations WHERE source = 'detr' AND list_contains(?, "
            "sample_id)",
            [batches[0]],
        ).fetchall()
    assert sorted(empty) == sorted(batches[0]) and with_rows == [(0,)]
    given: list[int] = []

    def recording(request: dict[str, Any], items: Any) -> Iterator:
        given.extend(int(item[0]) for item in items)
        yield from predict_stream(request, items)

    again = run_prediction(None, catalog, options, recording)
    done = set(batches[0]) | set(batches[1])
    assert sorted(given) == sorted(set(every) - done) and len(done) == 4
    assert (again["skipped"], again["processed"]) == (4, N_IMAGES - 4)


def test_a_view_runs_on_its_samples_only(catalog: Catalog, models: dict[str, Path]) -> None:
    view = {"sample": {"file_name": {"contains": "2007_00003"}}}
    options = PredictOptions(
        "photos", str(models["detr"]), filter=view, batch_size=4, min_score=MIN_SCORE
    )
    result = run_prediction(None, catalog, options, predict_stream)
    with catalog.cursor() as cur:
        (n,) = cur.execute(
            "SELECT count(*) FROM samples WHERE file_name LIKE '%2007_00003%'"
        ).fetchall()[0]
    assert 0 < result["processed"] == n < N_IMAGES


def test_captions_are_a_searchable_sample_field(catalog: Catalog, models: dict[str, Path]) -> None:
    from visionlens_jlab.catalog.reads.queries import sample_ids
    from visionlens_jlab.search.captions import search_captions

    options = PredictOptions("photos", str(models["blip"]), task="caption", batch_size=4)
    result = run_prediction(None, catalog, options, predict_stream)
    assert result["processed"] == result["predictions"] == N_IMAGES
    with catalog.cursor() as cur:
        captions = dict(
            cur.execute(
                "SELECT sample_id, text FROM computed_values WHERE field = 'caption'"
            ).fetchall()
        )
    assert len(captions) == N_IMAGES and all(isinstance(c, str) and c for c in captions.values())
    word = next(iter(captions.values())).split()[0]
    matching = sample_ids(catalog, "photos", {"sample": {"computed.caption": {"contains": word}}})
    assert len(matching) == sum(word in c for c in captions.values())
    hits = search_captions(catalog, "photos", f"{word.upper()}, zzz")
    assert {h["sample_id"] for h in hits} == {i for i, c in captions.items() if word in c.split()}
    assert all(h["words"] == 1 for h in hits)
    assert run_prediction(None, catalog, options, predict_stream)["skipped"] == N_IMAGES


def test_missing_weights_name_the_model_where_it_looked_and_the_fix(
    catalog: Catalog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-cache"))
    with pytest.raises(PredictError) as err:
        run_prediction(None, catalog, PredictOptions("photos", "acme/detr-nowhere"), predict_stream)
    message = str(err.value)
    assert "acme/detr-nowhere" in message and str(tmp_path / "empty-cache") in message
    assert "--model /path/to/checkpoint" in message
    missing = tmp_path / "no-such-checkpoint"
    with pytest.raises(PredictError, match="no checkpoint at .*no-such-checkpoint"):
        run_prediction(None, catalog, PredictOptions("photos", str(missing)), predict_stream)
    with catalog.cursor() as cur:  # nothing was written
        assert cur.execute("SELECT count(*) FROM models").fetchall()[0][0] == 0


def test_a_wrong_model_task_or_name_is_refused_and_imported_predictions_stay(
    catalog: Catalog, models: dict[str, Path]
) -> None:
    from .evaluate_fixtures import ingest_predictions
    from .predict_fixtures import CARTUCHO

    blip = str(models["blip"])
    with pytest.raises(PredictError, match=r"\(blip\) is not an object detector \(it reads "):
        run_prediction(None, catalog, PredictOptions("photos", blip), predict_stream)
    detr = PredictOptions("photos", str(models["detr"]), task="caption")
    with pytest.raises(
        PredictError,
        match=r"\(detr\) is not an image-text-to-text model \(it is a detector: use --task detect\)",
    ):
        run_prediction(None, catalog, detr, predict_stream)
    with pytest.raises(PredictError, match="unknown task"):
        PredictOptions("photos", str(models["detr"]), task="segment")
    with pytest.raises(CatalogError, match="reserved"):
        run_prediction(
            None,
            catalog,
            PredictOptions("photos", str(models["detr"]), name="ground_truth"),
            predict_stream,
        )
    imported = ingest_predictions(
        catalog, "photos", "sample", CARTUCHO / "detection-results", "txt"
    )
    assert imported.predictions > 0
    with pytest.raises(CatalogError, match="already has imported predictions named 'sample'"):
        run_prediction(
            None,
            catalog,
            PredictOptions("photos", str(models["detr"]), name="sample"),
            predict_stream,
        )
    with catalog.cursor() as cur:
        (n,) = cur.execute("SELECT count(*) FROM annotations WHERE source = 'sample'").fetchall()[0]
    assert n == imported.predictions


def test_cli_json_through_the_entry_point(
    catalog: Catalog, models: dict[str, Path], tmp_path: Path
) -> None:
    data_dir = catalog.data_dir
    catalog.close()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    command = [sys.executable, "-m", "visionlens_jlab.cli", "predict", "photos", "--model",
               str(models["detr"]), "--min-score", "0.2", "--batch-size", "4",
               "--data-dir", str(data_dir), "--json", "--workers", "2"]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)
    assert list(result) == [
        *("dataset", "model", "task", "processed", "skipped"),
        *("device", "dtype", "images_per_second", "seconds", "stages"),
    ]
    stages = result["stages"]  # two worker processes' reports joined, and the writes here
    assert stages["bound_by"] is not None and stages["gpu_busy"] is None
    assert 0 < sum(stages["seconds"].values()) <= stages["wall_seconds"] + 1e-3
    assert stages["busy"]["forward"] > 0 and stages["busy"]["write"] > 0
    assert (result["dataset"], result["task"], result["processed"]) == (
        "photos",
        "detect",
        N_IMAGES,
    )
    assert result["model"] == str(models["detr"].resolve()) and result["device"] == "cpu"
    bad = subprocess.run(
        [*command[:6], str(tmp_path / "nothing"), *command[7:]],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert bad.returncode != 0 and "no checkpoint at" in bad.stderr


def test_zero_shot_classification_is_a_classification_prediction_set(
    catalog: Catalog, tmp_path: Path
) -> None:
    from .embed_fixtures import save_tiny_clip

    clip = save_tiny_clip(tmp_path / "clip")
    classes = ("pottedplant", "sofa", "chair")
    options = PredictOptions("photos", str(clip), task="classify", classes=classes, name="zs")
    result = run_prediction(None, catalog, options, predict_stream)
    assert result["processed"] == result["predictions"] == N_IMAGES
    with catalog.cursor() as cur:
        rows = cur.execute(
            "SELECT label, score, scores FROM classifications WHERE source = 'zs'"
        ).fetchall()
        (fmt,) = cur.execute("SELECT format FROM models WHERE name = 'zs'").fetchall()[0]
    assert len(rows) == N_IMAGES and fmt == "model-run"
    for label, score, scores in rows:
        probs = json.loads(scores)
        assert set(probs) == set(classes) and abs(sum(probs.values()) - 1) < 1e-4
        assert label == max(probs, key=probs.get) and abs(score - probs[label]) < 1e-5
    again = run_prediction(None, catalog, options, predict_stream)
    assert again["skipped"] == N_IMAGES
    hf = tmp_path / "transformers-clip"  # a transformers CLIP: open_clip models only
    hf.mkdir()
    (hf / "config.json").write_text('{"model_type": "clip"}')
    on_hf = PredictOptions("photos", str(hf), task="classify", classes=classes, name="hf")
    with pytest.raises(EmbedError, match="holds a transformers model .* open_clip models only"):
        run_prediction(None, catalog, on_hf, predict_stream)
    with pytest.raises(PredictError, match="at least two classes"):
        run_prediction(
            None,
            catalog,
            PredictOptions("photos", str(clip), task="classify", classes=("sofa",), name="one"),
            predict_stream,
        )


@pytest.mark.parametrize("version", [1, 2])
def test_an_open_vocabulary_detector_is_prompted_with_the_class_names(
    version: int, catalog: Catalog, photos: Path, tmp_path: Path
) -> None:
    import torch
    from PIL import Image
    from transformers import AutoModelForZeroShotObjectDetection, AutoProcessor

    from .predict_fixtures import save_tiny_owlv2

    classes = ["sofa", "chair", "pottedplant"]
    owl = save_tiny_owlv2(tmp_path / "owl", classes, version=version)
    options = PredictOptions(
        "photos", str(owl), classes=tuple(classes), batch_size=4, min_score=0.2, name="owl"
    )
    result = run_prediction(None, catalog, options, predict_stream)
    rows = stored(catalog, "owl")
    assert result["processed"] == N_IMAGES and result["unknown_classes"] == []
    assert rows and {r[1] for r in rows} <= set(classes)
    # by hand: the processor with the prompts, the grounded post-processing at the padded
    # square's size (OWLv2 pads images to a square; OWL-ViT stretches them to one: its boxes
    # are fractions of the image's own sides), boxes clipped to the image
    model = AutoModelForZeroShotObjectDetection.from_pretrained(owl, local_files_only=True)
    processor = AutoProcessor.from_pretrained(owl, local_files_only=True)
    expected = []
    for f in sorted((photos / "images").glob("*.jpg")):
        image = Image.open(f).convert("RGB")
        inputs = processor(text=[classes], images=[image], return_tensors="pt", padding=True)
        with torch.no_grad():
            out = model(**inputs)
        side = max(image.size)
        size = (side, side) if version == 2 else (image.height, image.width)
        (r,) = processor.post_process_grounded_object_detection(
            out, threshold=0.2, target_sizes=[size], text_labels=[classes]
        )
        for box, score, label in zip(r["boxes"], r["scores"], r["labels"], strict=True):
            x1, y1, x2, y2 = (float(v) for v in box)
            x1, x2 = min(max(x1, 0), image.width), min(max(x2, 0), image.width)
            y1, y2 = min(max(y1, 0), image.height), min(max(y2, 0), image.height)
            if x2 > x1 and y2 > y1:
                expected.append(
                    (f.name, classes[int(label)], x1, y1, x2 - x1, y2 - y1, float(score))
                )
    expected.sort()
    assert [r[:2] for r in rows] == [e[:2] for e in expected]
    np.testing.assert_allclose([r[2:] for r in rows], [e[2:] for e in expected], atol=1e-3)
