"""MOT text files padded with NUL bytes (a tracker that crashed mid-write, a file
preallocated and not filled): detected as MOT, the padding reported and left out, and NUL
bytes among the rows reported by file and line."""

from __future__ import annotations

from pathlib import Path

from visionlens_jlab.ingest.detect import detect_predictions_format
from visionlens_jlab.ingest.mot_rows import read_mot_rows
from visionlens_jlab.records.report import IngestReport

ROWS = b"1,1,10,20,30,40,1,-1,-1,-1\n2,1,11,20,30,40,1,-1,-1,-1\n"
PADDING = b"\x00" * 4096


def _write(path: Path, data: bytes) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return str(path)


def test_padded_results_are_detected_as_mot(tmp_path: Path) -> None:
    path = _write(tmp_path / "tracker" / "MOT17-02.txt", ROWS + PADDING)
    assert detect_predictions_format(str(tmp_path / "tracker")) == "mot"
    assert detect_predictions_format(path) == "mot"


def test_padding_is_a_warning_and_no_rows(tmp_path: Path) -> None:
    path = _write(tmp_path / "gt.txt", ROWS + PADDING)
    report = IngestReport()
    rows = read_mot_rows(path, report, with_class=False)
    assert rows is not None
    assert rows.frame.tolist() == [1, 2]
    assert rows.x.tolist() == [10, 11]
    assert report.errors == []
    (warning,) = report.warnings
    assert warning["code"] == "mot_nul_padding"
    assert warning["examples"] == [f"{path}: {len(PADDING)} NUL bytes at the end"]


def test_padding_without_final_newline_and_in_utf16(tmp_path: Path) -> None:
    for name, data in {
        "cut.txt": ROWS.rstrip(b"\n") + PADDING,
        "utf16.txt": ROWS.decode().encode("utf-16") + PADDING,
    }.items():
        path = _write(tmp_path / name, data)
        report = IngestReport()
        rows = read_mot_rows(path, report, with_class=False)
        assert rows is not None and rows.frame.tolist() == [1, 2], name
        assert report.errors == [], name
        assert [w["code"] for w in report.warnings] == ["mot_nul_padding"], name


def test_nul_bytes_among_rows_name_file_and_line(tmp_path: Path) -> None:
    row3 = b"3,1,12,20,30,40,1,-1,-1,-1\n"
    path = _write(tmp_path / "gt.txt", ROWS + b"\x00" * 64 + b"\n" + row3)
    report = IngestReport()
    rows = read_mot_rows(path, report, with_class=False)
    assert rows is not None and rows.frame.tolist() == [1, 2, 3]  # the rows around it kept
    assert report.warnings == []
    (error,) = report.errors
    assert error["code"] == "mot_bad_row"
    assert error["examples"][0].startswith(f"{path}: line 3: NUL bytes")


def test_nul_inside_a_value_names_file_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path / "gt.txt", ROWS + b"3,1,1\x00\x00,20,30,40,1,-1,-1,-1\n")
    report = IngestReport()
    rows = read_mot_rows(path, report, with_class=False)
    assert rows is not None and rows.frame.tolist() == [1, 2]
    (error,) = report.errors
    assert error["examples"][0].startswith(f"{path}: line 3: NUL bytes")
