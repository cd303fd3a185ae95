"""The byte scan of ``ingest/coco/jsonstream.py``: where each top-level key's value starts,
whatever the chunk edges, and which keys occur more than once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from visionlens_jlab.ingest.coco import jsonstream
from visionlens_jlab.ingest.coco.jsonstream import scan_layout

KEYS = ("images", "annotations", "categories")
DOCS = {
    "compact": '{"info":{"v":"images"},"categories":[{"id":1}],"images":[1,2],"annotations":[]}',
    "spaced": '{ "annotations" \n :\t [ {"a": "\\"images\\": x"} ] ,\n "images"  :  [ ] }',
    "nested": '{"images":[{"images":[3]}],"categories":[],"annotations":[{"annotations":1}]}',
    "value only": '{"images":[],"note":"categories","x":["annotations", "images"]}',
}
EXPECTED: dict[str, dict[str, Any]] = {
    "compact": {"categories": [{"id": 1}], "images": [1, 2], "annotations": []},
    "spaced": {"annotations": [{"a": '"images": x'}], "images": []},
    "nested": {"categories": []},  # images and annotations: more than once
    "value only": {"images": []},
}


@pytest.mark.parametrize("name", sorted(DOCS))
def test_offsets_are_the_values_at_any_chunk_size(
    tmp_path: Path, monkeypatch: Any, name: str
) -> None:
    # padded: a chunk must be longer than a key and its blanks (_MAX_BLANKS), as 8 MB is
    text = DOCS[name].replace("{", '{"pad":"' + "p" * 150 + '",', 1)
    path = tmp_path / "doc.json"
    path.write_text(text)
    decoder = json.JSONDecoder()
    whole = scan_layout(str(path), KEYS)
    found = {
        k: decoder.raw_decode(text, off)[0]
        for k, off in whole.offsets.items()
        if k not in whole.ambiguous
    }
    assert found == EXPECTED[name]
    assert whole.ambiguous == ({"images", "annotations"} if name == "nested" else set())
    assert all(whole.first_chars[k] == text[o] for k, o in whole.offsets.items())
    for chunk in range(80, len(text) + 2):  # every edge falls inside a key somewhere
        monkeypatch.setattr(jsonstream, "_CHUNK", chunk)
        layout = scan_layout(str(path), KEYS)
        assert (layout.offsets, layout.first_chars, layout.ambiguous) == (
            whole.offsets,
            whole.first_chars,
            whole.ambiguous,
        ), chunk


@pytest.mark.parametrize("chunk", [80, 97, 1 << 20])
def test_keys_beside_invalid_utf8(tmp_path: Path, monkeypatch: Any, chunk: int) -> None:
    # the chunks without a key are skipped by Arrow's RE2 (UTF-8 by default): a key right
    # after a stray lead byte, or in a chunk of them, is still found
    pad = b'{"pad":"' + b"\xff" * 150 + b'",'
    text = pad + b'"x":"\xe2\x82","images":[1],"y":"\xc3","annotations":[2],"categories":[]}'
    path = tmp_path / "doc.json"
    path.write_bytes(text)
    monkeypatch.setattr(jsonstream, "_CHUNK", chunk)
    layout = scan_layout(str(path), KEYS)
    assert {k: text[o : o + 3] for k, o in layout.offsets.items()} == {
        "images": b"[1]",
        "annotations": b"[2]",
        "categories": b"[]}",
    }
    assert not layout.ambiguous
