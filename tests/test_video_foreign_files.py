"""Video annotations as other tools write them: SportsMOT's release folder, a MOT ``gt.txt``
numbering frames from 0 (a converter counting as Python does), tracker results with a
trailing comma or separated by tabs or spaces (found as MOT by auto detection), CVAT for
video XML saved as UTF-16 or Latin-1 (with a DTD: refused before parsing whatever the
encoding), YouTube-VIS frames named with backslashes, frames where YouTube-VIS 2019, OVIS
and TAO ship them, and a per-frame list that is no list."""

from __future__ import annotations

import codecs
import json
from pathlib import Path
from typing import Any

import pytest

from tests.ingest_fixtures import ingest, ingest_predictions, tiny_jpeg
from tests.vis_fixtures import WIDTH, write_tao, write_youtube_vis
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.ingest.detect import detect_dataset_format, detect_predictions_format
from visionlens_jlab.ingest.voc import parse_xml_bytes
from visionlens_jlab.records.report import IngestError

INFO = "[Sequence]\nname=S\nimDir=img1\nframeRate=25\nseqLength=3\nimWidth=64\nimHeight=48\n"


def _ingested(
    tmp_path: Path, name: str, source: Path, sql: str
) -> tuple[dict[str, Any], list[tuple[Any, ...]]]:
    """Ingest ``source`` as dataset ``name`` into a fresh catalog: the ingest's summary and
    the rows of ``sql`` after it."""
    with Catalog(tmp_path / "vl") as catalog:
        summary = ingest(catalog, name, source).to_dict()
        with catalog.cursor() as cur:
            rows = [tuple(row) for row in cur.execute(sql).fetchall()]
    return summary, rows


def test_a_ground_truth_counting_frames_from_zero_is_one_report_row_not_shifted(
    tmp_path: Path,
) -> None:
    """Frames 0-2 of a 3-frame sequence: none of the file ingests (each box would sit a frame
    early, and frame 0's would be lost), one report row says so and what to do; the frames
    and the other sequence's boxes ingest."""
    root = tmp_path / "mot"
    for name, frames in (("A", (0, 1, 2)), ("B", (1, 2, 3))):
        seq = root / name
        (seq / "img1").mkdir(parents=True)
        (seq / "gt").mkdir()
        for i in range(1, 4):
            (seq / "img1" / f"{i:06d}.jpg").write_bytes(tiny_jpeg())
        (seq / "seqinfo.ini").write_text(INFO.replace("name=S", f"name={name}"))
        rows = "".join(f"{f},1,{10 + f},10,5,5,1,1,1\n" for f in frames)
        (seq / "gt" / "gt.txt").write_text(rows)
    summary, boxes = _ingested(
        tmp_path,
        "m",
        root,
        "SELECT v.name, f.frame_number, a.x FROM annotations a "
        "JOIN video_frames f USING (sample_id) JOIN videos v USING (video_id) "
        "ORDER BY 1, 2",
    )
    (error,) = summary["errors"]
    assert error["code"] == "mot_gt_frame_zero" and error["count"] == 1
    assert "add 1 to each row's frame" in error["message"]
    assert error["examples"] == [f"A: frame 0 ({root / 'A' / 'gt' / 'gt.txt'} line 1)"]
    assert summary["samples"] == 6
    assert [tuple(b) for b in boxes] == [("B", 1, 11.0), ("B", 2, 12.0), ("B", 3, 13.0)]


def _cvat_task(root: Path, xml: bytes) -> Path:
    """A CVAT for video export of 3 frames: ``annotations.xml`` (``xml``) and ``images/``."""
    (root / "images").mkdir(parents=True)
    for f in range(3):
        (root / "images" / f"frame_{f:06d}.png").write_bytes(tiny_jpeg())
    (root / "annotations.xml").write_bytes(xml)
    return root


def _cvat_xml(encoding: str, doctype: str = "") -> str:
    return f"""<?xml version="1.0" encoding="{encoding}"?>{doctype}
<annotations><version>1.1</version><meta><task><id>7</id><name>rue</name><size>3</size>
<mode>interpolation</mode><start_frame>0</start_frame><stop_frame>2</stop_frame>
<labels><label><name>vélo</name><type>any</type><attributes/></label></labels>
<original_size><width>64</width><height>48</height></original_size></task></meta>
<track id="0" label="vélo" source="manual">
<box frame="0" outside="0" occluded="0" keyframe="1" xtl="0" ytl="0" xbr="10" ybr="10" z_order="0"/>
<box frame="2" outside="1" occluded="0" keyframe="1" xtl="0" ytl="0" xbr="10" ybr="10" z_order="0"/>
</track></annotations>
"""


