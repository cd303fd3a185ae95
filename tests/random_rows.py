"""Random samples, boxes and predictions for the catalog tests that compare facets, filters
and indexes with plain references (seeded: each test draws the same rows every run)."""

from __future__ import annotations

import json
import random
from typing import Any


def random_rows(rnd: random.Random, n: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``n`` random samples with varied fields (for every facet kind) and their random
    boxes, as :class:`~tests.catalog_fixtures.RowsSource` takes them."""
    samples, boxes = [], []
    for i in range(n):
        fields: dict[str, Any] = {"uniq": f"u{i:04d}", "allnull": None}  # uniq: > 200 values
        if rnd.random() < 0.8:
            fields["weather"] = rnd.choice(["rain", "sun", "fog", "ñieve", "Snow"])
        if rnd.random() < 0.7:
            fields["brightness"] = round(rnd.random(), 3)
        if rnd.random() < 0.9:
            fields["mixed"] = rnd.choice([1, 2.5, 7]) if i % 37 else "x"
        if i % 29 == 0:
            fields["const"] = 5  # one value: a one-bin histogram
        samples.append(
            {
                "file_name": f"{rnd.randint(0, 10**6):07d}_{i}.jpg",
                "width": rnd.choice([320, 640, 641, 1280, None]),
                "height": rnd.choice([240, 480, 720]),
                "split": rnd.choice(["train", "val", "test", None]),
                "source_image_id": str(i + 1),
                "fields": None if i % 13 == 0 else json.dumps(fields),
            }
        )
        for _ in range(rnd.randint(0, 8) if i % 11 else 0):
            attrs: dict[str, Any] = {}
            if rnd.random() < 0.5:
                attrs["truncated"] = rnd.random() < 0.3
            if rnd.random() < 0.5:
                attrs["occluded"] = rnd.randint(0, 2)
            if rnd.random() < 0.3:
                attrs["pose"] = rnd.choice(["left", "right"])
            w, h = rnd.uniform(1, 200), rnd.uniform(1, 200)
            boxes.append(
                {
                    "sample_index": i,
                    "label": f"c{rnd.randint(0, 11)}",
                    "x": rnd.uniform(0, 300),
                    "y": rnd.uniform(0, 300),
                    "w": w,
                    "h": h,
                    "area": w * h,
                    "iscrowd": False,
                    "difficult": False,
                    "attributes": json.dumps(attrs) if attrs else None,
                }
            )
    return samples, boxes


def random_predictions(rnd: random.Random, n: int, step: int, attrs: bool) -> list[dict[str, Any]]:
    """Random predictions on every ``step``-th of the ``n`` samples of :func:`random_rows`
    (a ``track`` attribute with ``attrs``), as ``PredictionRowsSource`` takes them."""
    return [
        {
            "image_ref": str(i + 1),
            "label": f"c{rnd.randint(0, 11)}",
            "x": rnd.uniform(0, 300),
            "y": rnd.uniform(0, 300),
            "w": rnd.uniform(1, 100),
            "h": rnd.uniform(1, 100),
            "score": round(rnd.random(), 4),
            "attributes": json.dumps({"track": rnd.randint(0, 3)}) if attrs else None,
        }
        for i in range(0, n, step)
        for _ in range(rnd.randint(0, 4))
    ]
