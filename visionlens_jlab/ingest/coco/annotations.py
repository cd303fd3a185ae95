"""The COCO annotation hot loop, shared by ground truth and predictions.

A tight fast path takes well-formed records straight into column lists; anything unusual
goes through the slow path of :mod:`.policies`, which applies and reports the policies
listed in :mod:`.dataset`. Polygons and RLE are re-serialised with orjson (10x faster than json for
float-heavy lists), never interpreted.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from itertools import islice
from typing import Any

import numpy as np
import pyarrow as pa

from ...records.batches import Batch
from ...records.report import IngestReport
from ..base import ANNOTATION_BATCH_ROWS, AnnotationRows, fast_dumps
from .jsonstream import JSON_ERRORS, JsonLayout, open_array
from .label_checks import LabelChecks, with_keypoint_columns
from .policies import AnnotationPolicies, attributes_json, check_segmentation
from .sql_source import SqlAnnotationSource, SqlUnavailable

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
        "keypoints",
        "num_keypoints",
    }
)


class AnnotationReader(AnnotationPolicies):
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
        checks: LabelChecks | None = None,
    ) -> None:
        self.report = report
        self.checks = checks or LabelChecks(report, predictions=predictions)
        self.cats = cat_by_id
        self.index = image_index
        self.refs = image_refs
        self.pred = predictions
        self.rows = AnnotationRows()
        self.keypoints: list[list[float] | None] = []  # the label columns beyond the box
        self.num_keypoints: list[int | None] = []
        self.ids = array("q")
        self.records = 0  # array elements read (kept, skipped or reported)
        # a score on a ground-truth box is unusual: keep it as an attribute
        self.std = ANN_KEYS if predictions else ANN_KEYS - {"score"}

    def run(self, layout: JsonLayout, key: str | None) -> Iterator[Batch]:
        """Parse top-level array ``key`` of ``layout`` (None: the file is the array).

        Large ground-truth arrays go through DuckDB's JSON reader (:mod:`.sql_source`); the
        Python loop below takes over from the first element that path did not consume.
        """
        done, finished = 0, False
        if self.index is not None or self.pred:
            sql = SqlAnnotationSource(
                layout,
                key,
                categories=self.cats,
                images=self.refs if self.pred else self.index,
                predictions=self.pred,
                id_sink=self.ids,
                slow_row=self._slow,
            )
            if sql.usable():
                try:
                    for table in sql.batches():
                        yield Batch(annotations=self.checks.finish(table))
                    finished = True
                except SqlUnavailable:
                    pass
                done = sql.consumed
        self.records = done
        if not finished:
            with open_array(layout, key) as (items, on_error):
                try:
                    yield from self._loop(islice(items, done, None) if done else items)
                except JSON_ERRORS as exc:
                    on_error(exc)
        self.report.counts["annotation_records"] = self.records
        table = self._take()
        self.checks.flush()
        self._check_duplicate_ids()
        if table is not None:
            yield Batch(annotations=table)

    def _take(self) -> pa.Table | None:
        """The Python loop's buffered rows, with their keypoints, checked."""
        table = self.rows.take()
        if table is None:
            return None
        table = with_keypoint_columns(table, self.keypoints, self.num_keypoints)
        self.keypoints, self.num_keypoints = [], []
        return self.checks.finish(table)

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
        r_kp, r_nkp = self.keypoints.append, self.num_keypoints.append
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
                kps = a.get("keypoints")
                nkp = None
                if kps is not None:
                    if kps.__class__ is not list or len(kps) % 3:
                        raise _Slow
                    if not kps:
                        kps = None
                    elif not all(v.__class__ is float or v.__class__ is int for v in kps):
                        raise _Slow
                    else:
                        nkp = a.get("num_keypoints")
                        if nkp is not None and (nkp.__class__ is not int or not 0 <= nkp < 1 << 31):
                            raise _Slow
                aid = a.get("id")
                if aid.__class__ is int:
                    ids_append(aid)
                    aid = str(aid)
                elif aid is not None or not pred:
                    raise _Slow
                attrs = (
                    None if a.keys() <= std and "attributes" not in a else attributes_json(a, std)
                )
            except (_Slow, KeyError, TypeError, ValueError, OverflowError, AttributeError):
                row = self._slow(a)
                if row is None:
                    continue
                si, ref, label, x, y, w, h, score, area, crowd, aid, seg, attrs, kps, nkp = row
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
            r_kp(kps)
            r_nkp(nkp)
            k += 1
            if k >= batch_rows:
                k = 0
                yield Batch(annotations=self._take())
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
                r_kp, r_nkp = self.keypoints.append, self.num_keypoints.append

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


class _Slow(Exception):
    """Internal: leave the fast path."""


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