@pytest.mark.parametrize(
    "xml",
    [
        _cvat_xml("utf-16").encode("utf-16"),  # Python's utf-16: a byte-order mark, LE
        codecs.BOM_UTF16_BE + _cvat_xml("UTF-16").encode("utf-16-be"),
        _cvat_xml("ISO-8859-1").encode("latin-1"),
    ],
    ids=["utf-16-le", "utf-16-be", "latin-1"],
)
def test_cvat_video_xml_in_other_encodings_is_found_and_ingests_its_labels(
    tmp_path: Path, xml: bytes
) -> None:
    task = _cvat_task(tmp_path / "task", xml)
    assert detect_dataset_format(str(task)) == "cvat"
    summary, boxes = _ingested(
        tmp_path,
        "rue",
        task,
        "SELECT f.frame_number, a.label FROM annotations a "
        "JOIN video_frames f USING (sample_id) ORDER BY 1",
    )
    assert summary["errors"] == [] and summary["tracks"] == 1
    assert [tuple(b) for b in boxes] == [(1, "vélo"), (2, "vélo")]


LAUGHS = '<!DOCTYPE annotations [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'


def test_xml_with_a_dtd_saved_as_utf16_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    """The DTD check reads the text, not the bytes: UTF-16 spells ``<!DOCTYPE`` with a zero
    byte after each letter, which a byte test misses, and the parser would expand the
    entities."""
    xml = _cvat_xml("utf-16", LAUGHS).replace('label="vélo"', 'label="&b;"').encode("utf-16")
    task = _cvat_task(tmp_path / "task", xml)
    with Catalog(tmp_path / "vl") as catalog, pytest.raises(IngestError, match="DTD"):
        ingest(catalog, "rue", task / "annotations.xml", fmt="cvat")
    voc = f'<?xml version="1.0" encoding="utf-16"?>{LAUGHS}<annotation><a>&b;</a></annotation>'
    with pytest.raises(ValueError, match="DTD"):
        parse_xml_bytes(voc.encode("utf-16"))


@pytest.mark.parametrize(
    "rows",
    [
        # a trailing comma on every row (a writer joining each value with a comma after it)
        "1,3,12,10,5,5,0.9,-1,-1,-1,\r\n2,3,13,10,5,5,0.8,-1,-1,-1,\r\n",
        "1\t3\t12\t10\t5\t5\t0.9\t-1\t-1\t-1\n2\t3\t13\t10\t5\t5\t0.8\t-1\t-1\t-1\n",
        "1 3 12 10 5 5 0.9 -1 -1 -1\n2 3 13 10 5 5 0.8 -1 -1 -1\n",
    ],
    ids=["trailing-comma", "tabs", "spaces"],
)
def test_results_as_other_trackers_separate_them_are_found_as_mot(
    tmp_path: Path, rows: str
) -> None:
    """Auto detection reads the rows as the MOT reader does: these were taken for per-image
    txt (a trailing comma) or DOTA results (10 values), their boxes unmatched."""
    root = tmp_path / "mot" / "S"
    (root / "img1").mkdir(parents=True)
    for i in range(1, 4):
        (root / "img1" / f"{i:06d}.jpg").write_bytes(tiny_jpeg())
    (root / "seqinfo.ini").write_text(INFO)
    results = tmp_path / "tracker"
    results.mkdir()
    (results / "S.txt").write_bytes(rows.encode())
    assert detect_predictions_format(str(results)) == "mot"
    assert detect_predictions_format(str(results / "S.txt")) == "mot"
    with Catalog(tmp_path / "vl") as catalog:
        ingest(catalog, "m", tmp_path / "mot")
        summary = ingest_predictions(catalog, "m", "trk", results).to_dict()
        with catalog.cursor() as cur:
            boxes = cur.execute(
                "SELECT f.frame_number, a.x, a.score FROM annotations a "
                "JOIN video_frames f USING (sample_id) WHERE a.source = 'trk' ORDER BY 1"
            ).fetchall()
    assert summary["errors"] == [] and summary["tracks"] == 1
    assert [tuple(b) for b in boxes] == [(1, 12.0, 0.9), (2, 13.0, 0.8)]


