"""The MOT ingest's fast paths: a well-formed ``gt.txt`` parsed straight to floats
(:mod:`visionlens_jlab.ingest.mot_fast`), any other by the tolerant text reader, a dataset
ingesting to the same samples, objects, track ids and report rows either way; MOT's frame
names sorted as text; the sequences' batches coalesced."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.ingest_fixtures import tiny_jpeg
from visionlens_jlab.ingest import mot_rows
from visionlens_jlab.ingest.mot import MotDataset
from visionlens_jlab.ingest.mot_fast import read_well_formed
from visionlens_jlab.ingest.video_rows import natural_key, sorted_frames

ROWS = [
    "1,1,10,10,5,5,1,1,0.5",
    "2,1,11,10,5,5,0,7,0.25",
    "2,1,12,10,5,5,1,1,1",  # track 1 twice on frame 2: reported after the parse
    "3,4,10.5,9.75,6,7,1,3,0.123456789",
    "9,2,1,1,5,5,1,1,1",  # past the last of 3 frames
]

WELL_FORMED = {
    "plain": "\n".join(ROWS) + "\n",
    "crlf": "\r\n".join(ROWS) + "\r\n",
    "no_final_newline": "\n".join(ROWS),
    "spaced": "\n".join(r.replace(",", ", ") for r in ROWS) + "\n",
    "signs": "+1,1,10.,10,5,5,1,1,1e-1\n2,-1,3,3,4,4,1,1,.5\n",  # id -1: no track
    "mot15": "1,1,10,10,5,5,1,-1,-1,-1\n2,4,11,10,5,5,1,-1,-1,-1\n",
    "six_columns": "1,1,10,10,5,5\n2,2,10,10,5,5\n",
    "fractional": "1.5,1,10,10,5,5,1,1,1\n1,2.5,10,10,5,5,1,1,1\n2,2,10,10,5,5,1,1,1\n",
    "no_area": "1,1,10,10,0,5,1,1,1\n2,1,10,10,5,-2,1,1,1\n3,1,10,10,5,5,1,1,1\n",
    "bom": "\ufeff" + "\n".join(ROWS) + "\n",
}

MALFORMED = {
    "header": "frame,id,x,y,w,h,conf,cls,vis\n" + "\n".join(ROWS) + "\n",
    "blank_line": ROWS[0] + "\n\n" + "\n".join(ROWS[1:]) + "\n",
    "leading_blank": "\n" + "\n".join(ROWS) + "\n",
    "tabs": "\n".join(r.replace(",", "\t") for r in ROWS) + "\n",
    "spaces": "\n".join(r.replace(",", " ") for r in ROWS) + "\n",
    "word": ROWS[0] + "\n2,1,ten,10,5,5,1,1,1\n" + ROWS[3] + "\n",
    "short_row": ROWS[0] + "\n2,1,10,10\n" + ROWS[3] + "\n",
    "long_row": ROWS[0] + "\n2,1,10,10,5,5,1,1,1,1\n" + ROWS[3] + "\n",
    "empty_value": ROWS[0] + "\n2,,10,10,5,5,1,1,1\n" + ROWS[3] + "\n",
    "trailing_comma": "\n".join(r + "," for r in ROWS) + "\n",
    "nan_visibility": ROWS[0] + "\n2,1,10,10,5,5,1,1,nan\n",
    "infinite_x": ROWS[0] + "\n2,1,inf,10,5,5,1,1,1\n",
    "infinite_visibility": ROWS[0] + "\n2,1,10,10,5,5,1,1,inf\n",
    "quoted": ROWS[0] + '\n"2",1,10,10,5,5,1,1,1\n',
    "five_columns": "1,1,10,10,5\n2,1,10,10,5\n",
    "empty_file": "",
}

INFO = "[Sequence]\nname={name}\nimDir=img1\nframeRate=25\nseqLength=3\nimWidth=64\nimHeight=48\n"


def _dataset(root: Path, files: dict[str, str]) -> Path:
    """A MOT folder of one 3-frame sequence per entry of ``files``, its text the gt.txt."""
    for name, text in files.items():
        seq = root / name
        (seq / "img1").mkdir(parents=True)
        (seq / "gt").mkdir()
        for i in range(1, 4):
            (seq / "img1" / f"{i:06d}.jpg").write_bytes(tiny_jpeg())
        (seq / "seqinfo.ini").write_text(INFO.format(name=name))
        (seq / "gt" / "gt.txt").write_bytes(text.encode())
    return root


def _parse(root: Path) -> dict[str, Any]:
    """Everything the parser hands the writer: batches, feature rows, classes, report."""
    parsed = MotDataset(str(root))
    batches = [
        (b.samples, b.annotations, b.classifications) for b in parsed.batches()
    ]  # the batches first: the classes, feature rows and counts are known after them
    return {
        "batches": batches,
        "features": parsed.feature_rows(),
        "categories": parsed.categories(),
        "report": parsed.report.to_dict(),
    }


@pytest.mark.parametrize("name", sorted(WELL_FORMED))
def test_a_well_formed_file_takes_the_fast_path(tmp_path: Path, name: str) -> None:
    path = tmp_path / "gt.txt"
    path.write_bytes(WELL_FORMED[name].encode())
    columns = read_well_formed(str(path))
    assert columns is not None
    assert len(columns[0]) == WELL_FORMED[name].strip("\ufeff\r\n").count("\n") + 1


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_any_other_file_is_left_to_the_tolerant_reader(tmp_path: Path, name: str) -> None:
    path = tmp_path / "gt.txt"
    path.write_bytes(MALFORMED[name].encode())
    assert read_well_formed(str(path)) is None


def test_both_paths_ingest_the_same_samples_objects_tracks_and_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _dataset(tmp_path / "mot", {**WELL_FORMED, **MALFORMED})
    used: list[bool] = []

    def spy(path: str) -> Any:
        columns = read_well_formed(path)
        used.append(columns is not None)
        return columns

    monkeypatch.setattr(mot_rows, "read_well_formed", spy)
    fast = _parse(root)
    assert used.count(True) == len(WELL_FORMED)  # the fast path read every well-formed file
    monkeypatch.setattr(mot_rows, "read_well_formed", lambda path: None)
    tolerant = _parse(root)
    assert fast["report"] == tolerant["report"]
    assert fast["categories"] == tolerant["categories"]
    assert fast["features"].keys() == tolerant["features"].keys()
    for key, table in fast["features"].items():
        assert table.equals(tolerant["features"][key]), key
    assert len(fast["batches"]) == len(tolerant["batches"])
    for ours, theirs in zip(fast["batches"], tolerant["batches"], strict=True):
        for a, b in zip(ours, theirs, strict=True):
            assert (a is None and b is None) or a.equals(b)
    # the files do report: the comparison is not between two empty reports
    codes = {e["code"] for e in fast["report"]["errors"] + fast["report"]["warnings"]}
    assert {"mot_fractional_frame_or_id", "mot_empty_box", "mot_bad_row"} <= codes
    assert {"mot_header_skipped", "mot_track_repeated_on_frame"} <= codes


@pytest.mark.parametrize(
    "names",
    [
        ["000001.jpg", "000010.jpg", "000002.jpg"],  # MOT's: sorted as text
        ["1.jpg", "10.jpg", "2.jpg"],  # of other widths: by number
        ["000001.PNG", "000001.jpg", "000002.jpg"],  # two extensions: by natural key
        ["a2.jpg", "a10.jpg", "b1.jpg"],
        ["000\u0661.jpg", "0002.jpg", "0001.jpg"],  # a non-ASCII digit
        [],
    ],
)
def test_frames_sort_in_natural_order(names: list[str]) -> None:
    assert sorted_frames(names) == sorted(names, key=natural_key)


def test_the_sequences_batches_are_coalesced_in_order(tmp_path: Path) -> None:
    root = _dataset(tmp_path / "mot", {f"S{i:02d}": WELL_FORMED["plain"] for i in range(12)})
    batches = _parse(root)["batches"]
    assert len(batches) == 1  # 12 sequences of 3 frames: far below a run's rows
    samples, objects, _ = batches[0]
    assert samples["sample_index"].to_pylist() == list(range(36))
    assert objects["sample_index"].to_pylist() == [
        3 * s + f
        for s in range(12)
        for f in (0, 1, 2)  # the repeat on frame 2 and frame 9, past the end, dropped
    ]
