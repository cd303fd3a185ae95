"""The one dataset of hostile names every panel and job is run against (issue #33).

:func:`write_hostile_dataset` generates it on the fly (nothing binary is committed) under a
base folder::

    base/allowed/hostile/annotations.json   COCO, one image per entry of FILE_NAMES
    base/allowed/hostile/images/            the media root: real JPEGs, one symlink out
    base/outside/secret.jpg                 outside the media root (and the allowed root)
    base/outside/abs.jpg

What it holds, and what each part probes:

* file names (:data:`FILE_NAMES`): three plain images; a right-to-left override
  (``invoice\\u202Egnp.exe.jpg``, shown escaped); markup (``<img src=x onerror=...>``, never
  executed); three ways out of the media root (``../../../outside/secret.jpg``, an absolute
  path, a symlink inside pointing out): the image route answers 403 and every job refuses
  them, counted, never read; a NUL byte and a name longer than the file system allows:
  the placeholder, flagged by the ingest report, skipped with a count by every job.
* class names (:data:`HOSTILE_STRINGS`): ``constructor``, ``__proto__``, ``toString`` and
  ``hasOwnProperty`` (members of ``Object.prototype`` in the browser), markup, bidi
  controls. Every image has one box of each class and a second box of one class, so
  that each class is some image's most frequent one (the map colours by that).
* image fields and box attributes with the same strings as keys and values.

Tags with the same strings are added by the tests that need them (through the API).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

HOSTILE_STRINGS = (
    "constructor",
    "__proto__",
    "toString",
    "cat\u202egod",  # U+202E RIGHT-TO-LEFT OVERRIDE: "god" shows reversed
    "hasOwnProperty",
    "<img src=x onerror=alert(1)>",
    "a\u2066b\u2069c\u200fd\u061c",  # isolates, RLM, Arabic letter mark
)
"""Class names, field and attribute keys and values, tag names. The first five are the
most frequent classes of the five readable images (the map colours those)."""

PLAIN = ("plain-0.jpg", "plain-1.jpg", "plain-2.jpg")
RTL_NAME = "invoice\u202egnp.exe.jpg"
MARKUP_NAME = "<img src=x onerror=alert(1)>.jpg"
DOTDOT_NAME = "../../../outside/secret.jpg"
LINK_NAME = "link-out.jpg"
NUL_NAME = "nul\x00name.jpg"
LONG_NAME = "x" * 300 + ".jpg"

READABLE = (*PLAIN, RTL_NAME, MARKUP_NAME)
"""File names inside the media root: every job reads these."""
BAD_NAMES = (NUL_NAME, LONG_NAME)
"""Names no file system can hold: the placeholder image, skipped by every job."""


@dataclass
class HostileDataset:
    """Where :func:`write_hostile_dataset` put things."""

    annotations: Path
    images: Path
    allowed_root: Path
    outside: Path
    file_names: list[str] = field(default_factory=list)
    """Every image's ``file_name`` as the COCO file writes it, in image id order."""

    @property
    def refused(self) -> list[str]:
        """The file names that resolve outside the media root."""
        return [DOTDOT_NAME, str(self.outside / "abs.jpg"), LINK_NAME]


def _jpeg(path: Path, seed: int) -> None:
    colour = ((seed * 73) % 256, (seed * 151) % 256, (seed * 199) % 256)
    image = Image.new("RGB", (96, 64), colour)
    image.paste((255 - colour[0], 40, 200), (8 + seed * 4, 8, 40 + seed * 4, 40))
    image.save(path, "JPEG", quality=90)


def write_hostile_dataset(base: Path) -> HostileDataset:
    """Write the hostile dataset under ``base`` (see the module docstring)."""
    allowed = base / "allowed"
    root = allowed / "hostile"
    images = root / "images"
    outside = base / "outside"
    images.mkdir(parents=True)
    outside.mkdir(parents=True)
    for n, name in enumerate(READABLE):
        _jpeg(images / name, n)
    _jpeg(outside / "secret.jpg", 40)  # what a job must never read
    _jpeg(outside / "abs.jpg", 41)
    os.symlink(outside / "secret.jpg", images / LINK_NAME)
    file_names = [*READABLE, DOTDOT_NAME, str(outside / "abs.jpg"), LINK_NAME, *BAD_NAMES]
    strings = list(HOSTILE_STRINGS)
    coco = {
        "images": [
            {
                "id": i,
                "file_name": name,
                "width": 96,
                "height": 64,
                **{key: strings[(i + k) % len(strings)] for k, key in enumerate(strings)},
            }
            for i, name in enumerate(file_names, 1)
        ],
        "categories": [{"id": c, "name": name} for c, name in enumerate(strings, 1)],
        "annotations": [
            {
                "id": i * 100 + n,
                "image_id": i,
                "category_id": c,
                "bbox": [4 + c, 4 + c, 30, 20],
                "area": 600,
                "iscrowd": 0,
                "attributes": {
                    key: strings[(c + k) % len(strings)] for k, key in enumerate(strings)
                },
            }
            for i in range(1, len(file_names) + 1)
            # one box of each class, and a second of one class: every class is some
            # image's most frequent one (the map colours by it)
            for n, c in enumerate([*range(1, len(strings) + 1), (i - 1) % len(strings) + 1])
        ],
    }
    annotations = root / "annotations.json"
    annotations.write_text(json.dumps(coco))
    return HostileDataset(annotations, images, allowed, outside, file_names)