def test_sportsmots_release_folder_finds_its_split_folders_one_level_down(tmp_path: Path) -> None:
    """SportsMOT unpacks as ``sportsmot_publish/dataset/{train,val,test}/<seq>/`` beside
    ``splits_txt/``: the release folder was refused as no known format."""
    release = tmp_path / "sportsmot_publish"
    for split in ("train", "val", "test"):
        seq = release / "dataset" / split / f"v_{split}"
        (seq / "img1").mkdir(parents=True)
        for i in range(1, 3):
            (seq / "img1" / f"{i:06d}.jpg").write_bytes(tiny_jpeg())
        (seq / "seqinfo.ini").write_text(INFO.replace("name=S", f"name=v_{split}"))
        if split != "test":  # released without its ground truth
            (seq / "gt").mkdir()
            (seq / "gt" / "gt.txt").write_text("1,1,10,10,5,5,1,1,1\n2,1,11,10,5,5,1,1,1\n")
    (release / "splits_txt").mkdir()
    (release / "splits_txt" / "val.txt").write_text("v_val\n")
    assert detect_dataset_format(str(release)) == "mot"
    summary, videos = _ingested(
        tmp_path,
        "sports",
        release,
        "SELECT v.name, s.split, count(*) FROM videos v JOIN video_frames f "
        "USING (video_id) JOIN samples s USING (sample_id) GROUP BY 1, 2 ORDER BY 1",
    )
    assert summary["errors"] == [] and summary["annotations"] == 4
    assert [tuple(v) for v in videos] == [
        ("v_test", "test", 2),
        ("v_train", "train", 2),
        ("v_val", "val", 2),
    ]


def test_youtube_vis_frames_named_with_backslashes_are_found(tmp_path: Path) -> None:
    """A YouTube-VIS file converted on Windows names its frames ``v001\\00000.jpg``: they were
    all missing, and the video named by its id."""
    written = write_youtube_vis(tmp_path / "vis", {1: 3}, tracks=2, seed=3)
    document = json.loads(written.path.read_text())
    for video in document["videos"]:
        video["file_names"] = [f.replace("/", "\\") for f in video["file_names"]]
    written.path.write_text(json.dumps(document))
    summary, videos = _ingested(
        tmp_path, "yv", written.path, "SELECT name, num_frames, width FROM videos"
    )
    assert summary["errors"] == summary["warnings"] == []
    assert [tuple(v) for v in videos] == [("v001", 3, WIDTH)]
    assert summary["annotations"] == len(written.objects)


def test_a_per_frame_list_that_is_no_list_is_a_report_row(tmp_path: Path) -> None:
    """``bboxes`` written as a dict of frames (or one box): a report row naming the annotation,
    rather than its track silently left out; its masks still ingest."""
    written = write_youtube_vis(tmp_path / "vis", {1: 3}, tracks=0)
    document = json.loads(written.path.read_text())
    box = [1.0, 1.0, 4.0, 4.0]
    rle = {"counts": [45, 4, 26, 4, 26, 4, 26, 4, 1061], "size": [30, 40]}
    document["annotations"] = [
        {"id": 7, "video_id": 1, "category_id": 1, "bboxes": {"0": box},
         "segmentations": [rle, None, rle]},
    ]  # fmt: skip
    written.path.write_text(json.dumps(document))
    with Catalog(tmp_path / "vl") as catalog:
        summary = ingest(catalog, "yv", written.path).to_dict()
    (error,) = summary["errors"]
    assert error["code"] == "vis_bad_per_frame_list"
    assert error["examples"] == ["annotation id=7: bboxes is dict"]
    assert summary["annotations"] == 2  # frames 1 and 3, boxed by their masks


def test_xml_saved_in_latin1_but_declared_utf8_says_what_to_do(tmp_path: Path) -> None:
    """An editor saved the accented label in Latin-1 under a UTF-8 declaration: the parse
    error says the bytes are not UTF-8 and how to fix the file."""
    task = _cvat_task(tmp_path / "task", _cvat_xml("utf-8").encode("latin-1"))
    with Catalog(tmp_path / "vl") as catalog, pytest.raises(IngestError) as error:
        ingest(catalog, "rue", task)
    assert "not well-formed XML" in str(error.value)
    assert "bytes are not UTF-8" in str(error.value) and 'encoding="ISO-8859-1"' in str(error.value)


