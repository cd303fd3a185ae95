"""Our duplicate decisions against cleanvision's (``Imagelab``, its default near-duplicate
check: equal 64-bit pHash from ``imagehash``) on the same files.

On real photos with planted copies (byte copies, JPEG quality-60 re-encodings, 90 % resizes;
``dedup_fixtures``) both find the same pairs. On flat images the two disagree on purpose:
every flat image has the same pHash, so cleanvision calls two plain images of different
greys, or a blank frame and one with a small object, near duplicates; we compare their
pixels and do not.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
from cleanvision import Imagelab
from PIL import Image, ImageDraw

from visionlens_jlab.dedup.compute import DuplicateInputs, find_duplicates
from visionlens_jlab.dedup.hashes import hash_images

from .dedup_fixtures import make_planted_images


def cleanvision_pairs(paths: list[Path]) -> set[frozenset[str]]:
    """Pairs of file names in one of cleanvision's exact- or near-duplicate sets."""
    lab = Imagelab(filepaths=[str(p) for p in paths])
    lab.find_issues({"exact_duplicates": {}, "near_duplicates": {}}, n_jobs=1, verbose=False)
    pairs: set[frozenset[str]] = set()
    for kind in ("exact_duplicates", "near_duplicates"):
        for group in lab.info[kind]["sets"]:
            names = sorted(Path(p).name for p in group)
            pairs |= {frozenset(pair) for pair in itertools.combinations(names, 2)}
    return pairs


def our_pairs(paths: list[Path]) -> set[frozenset[str]]:
    """Pairs of file names we report as exact or perceptual duplicates."""
    rows = list(hash_images([(k, str(p)) for k, p in enumerate(paths)]))
    data = DuplicateInputs(
        np.arange(len(paths), dtype=np.int64),
        [None] * len(paths),
        content=[r[1] for r in rows],
        phash=[r[2] for r in rows],
        thumbs=[r[3] for r in rows],
    )
    result, _ = find_duplicates(data, 0.95)
    return {
        frozenset((paths[p["sample_id"]].name, paths[p["duplicate_id"]].name))
        for p in result["pair_list"]
    }


def test_same_pairs_as_cleanvision_on_photos_with_planted_copies(tmp_path: Path) -> None:
    files = make_planted_images(tmp_path)
    paths = [tmp_path / name for name, _split in files]
    assert len({p.name for p in paths}) == len(paths)  # names identify the files
    ours, theirs = our_pairs(paths), cleanvision_pairs(paths)
    assert len(theirs) == 7  # the 7 planted copies
    assert ours == theirs


def _flat(path: Path, grey: int, blob: tuple[int, int] | None = None) -> Path:
    image = Image.new("L", (320, 240), grey)
    if blob is not None:
        x, y = blob
        ImageDraw.Draw(image).ellipse((x, y, x + 40, y + 40), fill=255 - grey)
    image.save(path, "JPEG", quality=90)
    return path


def test_flat_images_cleanvision_pairs_are_not_copies_to_us(tmp_path: Path) -> None:
    paths = [
        _flat(tmp_path / "grey100.jpg", 100),
        _flat(tmp_path / "grey160.jpg", 160),
        _flat(tmp_path / "grey100_blob.jpg", 100, (40, 60)),
        _flat(tmp_path / "grey100_blob_elsewhere.jpg", 100, (230, 150)),
    ]
    theirs = cleanvision_pairs(paths)
    assert frozenset(("grey100.jpg", "grey160.jpg")) in theirs
    assert our_pairs(paths) == set()
    # the same flat image re-encoded is a copy to both
    with Image.open(paths[0]) as im:
        im.save(tmp_path / "grey100_q50.jpg", "JPEG", quality=50)
    again = [*paths, tmp_path / "grey100_q50.jpg"]
    copy = frozenset(("grey100.jpg", "grey100_q50.jpg"))
    assert copy in cleanvision_pairs(again)
    assert our_pairs(again) == {copy}
