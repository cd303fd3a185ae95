"""The COCO annotation hot loop, shared by ground truth and predictions.

A tight fast path takes well-formed records straight into column lists; anything unusual
goes through :meth:`AnnotationReader._slow`, which applies and reports the policies listed
in :mod:`.coco`. Polygons and RLE are re-serialised with orjson (10x faster than json for
float-heavy lists), never interpreted.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from itertools import islice
from typing import Any

import numpy as np

from .base import ANNOTATION_BATCH_ROWS, AnnotationRows, as_number, fast_dumps, to_json
from .batches import Batch
from .coco_sql import SqlAnnotationSource, SqlUnavailable
from .jsonstream import _JSON_ERRORS, JsonLayout, open_array
from .report import IngestReport
from .rle import segmentation_bbox

ANN_KEYS = frozenset(
    {
        "id",
        "image_id",
        "category_id",
        "bbox",
        "area",
        "iscrowd",
        "segmentation",
        "score",
        "attributes",
    }
)


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


class AnnotationReader:
    """The hot loop shared by COCO ground truth and COCO predictions.

    A tight fast path takes well-formed records; anything unusual goes through
    :meth:`_slow`, which applies (and reports) the policies in the module docstring.
    """

    def __init__(
        self,
        report: IngestReport,
        cat_by_id: dict[Any, str],
        *,
        image_index: dict[Any, int] | None = None,
        image_refs: dict[Any, str] | None = None,
        predictions: bool = False,
    ) -> None:
        self.report = report
        self.cats = cat_by_id
        self.index = image_index
        self.refs = image_refs
        self.pred = predictions
        self.rows = AnnotationRows()
        self.ids = array("q")
        self.records = 0  # array elements read (kept, skipped or reported)
        # a score on a ground-truth box is unusual: keep it as an attribute
        self.std = ANN_KEYS if predictions else ANN_KEYS - {"score"}

    def run(self, layout: JsonLayout, key: str | None) -> Iterator[Batch]:
        """Parse top-level array ``key`` of ``layout`` (None: the file is the array).

        Large ground-truth arrays go through DuckDB's JSON reader (:mod:`.coco_sql`); the
        Python loop below takes over from the first element that path did not consume.
        """
        done, finished = 0, False
        if key is not None and self.index is not None:
            sql = SqlAnnotationSource(self, layout, key)
            if sql.usable():
                try:
                    for table in sql.batches():
                        yield Batch(annotations=table)
                    finished = True
                except SqlUnavailable:
                    pass
                done = sql.consumed
        self.records = done
        if not finished:
            with open_array(layout, key) as (items, on_error):
                try:
                    yield from self._loop(islice(items, done, None) if done else items)
                except _JSON_ERRORS as exc:
                    on_error(exc)
        self.report.counts["annotation_records"] = self.records
        self._check_duplicate_ids()
        table = self.rows.take()
        if table is not None:
            yield Batch(annotations=table)

    def _loop(self, items: Iterator[Any]) -> Iterator[Batch]:
        rows, cats, pred = self.rows, self.cats, self.pred
        index = self.index if self.index is not None else {}
        refs = self.refs
        by_ref = self.index is None
        std = self.std
        dumps = fast_dumps
        ids_append = self.ids.append
        # Constant columns (difficult, normalized, and image_ref or sample_index, and score
        # for ground truth) are not appended: AnnotationRows.take fills their defaults.
        r_si, r_ref, r_label, r_x, r_y, r_w, r_h, r_score, r_area, r_crowd, r_aid, r_seg, r_attr = (
            _appenders(rows)
        )
        batch_rows = ANNOTATION_BATCH_ROWS
        k = 0
        for a in items:
            self.records += 1  # an attribute: the array's end arrives as an exception
            try:
                iid = a["image_id"]
                cid = a["category_id"]
                bbox = a["bbox"]
                if iid.__class__ is not int or cid.__class__ is not int:
                    raise _Slow
                label = cats[cid]
                if by_ref:
                    ref = refs[iid] if refs is not None else str(iid)
                else:
                    si = index[iid]
                if bbox.__class__ is not list or len(bbox) != 4:
                    raise _Slow
                x, y, w, h = bbox[0] + 0.0, bbox[1] + 0.0, bbox[2] + 0.0, bbox[3] + 0.0
                if not (w > 0.0 and h > 0.0) or bool in {v.__class__ for v in bbox}:
                    raise _Slow  # (bools add like numbers: the slow path rejects them)
                crowd = a.get("iscrowd", 0 if pred else None)
                if crowd.__class__ is not int or crowd > 1 or crowd < 0:
                    raise _Slow
                score = a.get("score")
                if pred:
                    if score.__class__ is not float and score.__class__ is not int:
                        raise _Slow
                elif score is not None:
                    raise _Slow
                area = a.get("area")
                if area is not None:
                    if area.__class__ is bool:
                        raise _Slow
                    area = area + 0.0
                seg = a.get("segmentation")
                if seg is not None:
                    if seg.__class__ is list:
                        if not seg:
                            seg = None
                        else:
                            for poly in seg:
                                if (
                                    poly.__class__ is not list
                                    or len(poly) < 6
                                    or len(poly) & 1
                                    or not all(
                                        v.__class__ is float or v.__class__ is int for v in poly
                                    )
                                ):
                                    raise _Slow  # the slow path drops it with a warning
                            seg = dumps(seg)
                    elif seg.__class__ is dict and check_segmentation(seg) is None:
                        seg = dumps(seg)
                    else:
                        raise _Slow
                aid = a.get("id")
                if aid.__class__ is int:
                    ids_append(aid)
                    aid = str(aid)
                elif aid is not None or not pred:
                    raise _Slow
                attrs = None if a.keys() <= std and "attributes" not in a else _attrs(a, std)
            except (_Slow, KeyError, TypeError, ValueError, OverflowError, AttributeError):
                row = self._slow(a)
                if row is None:
                    continue
                si, ref, label, x, y, w, h, score, area, crowd, aid, seg, attrs = row
            if by_ref:
                r_ref(ref)
                r_score(score)
            else:
                r_si(si)
            r_label(label)
            r_x(x)
            r_y(y)
            r_w(w)
            r_h(h)
            r_area(area)
            r_crowd(crowd == 1)
            r_aid(aid)
            r_seg(seg)
            r_attr(attrs)
            k += 1
            if k >= batch_rows:
                k = 0
                yield Batch(annotations=rows.take())
                (
                    r_si,
                    r_ref,
                    r_label,
                    r_x,
                    r_y,
                    r_w,
                    r_h,
                    r_score,
                    r_area,
                    r_crowd,
                    r_aid,
                    r_seg,
                    r_attr,
                ) = _appenders(rows)

    def _check_duplicate_ids(self) -> None:
        if len(self.ids) < 2:
            return
        ids = np.frombuffer(self.ids, dtype=np.int64)
        if bool(np.all(ids[1:] > ids[:-1])):
            return
        uniq, counts = np.unique(ids, return_counts=True)
        dups = uniq[counts > 1]
        if len(dups):
            self.report.warn(
                "coco_duplicate_annotation_id",
                "annotation ids used more than once (all boxes kept)",
                ", ".join(str(int(d)) for d in dups[:5]),
                count=int(counts[counts > 1].sum() - len(dups)),
            )

    def _slow(self, a: Any) -> tuple[Any, ...] | None:
        report = self.report
        if not isinstance(a, dict):
            report.error("coco_bad_annotation", "an annotation is not an object", a)
            return None
        short = {k: v for k, v in a.items() if k != "segmentation"}
        if "bbox" not in a and a.get("segmentation"):
            bbox = segmentation_bbox(a["segmentation"])
            if bbox is not None:
                a = {**a, "bbox": bbox}
                report.warn(
                    "coco_bbox_from_segmentation",
                    "annotations without 'bbox': the box was computed from the segmentation",
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
        attrs = _attrs(a, self.std)
        return si, ref, label, x, y, w, h, score, area, crowd, aid, seg, attrs


class _Slow(Exception):
    """Internal: leave the fast path."""


def _attrs(a: dict[str, Any], std: frozenset[str]) -> str | None:
    extra = {k: v for k, v in a.items() if k not in std}
    nested = a.get("attributes")
    if isinstance(nested, dict):
        extra.update(nested)
    elif nested is not None:
        extra["attributes"] = nested
    return to_json(extra) if extra else None


def _appenders(rows: AnnotationRows) -> tuple[Any, ...]:
    """Bound ``append`` methods of the varying columns (the hot loop's locals)."""
    return (
        rows.sample_index.append,
        rows.image_ref.append,
        rows.label.append,
        rows.x.append,
        rows.y.append,
        rows.w.append,
        rows.h.append,
        rows.score.append,
        rows.area.append,
        rows.iscrowd.append,
        rows.source_ann_id.append,
        rows.segmentation.append,
        rows.attributes.append,
    )