def _one_sequence(root: Path, info: str, folder: str = "img1") -> Path:
    seq = root / "S"
    (seq / folder).mkdir(parents=True)
    for i in range(1, 4):
        (seq / folder / f"{i:06d}.jpg").write_bytes(tiny_jpeg())
    (seq / "seqinfo.ini").write_text(info)
    return root


@pytest.mark.parametrize(
    ("info", "warning"),
    [
        ("name=S\nframeRate=30\nseqLength=3\n", None),  # no [Sequence] line
        ("[sequence]\nname=S\nframeRate=30\nseqLength=3\n", None),
        (
            "[Sequence]\nname=S\nframeRate=30\n# written by convert.py\nseqLength=3\nS\n",
            "line 6: S",
        ),
    ],
    ids=["no-section", "lower-case-section", "a-line-that-is-no-key"],
)
def test_a_seqinfo_other_tools_wrote_keeps_its_frame_rate(
    tmp_path: Path, info: str, warning: str | None
) -> None:
    """configparser refused each of these whole: the frame rate was silently lost."""
    root = _one_sequence(tmp_path / "mot", info)
    summary, videos = _ingested(tmp_path, "m", root, "SELECT name, fps, num_frames FROM videos")
    assert [tuple(v) for v in videos] == [("S", 30.0, 3)]
    assert summary["errors"] == []
    examples = [e["examples"][0] for e in summary["warnings"]]
    assert examples == ([] if warning is None else [f"{root / 'S' / 'seqinfo.ini'} {warning}"])


def test_an_imdir_that_is_no_folder_reads_img1_with_a_warning(tmp_path: Path) -> None:
    """A seqinfo.ini copied from another dataset names imDir=images: the sequence had no
    frames, and as the only one the whole ingest failed."""
    info = "[Sequence]\nname=S\nimDir=images\nframeRate=30\nseqLength=3\n"
    root = _one_sequence(tmp_path / "mot", info)
    with Catalog(tmp_path / "vl") as catalog:
        summary = ingest(catalog, "m", root).to_dict()
    assert summary["samples"] == 3 and summary["errors"] == []
    (warning,) = summary["warnings"]
    assert warning["code"] == "mot_imdir_missing"
    assert warning["examples"] == [f"{root / 'S'}: imDir=images"]


def _ytvis_2019(root: Path) -> tuple[Path, int]:
    """YouTube-VIS 2019 as released: ``train.json`` beside ``train/JPEGImages/``."""
    written = write_youtube_vis(root, {1: 3}, tracks=2, seed=4)
    (root / "train").mkdir()
    (root / "JPEGImages").rename(root / "train" / "JPEGImages")
    return written.path, len(written.objects)


def _ovis(root: Path) -> tuple[Path, int]:
    """OVIS as released: ``annotations_train.json`` beside ``train/<video>/``."""
    written = write_youtube_vis(root, {1: 3}, tracks=2, seed=5)
    (root / "JPEGImages").rename(root / "train")
    return written.path.rename(root / "annotations_train.json"), len(written.objects)


def _tao(root: Path) -> tuple[Path, int]:
    """TAO as released: ``annotations/train.json`` beside ``frames/train/...``."""
    written = write_tao(root, seed=6)
    (root / "annotations").mkdir()
    return written.path.rename(root / "annotations" / "train.json"), len(written.objects)


@pytest.mark.parametrize("layout", [_ytvis_2019, _ovis, _tao], ids=["ytvis-2019", "ovis", "tao"])
def test_frames_are_found_where_each_dataset_ships_them(tmp_path: Path, layout: Any) -> None:
    """Without --images every frame was missing (a warning; the pictures gone): the frames
    folder is now the one of the places these datasets use that holds the first frame."""
    path, objects = layout(tmp_path / "data")
    with Catalog(tmp_path / "vl") as catalog:
        summary = ingest(catalog, "v", path).to_dict()
    assert summary["warnings"] == [] and summary["errors"] == []
    assert summary["annotations"] == objects


