"""Counts after an edit stay in memory (catalog/indexes/box_patches.py): a batch through the
operation log, its undo, redo and a restore patch the held box index, or past
``MAX_PATCHED`` samples fold the patch into new planes; either way every facet equals a
fresh SQL count and the index is never rebuilt."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest

from visionlens_jlab import edits
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.base.bit_levels import CodeCounts, Levels, PackedMask
from visionlens_jlab.catalog.indexes import box_index, box_patches

from .edit_fixtures import CLASSES, objects
from .test_facet_index import both, catalog  # noqa: F401 - the fixture
from .test_sample_labels import SPECS, builds, dataset  # noqa: F401 - fixtures

COUNTED = [{}, SPECS[0], SPECS[1], SPECS[4]]  # unfiltered: the parts counted from the index


def truth_counts(cat: Catalog, ds: int) -> dict[str, int]:
    """The ground-truth boxes per class, counted by SQL from the rows."""
    with cat.cursor() as cur:
        return dict(
            cur.execute(
                "SELECT label, COUNT(*) FROM annotations WHERE dataset_id = ? "
                "AND source = 'ground_truth' GROUP BY label",
                [ds],
            ).fetchall()
        )


def indexed_truth_counts(cat: Catalog, ds: int) -> dict[str, int]:
    """The same counts from the held box index over every sample."""
    index = box_index.held_index(cat, ds)
    assert index is not None
    src = index.sources["ground_truth"]
    every = PackedMask.of(np.ones(index.samples.n, dtype=bool))
    counts = src.labels.counts(every)
    return {label: int(n) for label, n in zip(src.vocab, counts, strict=False) if n and label}


def agree(cat: Catalog, ds: int, mp: pytest.MonkeyPatch) -> None:
    for spec in COUNTED:
        fast, slow = both(cat, "rich", spec, mp)
        assert fast == slow, spec
    assert indexed_truth_counts(cat, ds) == truth_counts(cat, ds)


@pytest.mark.parametrize("limit", [box_patches.MAX_PATCHED, 3])
def test_bulk_edits_undo_redo_and_restore_keep_the_counts_in_memory(
    catalog: Catalog,  # noqa: F811 - the fixture
    monkeypatch: pytest.MonkeyPatch,
    builds: list[int],  # noqa: F811 - the fixture
    limit: int,
) -> None:
    monkeypatch.setattr(box_patches, "MAX_PATCHED", limit)  # 3: every batch is folded
    rnd = random.Random(limit)
    ds = dataset(catalog, "rich")
    for spec in COUNTED:
        both(catalog, "rich", spec, monkeypatch)
    assert builds[0] == 1
    version = edits.snapshot(catalog, "rich", "before", "t")["version"]
    truth = sorted(objects(catalog, ds, "ground_truth").items())
    picked = rnd.sample(truth, 60)
    relabel = [a for a, o in picked[:40] if o["label"] != "c0"]
    sample = picked[0][1]
    batches: list[Any] = [
        [{"op": "relabel", "annotation_ids": relabel, "label": "c0"}],
        [{"op": "delete", "annotation_ids": [a for a, _ in picked[40:]]}],
        [
            {"op": "add", "sample_id": o["sample_id"], "label": rnd.choice(CLASSES),
             "bbox": [1, 1, 5, 5]}
            for _, o in picked[:10]
        ] + [{"op": "add", "sample_id": sample["sample_id"], "label": "c11", "bbox": [2, 2, 3, 3]}],
    ]  # fmt: skip
    for ops in batches:
        edits.apply_edits(catalog, "rich", ops, "t")
        agree(catalog, ds, monkeypatch)
    edits.undo(catalog, "rich", "t")
    agree(catalog, ds, monkeypatch)
    edits.redo(catalog, "rich", "t")
    agree(catalog, ds, monkeypatch)
    edits.restore_version(catalog, "rich", version, "t")
    agree(catalog, ds, monkeypatch)
    assert builds[0] == 1  # patched or folded by every batch, never rebuilt
    labels = box_index.held_index(catalog, ds).sources["ground_truth"].labels  # type: ignore[union-attr]
    assert isinstance(labels, CodeCounts) == (limit == 3)  # the path the parameter names


def test_folded_planes_equal_planes_built_from_the_rows() -> None:
    rnd = np.random.default_rng(7)
    n, codes = 3000, 5
    positions = rnd.integers(0, n, 20_000)
    labels = rnd.integers(0, codes, len(positions))
    base = CodeCounts.of(labels, positions, codes, n)
    edited = np.unique(rnd.integers(0, n, 700))
    keep = ~np.isin(positions, edited) | (labels == 0)  # code 0 unchanged: its planes kept
    new_pos = rnd.choice(edited, 1500)
    new_labels = rnd.integers(1, codes + 2, len(new_pos))  # two classes new to the index
    now = np.zeros((len(edited), codes + 2), dtype=np.int64)
    np.add.at(now, (np.searchsorted(edited, new_pos), new_labels), 1)
    was = box_patches.code_counts_at(base, edited)
    now[:, 0] = was[:, 0]
    all_pos = np.concatenate([positions[keep], new_pos])
    all_labels = np.concatenate([labels[keep], new_labels])
    expected = CodeCounts.of(all_labels, all_pos, codes + 2, n)
    folded = box_patches.fold_codes(base, edited, was, now, n)
    assert folded.planes[0] is base.planes[0]
    levels = box_patches.fold_levels(Levels.of_rows(positions, n), edited, now.sum(axis=1), n)
    expected_levels = Levels.of_rows(all_pos, n)
    for _ in range(5):
        bits = PackedMask.of(rnd.random(n) < 0.4)
        assert folded.counts(bits).tolist() == expected.counts(bits).tolist()
        assert levels.total(bits) == expected_levels.total(bits)
        assert levels.per_count(bits).tolist() == expected_levels.per_count(bits).tolist()
    for code in range(codes + 2):
        assert (folded.mask_of([code], n) == expected.mask_of([code], n)).all()
