"""VOC masks whose palette a PNG optimiser or ImageMagick compacted and reordered (the
colours kept, the indices renumbered), the ground truth's and a model's: read by their
colours, they evaluate as the masks VOC wrote; a palette of other colours (indices meant
as they are) is still read by its indices."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from visionlens_jlab.catalog import Catalog
from visionlens_jlab.semantic.classes import voc_colors
from visionlens_jlab.semantic.label_maps import color_table, read_label_map
from visionlens_jlab.semantic.records import mask_layout

from .semantic_fixtures import cli_semantic_evaluation, write_voc


def _compacted(png: Path) -> None:
    """Save ``png`` again with only the colours it uses, in reverse order of index."""
    with Image.open(png) as image:
        indices = np.asarray(image)
        palette = np.asarray(image.getpalette()).reshape(-1, 3)
    used = np.unique(indices)[::-1]
    renumber = np.zeros(256, np.uint8)
    renumber[used] = np.arange(len(used))
    out = Image.fromarray(renumber[indices], mode="P")
    out.putpalette(palette[used].astype(np.uint8).ravel().tolist())
    out.save(png)


def _evaluate(root: Path, capsys: pytest.CaptureFixture[str], compact: bool) -> dict[str, Any]:
    voc, preds, _, _ = write_voc(root, 6, seed=4)
    if compact:  # the ground truth's and the model's masks
        for png in [*(voc / "SegmentationClass").glob("*.png"), *preds.glob("*.png")]:
            _compacted(png)
    return cli_semantic_evaluation(capsys, voc, preds, str(root / "data"))


def test_a_reordered_voc_palette_is_read_by_its_colours(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    voc = _evaluate(tmp_path / "voc", capsys, compact=False)
    compacted = _evaluate(tmp_path / "compacted", capsys, compact=True)
    mask = next((tmp_path / "compacted" / "VOC" / "SegmentationClass").glob("*.png"))
    with Image.open(mask) as image:
        assert len(image.getpalette() or []) < 3 * 256  # compacted indeed
    assert compacted == voc
    catalog = Catalog(tmp_path / "compacted" / "data", read_only=True)
    try:  # every reader reads the model's masks by their colours too
        assert mask_layout(catalog, "s", "m") == "predictions-rgb"
    finally:
        catalog.close()
    assert 0 < voc["mIoU"] < 1


def test_a_palette_of_other_colours_keeps_its_indices(tmp_path: Path) -> None:
    table = color_table(voc_colors(21))
    indices = np.array([[0, 1, 2], [2, 1, 255]], np.uint8)
    grey = Image.fromarray(indices, mode="P")
    grey.putpalette([v for k in range(256) for v in (k, k, k)])  # a grey ramp
    grey.save(tmp_path / "grey.png")
    assert read_label_map(str(tmp_path / "grey.png"), colors=table).tolist() == indices.tolist()
    # VOC's colours but one of no class (index 40's): the indices are meant
    mixed = Image.fromarray(np.array([[0, 1, 2]], np.uint8), mode="P")
    mixed.putpalette([*voc_colors(41)[1], *voc_colors(41)[0], *voc_colors(41)[40]])
    mixed.save(tmp_path / "mixed.png")
    assert read_label_map(str(tmp_path / "mixed.png"), colors=table).tolist() == [[0, 1, 2]]
    # VOC's colours of classes 1 and 0, swapped: read by colour
    swapped = Image.fromarray(np.array([[0, 1, 1]], np.uint8), mode="P")
    swapped.putpalette([*voc_colors(21)[1], *voc_colors(21)[0]])
    swapped.save(tmp_path / "swapped.png")
    assert read_label_map(str(tmp_path / "swapped.png"), colors=table).tolist() == [[1, 0, 0]]