@pytest.mark.parametrize(
    ("data", "warnings"),
    [
        # a tracker's output redirected by Windows PowerShell 5 (> S.txt): UTF-16, with its BOM
        ("1,3,12,10,5,5,0.9,-1,-1,-1\r\n2,3,13,10,5,5,0.8,-1,-1,-1\r\n".encode("utf-16"), []),
        # a header naming a column in Latin-1: skipped as any header, not the file unreadable
        ("frame,id,x,y,w,h,conf,pr\xe9cision\n1,3,12,10,5,5,0.9\n2,3,13,10,5,5,0.8\n".encode(
            "latin-1"), ["mot_header_skipped"]),
    ],
    ids=["utf-16", "latin-1-header"],
)  # fmt: skip
def test_mot_text_in_other_encodings_is_read(
    tmp_path: Path, data: bytes, warnings: list[str]
) -> None:
    """Both were 'mot_unreadable' ('utf-8' codec can't decode...), and a UTF-16 results
    folder was taken for per-image txt; as ground truth and as results they now read."""
    root = _one_sequence(tmp_path / "mot", INFO)
    (root / "S" / "gt").mkdir()
    (root / "S" / "gt" / "gt.txt").write_bytes(data)
    results = tmp_path / "tracker"
    results.mkdir()
    (results / "S.txt").write_bytes(data)
    assert detect_predictions_format(str(results)) == "mot"
    with Catalog(tmp_path / "vl") as catalog:
        truth = ingest(catalog, "m", root).to_dict()
        predicted = ingest_predictions(catalog, "m", "trk", results).to_dict()
    for summary in (truth, predicted):
        assert summary["errors"] == []
        assert [w["code"] for w in summary["warnings"]] == warnings
    assert truth["annotations"] == predicted["predictions"] == 2


def test_a_vis_json_with_its_videos_after_a_large_annotations_list_is_vis(tmp_path: Path) -> None:
    """A converter wrote ``annotations`` before ``videos``: past the first MB, auto detection
    took the file for COCO, refused for its want of ``images``."""
    written = write_youtube_vis(tmp_path / "vis", {1: 3}, tracks=0)
    document = json.loads(written.path.read_text())
    box = [1.0, 1.0, 3.0, 3.0]
    tracks = [
        {"id": i, "video_id": 1, "category_id": 1, "iscrowd": 0, "bboxes": [box, box, None],
         "segmentations": [None, None, None], "areas": [None, None, None]}
        for i in range(1, 6001)
    ]  # fmt: skip
    reordered = {"annotations": tracks, **{k: v for k, v in document.items() if k != "annotations"}}
    written.path.write_text(json.dumps(reordered))
    assert written.path.stat().st_size > 1 << 20
    assert detect_dataset_format(str(written.path)) == "vis"
    with Catalog(tmp_path / "vl") as catalog:
        summary = ingest(catalog, "v", written.path).to_dict()
    assert summary["errors"] == [] and summary["annotations"] == 12000


def _annotations_first(path: Path, annotation: dict[str, Any]) -> None:
    """Rewrite JSON ``path`` with 20,000 copies of ``annotation`` before its other keys."""
    document = json.loads(path.read_text())
    many = [{**annotation, "id": i} for i in range(1, 20001)]
    rest = {k: v for k, v in document.items() if k != "annotations"}
    path.write_text(json.dumps({"annotations": many, **rest}))
    assert path.stat().st_size > 1 << 20


def test_an_annotations_first_coco_json_is_told_from_its_head(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """COCO annotations name an image and no video: detection no longer reads the whole file
    (a scan of its top-level keys) to rule YouTube-VIS out."""
    path = tmp_path / "coco.json"
    path.write_text(json.dumps({"images": [], "categories": [{"id": 1, "name": "a"}]}))
    _annotations_first(path, {"image_id": 1, "category_id": 1, "bbox": [1, 1, 2, 2]})

    def scan(*_: Any) -> None:
        raise AssertionError("the whole file was scanned")

    monkeypatch.setattr("visionlens_jlab.ingest.vis.scan_layout", scan)
    assert detect_dataset_format(str(path)) == "coco"


def test_an_annotations_first_tao_json_is_still_vis(tmp_path: Path) -> None:
    """TAO annotations name both an image and a video: the head cannot tell, the scan does."""
    written = write_tao(tmp_path / "tao", seed=1)
    document = json.loads(written.path.read_text())
    _annotations_first(written.path, document["annotations"][0])
    assert detect_dataset_format(str(written.path)) == "vis"
