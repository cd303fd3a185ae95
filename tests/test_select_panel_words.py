"""The selection panel offers exactly the server's strategy words (issue #49 item 3): its
checkboxes (src/features/selection/format.ts), the vector ones marked as such, and the
settings' enum (schema/selection.json)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from visionlens_jlab.select.request import VECTOR_WORDS, WORDS

ROOT = Path(__file__).resolve().parents[1]


def test_panel_words_are_the_servers() -> None:
    text = (ROOT / "src/features/selection/format.ts").read_text()
    offered = re.findall(r"\{\s*word: '(\w+)'", text)
    assert sorted(offered) == sorted(WORDS) and len(offered) == len(set(offered))
    vector_block = text.split("VECTOR_STRATEGIES", 1)[1].split("]);", 1)[0]
    assert sorted(re.findall(r"'(\w+)'", vector_block)) == sorted(VECTOR_WORDS)
    schema = json.loads((ROOT / "schema/selection.json").read_text())
    assert schema["properties"]["strategies"]["items"]["enum"] == offered
