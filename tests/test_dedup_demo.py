"""The demo's duplicates are exactly its planted copies: the duplicates job on the ingested
demo (real DuckDB catalog, hashes in a real worker process) finds every planted copy and no
other pair, and its train/val leaks are the copies that landed in the other split.

Without the thumbnail check the same run reports dozens of hash collisions between plainly
different flat-background images (the bug of issue 32); the last test shows they are there.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from visionlens_jlab.catalog import Catalog
from visionlens_jlab.dedup.compute import DuplicateInputs, find_duplicates
from visionlens_jlab.dedup.hashes import hash_images
from visionlens_jlab.dedup.job import run_duplicates
from visionlens_jlab.demo import generate_demo
from visionlens_jlab.demo.copies import planted_copies
from visionlens_jlab.demo.ingest import ingest_demo

IMAGES = 600
SEED = 0


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("dedup-demo")
    files = generate_demo(tmp / "demo", images=IMAGES, seed=SEED, workers=1)
    catalog = Catalog(tmp / "data")
    ingest_demo(catalog, files, "demo")
    with catalog.cursor() as cur:
        rows = cur.execute("SELECT file_name, sample_id, split FROM samples").fetchall()
    yield {
        "files": files,
        "catalog": catalog,
        "ids": {str(r[0]): int(r[1]) for r in rows},
        "splits": {int(r[1]): r[2] for r in rows},
    }
    catalog.close()


def _name(index: int) -> str:
    return f"{index + 1:06d}.jpg"


def planted_groups(ids: dict[str, int]) -> list[list[int]]:
    """Each original with its copies, as sorted sample ids."""
    groups: dict[int, set[int]] = {}
    for plan in planted_copies(SEED, IMAGES):
        groups.setdefault(plan.source, {plan.source}).add(plan.index)
    return sorted(sorted(ids[_name(i)] for i in g) for g in groups.values())


def test_the_demo_plants_every_kind_of_copy_and_some_leaks(demo: dict[str, Any]) -> None:
    plans = planted_copies(SEED, IMAGES)
    assert {p.transform for p in plans} == {"reencode", "resize", "crop"}
    coco = json.loads(demo["files"].annotations.read_text())
    images = {img["file_name"]: img for img in coco["images"]}
    for plan in plans:
        copy, source = images[_name(plan.index)], images[_name(plan.source)]
        if plan.transform == "resize":
            assert (copy["width"], copy["height"]) == (240, 180)
        elif plan.transform == "crop":
            assert copy["width"] < source["width"] or copy["height"] < source["height"]
        # the copy's file is its own, never a byte copy (that would be an exact duplicate)
        copy_bytes = (demo["files"].images / _name(plan.index)).read_bytes()
        assert copy_bytes != (demo["files"].images / _name(plan.source)).read_bytes()
    assert any(images[_name(p.index)]["split"] != images[_name(p.source)]["split"] for p in plans)


def test_duplicates_found_are_exactly_the_planted_copies(demo: dict[str, Any]) -> None:
    result = run_duplicates(demo["catalog"], None, "demo")
    expected = planted_groups(demo["ids"])
    assert len(expected) >= 8
    assert sorted(result["groups"]) == expected
    assert result["counts"]["exact"]["pairs"] == 0
    # leaks: every non-train copy or original whose group has a train member, and no other
    splits = demo["splits"]
    expected_leaks = {
        (held, train)
        for group in expected
        for held in group
        for train in group
        if splits[held] != "train" and splits[train] == "train"
    }
    assert expected_leaks, "the demo should plant a copy across train/val"
    assert {(r["sample_id"], r["duplicate_id"]) for r in result["leaks"]} == expected_leaks


def test_hash_alone_reports_flat_images_the_thumbnails_reject(demo: dict[str, Any]) -> None:
    files, ids = demo["files"], demo["ids"]
    names = sorted(ids, key=ids.__getitem__)
    rows = list(hash_images([(ids[n], str(files.images / n)) for n in names]))
    sample_ids = np.array([r[0] for r in rows], dtype=np.int64)
    splits = [demo["splits"][int(s)] for s in sample_ids]
    hashes = [r[2] for r in rows]
    hash_only, _ = find_duplicates(DuplicateInputs(sample_ids, splits, phash=hashes), 0.95)
    checked, _ = find_duplicates(
        DuplicateInputs(sample_ids, splits, phash=hashes, thumbs=[r[3] for r in rows]), 0.95
    )
    expected = planted_groups(ids)
    assert sorted(checked["groups"]) == expected
    wrong = [g for g in hash_only["groups"] if g not in expected]
    assert len(wrong) >= 5  # the bug the thumbnail check fixes is really in this data
