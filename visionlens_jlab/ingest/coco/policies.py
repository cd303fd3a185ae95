"""The policies for COCO annotation records the fast paths do not take (see :mod:`.dataset`).

Both fast paths, the Python loop in :mod:`.annotations` and the DuckDB query in
:mod:`.sql_source`, hand every unusual record to :meth:`AnnotationPolicies._slow`, so a record
is judged the same way whichever path read it.
"""

from __future__ import annotations

from array import array
from typing import Any

from ...records.report import IngestReport
from ..base import as_number, to_json
from .rle import segmentation_bbox


def check_segmentation(seg: Any) -> str | None:
    """Why ``seg`` is not a valid COCO polygon list / RLE, or None if it is."""
    if isinstance(seg, list):
        for poly in seg:
            if not isinstance(poly, list):
                return "a polygon is not a list of coordinates"
            if len(poly) % 2:
                return f"polygon coordinate count {len(poly)} is not divisible by 2"
            if len(poly) < 6:
                return "a polygon needs at least 3 (x, y) pairs"
            if any(v.__class__ not in (int, float) for v in poly):
                return "a polygon coordinate is not a number"
        return None
    if isinstance(seg, dict):
        counts, size = seg.get("counts"), seg.get("size")
        if not isinstance(counts, (str, list)):
            return "RLE 'counts' must be a string or a list of integers"
        if not (isinstance(size, list) and len(size) == 2):
            return "RLE 'size' must be [height, width]"
        return None
    return f"segmentation must be polygons or RLE, not {type(seg).__name__}"


def check_keypoints(kps: Any) -> str | None:
    """Why ``kps`` is not a flat COCO keypoint list ``[x1, y1, v1, ...]``, or None if it is."""
    if not isinstance(kps, list):
        return "'keypoints' is not a list"
    if len(kps) % 3:
        return f"keypoint value count {len(kps)} is not divisible by 3"
    if any(v.__class__ not in (int, float) for v in kps):
        return "a keypoint value is not a number"
    return None


def keypoint_bbox(kps: list[float], labelled_only: bool) -> list[float] | None:
    """``[x, y, w, h]`` of the keypoints' extent: the labelled points (v > 0) only, or every
    point as ``COCO.loadRes`` takes them for keypoint results; None without points."""
    points = [
        (kps[i], kps[i + 1]) for i in range(0, len(kps), 3) if not labelled_only or kps[i + 2] > 0
    ]
    if not points:
        return None
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    x0, y0 = min(xs), min(ys)
    return [x0, y0, max(xs) - x0, max(ys) - y0]


def attributes_json(a: dict[str, Any], std: frozenset[str]) -> str | None:
    """JSON of a record's keys outside ``std``, with a CVAT-style ``attributes`` object merged
    in (anything else under ``attributes`` is kept as it is); None when there are none."""
    extra = {k: v for k, v in a.items() if k not in std}
    nested = a.get("attributes")
    if isinstance(nested, dict):
        extra.update(nested)
    elif nested is not None:
        extra["attributes"] = nested
    return to_json(extra) if extra else None


