"""COCO instances files as real exporters write them, for the ingest benchmark.

Every variant has the same shape (``n_images`` images, ``boxes_per_image`` boxes each, 80
classes, seeded; 7 boxes, 9 for ``quad_full_precision``) and differs in how its records are
written:

* ``plain``: compact JSON, 8-point polygons with 2 decimals (``tests.ingest_fixtures``).
* ``full_precision``: coordinates, boxes and areas at full float precision (Python's
  ``repr``: up to 17 significant digits, as ``json.dump`` of computed floats writes them).
* ``rle_crowd``: half the boxes are crowd regions with uncompressed RLE (``counts`` a list
  of ~60-200 run lengths, as in the official instances files), a fifth carry compressed
  RLE strings (backslashes and all, as pycocotools writes them), the rest polygons.
* ``quad_full_precision``: 4-point polygons at full float precision with boxes rounded to 2
  decimals (as a converter from oriented boxes or a labelling tool's quadrilaterals writes
  them): the polygon text is most of the file. 9 objects per image, to match the file of
  issue #26 (270 MB at 100K images).
* ``pretty``: the plain content pretty-printed (``indent=2``: one value per line).
* ``extra_keys``: six extra keys per image (URLs, capture metadata, a nested object, a
  list) and five per annotation (a track id, flags, a CVAT-style ``attributes`` object).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson

VARIANTS = ("plain", "full_precision", "quad_full_precision", "rle_crowd", "pretty", "extra_keys")
N_CLASSES = 80
WIDTH, HEIGHT = 640, 480
_BOXES_PER_IMAGE = {"quad_full_precision": 9}
_RLE_POOL = 2000  # distinct RLEs drawn from (parsing cost does not depend on repetition)


def write_variant(name: str, path: Path, n_images: int, boxes_per_image: int | None = None) -> int:
    """Write variant ``name`` to ``path``; returns the number of annotations."""
    if boxes_per_image is None:
        boxes_per_image = _BOXES_PER_IMAGE.get(name, 7)
    if name == "plain":
        from tests.ingest_fixtures import write_coco

        return write_coco(path, n_images, boxes_per_image)
    if name not in VARIANTS:
        raise ValueError(f"unknown variant {name!r}: one of {', '.join(VARIANTS)}")
    rnd = random.Random(0)
    pretty = name == "pretty"
    image = _extra_image if name == "extra_keys" else _image
    annotation: Callable[[random.Random, int, int], dict[str, Any]] = {
        "full_precision": _full_precision_annotation,
        "quad_full_precision": _quad_annotation,
        "rle_crowd": _rle_annotation(rnd),
        "extra_keys": _extra_annotation,
    }.get(name, _plain_annotation)
    option = orjson.OPT_INDENT_2 if pretty else 0
    sep = ",\n    " if pretty else ","
    categories = [
        {"id": i + 1, "name": f"class_{i}", "supercategory": "thing"} for i in range(N_CLASSES)
    ]
    head = {"info": {"description": f"generated ({name})"}, "licenses": []}
    n = 0
    with open(path, "w", encoding="utf-8") as f:
        if pretty:
            f.write(orjson.dumps(head, option=option).decode()[:-2] + ',\n  "categories": ')
            f.write(_indent(orjson.dumps(categories, option=option).decode(), 2))
            f.write(',\n  "images": [\n    ')
        else:
            f.write(orjson.dumps(head).decode()[:-1] + ',"categories":')
            f.write(orjson.dumps(categories).decode() + ',"images":[')
        _write_all(f, (image(rnd, i + 1) for i in range(n_images)), sep, option, pretty)
        f.write('\n  ],\n  "annotations": [\n    ' if pretty else '],"annotations":[')

        def annotations() -> Iterator[dict[str, Any]]:
            nonlocal n
            for i in range(n_images):
                for _ in range(boxes_per_image):
                    n += 1
                    yield annotation(rnd, i + 1, n)

        _write_all(f, annotations(), sep, option, pretty)
        f.write("\n  ]\n}" if pretty else "]}")
    return n


def _write_all(
    f: Any, records: Iterator[dict[str, Any]], sep: str, option: int, pretty: bool
) -> None:
    chunk: list[str] = []
    first = True
    for rec in records:
        text = orjson.dumps(rec, option=option).decode()
        chunk.append(_indent(text, 4) if pretty else text)
        if len(chunk) >= 10_000:
            f.write(("" if first else sep) + sep.join(chunk))
            chunk, first = [], False
    if chunk:
        f.write(("" if first else sep) + sep.join(chunk))


def _indent(text: str, spaces: int) -> str:
    return text.replace("\n", "\n" + " " * spaces)


def _image(rnd: random.Random, iid: int) -> dict[str, Any]:
    return {
        "id": iid,
        "file_name": f"{iid:012d}.jpg",
        "width": WIDTH,
        "height": HEIGHT,
        "license": 1,
        "date_captured": "2013-11-15 11:55:43",
    }


def _extra_image(rnd: random.Random, iid: int) -> dict[str, Any]:
    return {
        **_image(rnd, iid),
        "coco_url": f"http://images.cocodataset.org/val2017/{iid:012d}.jpg",
        "flickr_url": f"http://farm{rnd.randint(1, 9)}.staticflickr.com/{iid}/{iid * 7}_z.jpg",
        "scene": rnd.choice(("street", "indoor", "highway", "park")),
        "weather": rnd.choice(("clear", "rain", "fog", "snow")),
        "camera": {
            "make": "Acme",
            "model": f"X{rnd.randint(1, 9)}",
            "iso": 100 * rnd.randint(1, 32),
        },
        "tags": rnd.sample(("night", "blur", "crowd", "reflection", "occluded"), 2),
    }


def _box(rnd: random.Random) -> tuple[float, float, float, float]:
    return rnd.uniform(0, 500), rnd.uniform(0, 400), rnd.uniform(5, 140), rnd.uniform(5, 80)


def _polygon(rnd: random.Random, x: float, y: float, w: float, h: float) -> list[float]:
    return [v for _ in range(8) for v in (x + rnd.random() * w, y + rnd.random() * h)]


def _plain_annotation(rnd: random.Random, iid: int, aid: int) -> dict[str, Any]:
    x, y, w, h = _box(rnd)
    poly = [round(v, 2) for v in _polygon(rnd, x, y, w, h)]
    return {
        "segmentation": [poly],
        "area": round(w * h * 0.7, 3),
        "iscrowd": 0,
        "image_id": iid,
        "bbox": [round(x, 2), round(y, 2), round(w, 2), round(h, 2)],
        "category_id": rnd.randint(1, N_CLASSES),
        "id": aid,
    }


def _full_precision_annotation(rnd: random.Random, iid: int, aid: int) -> dict[str, Any]:
    x, y, w, h = _box(rnd)
    return {
        "segmentation": [_polygon(rnd, x, y, w, h)],
        "area": w * h * 0.7,
        "iscrowd": 0,
        "image_id": iid,
        "bbox": [x, y, w, h],
        "category_id": rnd.randint(1, N_CLASSES),
        "id": aid,
    }


def _quad_annotation(rnd: random.Random, iid: int, aid: int) -> dict[str, Any]:
    x, y, w, h = _box(rnd)
    quad = [v for _ in range(4) for v in (x + rnd.random() * w, y + rnd.random() * h)]
    return {
        "segmentation": [quad],
        "area": w * h * 0.7,
        "iscrowd": 0,
        "image_id": iid,
        "bbox": [round(x, 2), round(y, 2), round(w, 2), round(h, 2)],
        "category_id": rnd.randint(1, N_CLASSES),
        "id": aid,
    }


def _rle_annotation(pool_rnd: random.Random) -> Callable[[random.Random, int, int], dict[str, Any]]:
    uncompressed = [_runs(pool_rnd) for _ in range(_RLE_POOL)]
    # pycocotools' compressed counts use characters 48..111, backslash (92) included
    compressed = [
        "".join(chr(pool_rnd.randint(48, 111)) for _ in range(pool_rnd.randint(40, 160)))
        for _ in range(_RLE_POOL)
    ]

    def annotation(rnd: random.Random, iid: int, aid: int) -> dict[str, Any]:
        kind = rnd.random()
        if kind >= 0.5:
            return _plain_annotation(rnd, iid, aid)
        x, y, w, h = _box(rnd)
        counts: Any = rnd.choice(uncompressed) if kind < 0.3 else rnd.choice(compressed)
        return {
            "segmentation": {"counts": counts, "size": [HEIGHT, WIDTH]},
            "area": float(int(w * h * 0.6)),
            "iscrowd": 1 if kind < 0.3 else 0,
            "image_id": iid,
            "bbox": [round(x, 1), round(y, 1), round(w, 1), round(h, 1)],
            "category_id": rnd.randint(1, N_CLASSES),
            "id": aid,
        }

    return annotation


def _runs(rnd: random.Random) -> list[int]:
    """Run lengths of a mask over a 640x480 image (summing to its pixel count)."""
    n = rnd.randint(60, 200)
    cuts = sorted(rnd.sample(range(1, WIDTH * HEIGHT), n - 1))
    return [b - a for a, b in zip([0, *cuts], [*cuts, WIDTH * HEIGHT], strict=True)]


def _extra_annotation(rnd: random.Random, iid: int, aid: int) -> dict[str, Any]:
    return {
        **_plain_annotation(rnd, iid, aid),
        "track_id": rnd.randint(1, 5000),
        "occluded": rnd.random() < 0.3,
        "truncated": rnd.random() < 0.1,
        "source": "manual",
        "attributes": {"color": rnd.choice(("red", "blue", "white")), "rotation": 0.0},
    }
