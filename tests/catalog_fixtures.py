"""A tiny in-memory ParsedSource for catalog and server tests that need exact, known rows."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from visionlens_jlab.records.batches import ANNOTATION_SCHEMA, SAMPLE_SCHEMA, Batch, ColumnBuffer
from visionlens_jlab.records.report import IngestReport


class RowsSource:
    """Samples and boxes given as dicts; batches of ``batch_size`` samples."""

    def __init__(
        self,
        samples: list[dict[str, Any]],
        boxes: list[dict[str, Any]],
        classes: list[str],
        *,
        fmt: str = "coco",
        batch_size: int = 1000,
        fail_after_batches: int | None = None,
    ) -> None:
        self.format = fmt
        self.source = "/data/annotations.json"
        self.media_root = "/data/images"
        self.json_checked = False
        self.report = IngestReport()
        self._samples = samples
        self._boxes = boxes
        self._classes = classes
        self._batch_size = batch_size
        self._fail_after = fail_after_batches

    def batches(self) -> Iterator[Batch]:
        for n, start in enumerate(range(0, max(len(self._samples), 1), self._batch_size)):
            if self._fail_after is not None and n >= self._fail_after:
                raise RuntimeError("simulated parser crash")
            samples = ColumnBuffer(SAMPLE_SCHEMA)
            for i in range(start, min(start + self._batch_size, len(self._samples))):
                row = dict(self._samples[i])
                row.setdefault("location", f"/data/images/{row['file_name']}")
                samples.append(sample_index=i, **row)
            boxes = ColumnBuffer(ANNOTATION_SCHEMA)
            for box in self._boxes:
                if start <= box["sample_index"] < start + self._batch_size:
                    boxes.append(**box)
            yield Batch(samples.take(), boxes.take())

    def categories(self) -> list[tuple[Any, ...]]:
        return [(name, None, i + 1) for i, name in enumerate(self._classes)]


def toy_rows() -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[str]]:
    """Six samples with known fields and boxes; every count in the tests derives from here."""
    samples = [
        {
            "file_name": "a.jpg",
            "width": 640,
            "height": 480,
            "split": "train",
            "source_image_id": "1",
            "fields": '{"weather": "rain", "brightness": 0.2}',
        },
        {
            "file_name": "b.jpg",
            "width": 640,
            "height": 480,
            "split": "train",
            "source_image_id": "2",
            "fields": '{"weather": "sun", "brightness": 0.9}',
        },
        {
            "file_name": "c.jpg",
            "width": 1280,
            "height": 720,
            "split": "val",
            "source_image_id": "3",
            "fields": '{"weather": "rain", "brightness": 0.5}',
        },
        {
            "file_name": "d.jpg",
            "width": 320,
            "height": 240,
            "split": "val",
            "source_image_id": "4",
            "fields": '{"weather": "fog", "it\'s \\"odd\\"": 1}',
        },
        {
            "file_name": "e'; DROP TABLE samples; --.jpg",
            "width": 100,
            "height": 100,
            "split": "test",
            "source_image_id": "5",
            "fields": None,
        },
        {
            "file_name": "f.jpg",
            "width": 640,
            "height": 480,
            "split": "train",
            "source_image_id": "6",
            "fields": '{"weather": "sun"}',
        },
    ]
    gt = [
        (0, "cat", 10, 10, 50, 50),
        (0, "dog", 100, 100, 30, 30),
        (1, "cat", 0, 0, 20, 20),
        (2, "person", 5, 5, 200, 300),
        (2, "person", 300, 5, 100, 100),
        (2, "cat", 1, 1, 5, 5),
        (3, 'o\'brien "x"', 1, 1, 10, 10),
    ]
    boxes = [
        {
            "sample_index": s,
            "label": c,
            "x": x,
            "y": y,
            "w": w,
            "h": h,
            "area": w * h,
            "iscrowd": False,
            "difficult": c == "dog",
            "attributes": '{"truncated": true}' if c == "dog" else None,
        }
        for s, c, x, y, w, h in gt
    ]
    return samples, boxes, ["cat", "dog", "person", 'o\'brien "x"']


def prediction_rows() -> list[dict[str, Any]]:
    """Predictions of model 'm1' keyed by image_ref (the source image id)."""
    preds = [
        ("1", "cat", 0.9),
        ("1", "dog", 0.3),
        ("3", "person", 0.8),
        ("3", "cat", 0.55),
        ("6", "dog", 0.95),
        ("999", "cat", 0.5),
    ]
    return [
        {"image_ref": ref, "label": c, "x": 1.0, "y": 2.0, "w": 3.0, "h": 4.0, "score": sc}
        for ref, c, sc in preds
    ]


class PredictionRowsSource(RowsSource):
    """Predictions given as dicts with ``image_ref``."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        super().__init__([], rows, [], fmt="coco")

    def batches(self) -> Iterator[Batch]:
        boxes = ColumnBuffer(ANNOTATION_SCHEMA)
        for row in self._boxes:
            boxes.append(**row)
        yield Batch(None, boxes.take())