class AnnotationPolicies:
    """Validation and reporting of one unusual annotation record (the slow path)."""

    report: IngestReport
    cats: dict[Any, str]
    index: dict[Any, int] | None
    refs: dict[Any, str] | None
    pred: bool
    ids: array[int]
    std: frozenset[str]

    def _slow(self, a: Any) -> tuple[Any, ...] | None:
        report = self.report
        if not isinstance(a, dict):
            report.error("coco_bad_annotation", "an annotation is not an object", a)
            return None
        short = {k: v for k, v in a.items() if k not in ("segmentation", "keypoints")}
        if "bbox" not in a and a.get("segmentation"):
            bbox = segmentation_bbox(a["segmentation"])
            if bbox is not None:
                a = {**a, "bbox": bbox}
                report.warn(
                    "coco_bbox_from_segmentation",
                    "annotations without 'bbox': the box was computed from the segmentation",
                    short,
                )
        if "bbox" not in a and a.get("keypoints") and not check_keypoints(a["keypoints"]):
            bbox = keypoint_bbox(a["keypoints"], labelled_only=not self.pred)
            if bbox is not None:
                a = {**a, "bbox": bbox}
                if self.pred:  # as COCO.loadRes does for keypoint results
                    a.setdefault("area", bbox[2] * bbox[3])
                else:
                    report.warn(
                        "coco_bbox_from_keypoints",
                        "annotations without 'bbox': the box was computed from the labelled "
                        "keypoints",
                        short,
                    )
        for key in ("image_id", "category_id", "bbox"):
            if key not in a:
                report.error("coco_missing_field", f"annotation without '{key}' skipped", short)
                return None
        iid, cid, bbox = a["image_id"], a["category_id"], a["bbox"]
        if iid.__class__ is not int and not isinstance(iid, str):
            report.error(
                "coco_bad_field_type", "annotation 'image_id' is not an integer: skipped", short
            )
            return None
        if cid.__class__ is not int:
            report.error(
                "coco_bad_field_type",
                "annotation 'category_id' is not an integer: skipped",
                short,
            )
            return None
        label = self.cats.get(cid)
        if label is None:
            report.error(
                "coco_unknown_category",
                "annotation 'category_id' is not declared in 'categories': skipped",
                f"category_id={cid}",
            )
            return None
        si = ref = None
        if self.index is not None:
            si = self.index.get(iid)
            if si is None and isinstance(iid, int):
                si = self.index.get(str(iid))
            if si is None:
                report.warn(
                    "coco_unknown_image",
                    "annotation for an image id that is not in 'images': skipped",
                    f"image_id={iid}",
                )
                return None
        elif self.refs is not None:
            ref = self.refs.get(iid)
            if ref is None:
                report.warn(
                    "coco_unknown_image",
                    "prediction for an image id that is not in 'images': skipped",
                    f"image_id={iid}",
                )
                return None
        else:
            ref = str(iid)
        if not isinstance(bbox, list):
            report.error("coco_bad_bbox", "annotation 'bbox' is not a list: skipped", short)
            return None
        if len(bbox) != 4:
            report.error(
                "coco_bad_bbox",
                f"Bbox has wrong value count {len(bbox)} (expected 4): skipped",
                short,
            )
            return None
        nums = [as_number(v) if v.__class__ is not str else None for v in bbox]
        if any(v is None for v in nums):
            report.error("coco_bad_bbox", "a bbox value is not a number: skipped", short)
            return None
        x, y, w, h = (float(v) for v in nums)  # type: ignore[arg-type]
        if w < 0 or h < 0:
            report.error("coco_bad_bbox", "bbox with negative width/height: skipped", short)
            return None
        if w == 0 or h == 0:
            report.warn("coco_empty_bbox", "bbox with zero width or height (kept)", short)
        crowd = a.get("iscrowd")
        if crowd is None:
            if not self.pred:
                report.warn(
                    "coco_missing_iscrowd", "annotation without 'iscrowd': taken as 0", short
                )
            crowd = 0
        elif crowd.__class__ is bool:
            crowd = int(crowd)
        elif crowd.__class__ is not int or crowd not in (0, 1):
            report.error(
                "coco_bad_field_type", "annotation 'iscrowd' is not 0 or 1: skipped", short
            )
            return None
        score = a.get("score")
        if score is not None or self.pred:
            num = as_number(score) if score.__class__ is not str else None
            if num is None:
                if self.pred:
                    report.error(
                        "prediction_bad_score",
                        "prediction without a numeric 'score': skipped",
                        short,
                    )
                    return None
                report.warn(
                    "coco_bad_field_type",
                    "annotation 'score' is not a number (kept as an attribute)",
                    short,
                )
            score = num if self.pred else None
        area = a.get("area")
        if area is not None:
            area = as_number(area) if area.__class__ is not str else None
            if area is None:
                report.warn(
                    "coco_bad_field_type", "annotation 'area' is not a number: ignored", short
                )
        seg = a.get("segmentation")
        if seg is not None and seg != []:
            why = check_segmentation(seg)
            if why:
                report.warn(
                    "coco_bad_segmentation", f"{why}: segmentation dropped, box kept", short
                )
                seg = None
            else:
                seg = to_json(seg)
        else:
            seg = None
        kps, nkp = a.get("keypoints"), None
        if kps is not None and kps != []:
            why = check_keypoints(kps)
            if why:
                report.warn("coco_bad_keypoints", f"{why}: keypoints dropped, box kept", short)
                kps = None
            else:
                kps = [float(v) for v in kps]
                nkp = a.get("num_keypoints")
                if nkp is not None and (nkp.__class__ is not int or not 0 <= nkp < 1 << 31):
                    report.warn(
                        "coco_bad_field_type",
                        "annotation 'num_keypoints' is not a count: counted from the flags",
                        short,
                    )
                    nkp = None
        else:
            kps = None
        aid = a.get("id")
        if aid is None:
            if not self.pred:
                report.warn("coco_missing_annotation_id", "annotation without 'id' (kept)", short)
        elif aid.__class__ is int:
            try:
                self.ids.append(aid)
            except OverflowError:
                pass
            aid = str(aid)
        else:
            report.warn(
                "coco_bad_field_type", "annotation 'id' is not an integer (kept as text)", short
            )
            aid = str(aid)
        attrs = attributes_json(a, self.std)
        return si, ref, label, x, y, w, h, score, area, crowd, aid, seg, attrs, kps, nkp
