"""The lab leaves label-map models out of its object tools by their ``models.format``
(``src/model/objectModels.ts``): the formats it names are those the imports write."""

from __future__ import annotations

import re
from pathlib import Path

from visionlens_jlab.semantic.ingest import SemanticSamples
from visionlens_jlab.semantic.records import PANOPTIC_LAYOUT

ROOT = Path(__file__).resolve().parents[1]


def test_the_lab_names_the_formats_of_label_map_models() -> None:
    text = (ROOT / "src/model/objectModels.ts").read_text()
    block = re.search(r"LABEL_MAP_FORMATS[^=]*= new Set\(\[(.*?)\]\)", text, re.S)
    assert block, "LABEL_MAP_FORMATS not found"
    named = set(re.findall(r"'([^']+)'", block.group(1)))
    assert named == {SemanticSamples.format, PANOPTIC_LAYOUT}
