"""Whether each COCO panoptic PNG holds the segments its ``segments_info`` lists: a listed
id in no pixel, or a PNG id that no entry lists, is what a JSON and a PNG folder of
different exports (or a hand-edited JSON) give. panopticapi's ``pq_compute`` refuses such a
prediction ("segment with ID ... is presented in PNG and not presented in JSON") and takes
such a ground truth as it is (a listed segment in no pixel is a false negative in every
evaluation); each PNG is read whole here, once, at ingest or import.

A ground-truth segment's JSON ``area`` is the denominator of its IoU (panopticapi's), so
an area that is not its pixel count (0, a box's area) gives IoUs past 1 and a PQ past 1:
the ingest stores each segment's pixel count as its area instead, naming the changes."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from ..records.report import IngestError, IngestReport
from .panoptic_quality import VOID, PanopticError, segment_ids

SegmentCheck = tuple[str | None, dict[int, int]]
"""What differs between a PNG and its segments (None: nothing), and each id's pixels."""


def _shown(ids: list[int], first: int = 5) -> str:
    return ", ".join(map(str, ids[:first])) + (", ..." if len(ids) > first else "")


def segment_check(location: str, segments: list[dict[str, Any]]) -> SegmentCheck:
    """What differs between the PNG at ``location`` and ``segments`` (its
    ``segments_info``), naming the file and the ids (None where each listed id is in the
    PNG and each PNG id but void, 0, is listed), and the pixel count of each id in it."""
    try:
        ids, counts = np.unique(segment_ids(location), return_counts=True)
    except (PanopticError, OSError) as exc:
        raise IngestError(str(exc)) from None
    pixels = {i: n for i, n in zip(ids.tolist(), counts.tolist(), strict=True) if i != VOID}
    listed = {int(s["id"]) for s in segments}
    absent, stray = sorted(listed - set(pixels)), sorted(set(pixels) - listed)
    parts = []
    if absent:
        parts.append(f"segment(s) {_shown(absent)} in segments_info, in no pixel of the PNG")
    if stray:
        parts.append(f"id(s) {_shown(stray)} in the PNG, in no segments_info entry")
    return (f"{location}: {'; '.join(parts)}" if parts else None), pixels


def segment_checks(rows: Sequence[tuple[str, list[dict[str, Any]]]]) -> list[SegmentCheck]:
    """:func:`segment_check` of each ``(PNG, segments_info)`` of ``rows``, in their order;
    the PNGs read on a pool of threads (Pillow decodes without the GIL)."""

    def one(row: tuple[str, list[dict[str, Any]]]) -> SegmentCheck:
        return segment_check(*row)

    with ThreadPoolExecutor(min(8, (os.cpu_count() or 1) + 1)) as pool:
        return list(pool.map(one, rows))


def segment_mismatches(rows: Sequence[tuple[str, str]]) -> list[str]:
    """What differs in each ``(PNG, segments_info JSON)`` of ``rows`` that differs
    (:func:`segment_check`), in ``rows``' order."""
    found = segment_checks([(at, json.loads(segments)) for at, segments in rows])
    return [differ for differ, _ in found if differ is not None]


def pixel_areas(location: str, segments: list[dict[str, Any]], pixels: dict[int, int]) -> list[str]:
    """Set each of ``segments``' ``area`` to its pixel count in ``pixels`` (a segment in
    no pixel keeps its JSON area, as an integer); each area changed, described for the
    report."""
    changed = []
    for segment in segments:
        area = int(segment["area"])
        count = pixels.get(int(segment["id"]), area)
        if count != area:
            changed.append(
                f"{location}: segment {segment['id']}: area {area} in the JSON, {count} pixels"
            )
        segment["area"] = count
    return changed


def check_ground_truth(
    pngs: list[tuple[str, int]],
    annotations: list[dict[str, Any]],
    categories: set[int],
    report: IngestReport,
) -> None:
    """Read each ground-truth PNG whole (``(location, annotation index)`` of ``pngs``,
    :func:`segment_checks`): a PNG whose ids and ``segments_info`` differ is a
    ``panoptic_segments_mismatch`` warning (kept as panopticapi reads it), and each
    segment's area in ``annotations`` becomes its pixel count (:func:`pixel_areas`), a
    JSON area that was not one a ``panoptic_area_mismatch`` warning. A segment whose
    category is none of ``categories`` is a ``panoptic_unknown_category`` warning: it is
    scored in no category, and a prediction on it is a false positive."""
    rows = [(at, annotations[k].get("segments_info") or []) for at, k in sorted(pngs)]
    unknown = [
        f"{at}: segment {s['id']}, category {s['category_id']}"
        for at, segments in rows
        for s in segments
        if int(s["category_id"]) not in categories
    ]
    if unknown:
        report.warn(
            "panoptic_unknown_category",
            "segments whose category_id is none of the JSON's categories (ingested: scored "
            "in no category, and a prediction on one is a false positive; add the category "
            "or fix the id)",
            count=len(unknown),
            examples=unknown,
        )
    differ, areas = [], []
    for (location, segments), (mismatch, pixels) in zip(rows, segment_checks(rows), strict=True):
        if mismatch is not None:
            differ.append(mismatch)
        areas.extend(pixel_areas(location, segments, pixels))
    if differ:
        report.warn(
            "panoptic_segments_mismatch",
            "PNGs whose ids and segments_info differ (ingested as they are, as panopticapi "
            "reads a ground truth: a listed segment in no pixel is a false negative in "
            "every evaluation; check that the JSON and the PNG folder are one export)",
            count=len(differ),
            examples=differ,
        )
    if areas:
        report.warn(
            "panoptic_area_mismatch",
            "segments whose JSON area is not their pixel count (stored as the pixel count: "
            "the area is the IoU's denominator, and a wrong one gives IoUs past 1)",
            count=len(areas),
            examples=areas,
        )
