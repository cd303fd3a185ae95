"""MOT Challenge files as other tools write them, ingested from real sequence folders: MOT15's
10-column ground truth (world coordinates, no class), rows with a trailing comma, and a
``seqinfo.ini`` with a byte-order mark or a key given twice."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ingest_fixtures import ingest, tiny_jpeg
from visionlens_jlab.catalog import Catalog

INFO = "[Sequence]\nname=S\nimDir=img1\nframeRate=25\nseqLength=3\nimWidth=64\nimHeight=48\n"


def _sequence(root: Path, gt: str, info: bytes = INFO.encode()) -> Path:
    """A MOT sequence ``root/S`` of 3 frames with ``gt`` as its ``gt/gt.txt``."""
    seq = root / "S"
    (seq / "img1").mkdir(parents=True)
    (seq / "gt").mkdir()
    for i in range(1, 4):
        (seq / "img1" / f"{i:06d}.jpg").write_bytes(tiny_jpeg())
    (seq / "seqinfo.ini").write_bytes(info)
    (seq / "gt" / "gt.txt").write_text(gt)
    return root


def _objects(catalog: Catalog) -> list[tuple]:
    with catalog.cursor() as cur:
        return cur.execute(
            "SELECT label, source_ann_id, x, attributes->>'visibility' FROM annotations "
            "ORDER BY ann_id"
        ).fetchall()


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        # MOT15: frame, id, x, y, w, h, conf, then world coordinates x, y, z (-1)
        ("1,1,10,10,5,5,1,-1,-1,-1\n2,4,11,10,5,5,1,-1,-1,-1\n", ("pedestrian", None)),
        # MOT17 with a trailing comma on every row: still its class and visibility
        ("1,1,10,10,5,5,1,3,0.5,\n2,4,11,10,5,5,1,3,0.5,\n", ("car", "0.5")),
    ],
)
def test_ground_truth_columns_are_read_by_the_layout_that_wrote_them(
    tmp_path: Path, rows: str, expected: tuple
) -> None:
    with Catalog(tmp_path / "vl") as catalog:
        summary = ingest(catalog, "m", _sequence(tmp_path / "mot", rows)).to_dict()
        assert summary["errors"] == summary["warnings"] == []
        assert summary["annotations"] == summary["tracks"] == 2
        objects = _objects(catalog)
        with catalog.cursor() as cur:
            names = [c[0] for c in cur.execute("SELECT name FROM categories").fetchall()]
    assert [(o[0], o[3]) for o in objects] == [expected, expected]
    assert [(o[1], o[2]) for o in objects] == [("1", 10.0), ("4", 11.0)]
    assert names == [expected[0]]  # no class_-1 from MOT15's world coordinates


@pytest.mark.parametrize(
    "info",
    [
        b"\xef\xbb\xbf" + INFO.encode(),  # a byte-order mark (Windows Notepad)
        (INFO + "frameRate=25\n").encode(),  # a key given twice
        INFO.replace("\n", "\r\n").encode(),
    ],
)
def test_seqinfo_written_by_other_tools_gives_its_frame_rate(tmp_path: Path, info: bytes) -> None:
    root = _sequence(tmp_path / "mot", "1,1,10,10,5,5,1,1,1\n", info)
    with Catalog(tmp_path / "vl") as catalog:
        summary = ingest(catalog, "m", root).to_dict()
        with catalog.cursor() as cur:
            video = cur.execute("SELECT name, fps, num_frames, width FROM videos").fetchall()
    assert summary["errors"] == []
    assert video == [("S", 25.0, 3, 64)]
