"""The images of a COCO panoptic JSON as an ingest's source (:class:`PanopticSamples`):
what is left out (an annotation of no image, an image without one, an image whose PNG is
missing, a PNG of another size) is counted in its report, before the dataset is written."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from ..catalog import GROUND_TRUTH
from ..records.batches import SAMPLE_SCHEMA, Batch
from ..records.report import IngestError, IngestReport
from .classes import ClassSet, voc_colors
from .image_lookup import locate_images
from .panoptic_images import json_image_keys, labelled_images, match_annotations, unmatched
from .panoptic_json import is_thing, png_size
from .panoptic_segments import check_ground_truth
from .records import PANOPTIC_LAYOUT, class_rows, mask_rows


class PanopticSamples:
    """A :class:`~visionlens_jlab.records.parsed.ParsedSource` of the JSON's images, with
    their PNGs in ``folder``. Made before the dataset is written: two annotations of one
    image are refused here (:func:`.panoptic_images.match_annotations`); an annotation of
    no listed image, an image without one, an image whose PNG is in ``missing`` and a PNG
    of another size than its image are counted in ``report`` and left out."""

    format = PANOPTIC_LAYOUT
    json_checked = True

    def __init__(
        self, data: dict[str, Any], images: Path, source: str, folder: Path, missing: set[str]
    ) -> None:
        self.data, self.images, self.folder = data, images, folder
        self.source, self.media_root = source, str(images)
        self.report = IngestReport()
        self.kept = labelled_images(data)
        self.matched = match_annotations(data["annotations"], json_image_keys(self.kept), source)
        self._report_unmatched(len(data.get("images") or []))
        self._leave_out_missing(missing)
        self._leave_out_misfits()
        check_ground_truth(
            [(str(folder / data["annotations"][k]["file_name"]), k) for k, _ in self.matched],
            data["annotations"],
            {int(c["id"]) for c in data["categories"]},
            self.report,
        )
        bare = [str(c["name"]) for c in data["categories"] if c.get("isthing") is None]
        if bare:  # panopticapi's pq_average raises a KeyError on them
            self.report.warn(
                "panoptic_category_without_isthing",
                "categories without isthing (scored as stuff: give each isthing 1 or 0)",
                count=len(bare),
                examples=bare,
            )
        self.locations = locate_images(images, [im["file_name"] for im in self.kept], self.report)

    def _report_unmatched(self, images: int) -> None:
        """Count the annotations whose image is not in the JSON's images, and the images
        without an annotation: each left out, where a wrong id would otherwise only show
        as a smaller dataset."""
        lone = unmatched(self.data["annotations"], self.matched)
        if lone:
            self.report.warn(
                "panoptic_annotation_without_image",
                "annotations whose image_id is none of the JSON's images (not ingested: "
                "check their image_id)",
                count=len(lone),
                examples=lone,
            )
        if images > len(self.kept):
            kept = {str(im["id"]) for im in self.kept}
            bare = [im["file_name"] for im in self.data["images"] if str(im["id"]) not in kept]
            self.report.warn(
                "panoptic_image_without_annotation",
                "images without an annotation (not ingested: a panoptic dataset is its "
                "annotated images)",
                count=len(bare),
                examples=bare,
            )

    def _leave_out_missing(self, missing: set[str]) -> None:
        """Leave out each image whose PNG is not in the folder, as a ``panoptic_png_missing``
        warning naming both (before, one missing PNG refused the whole ingest); none left is
        an :class:`IngestError` naming the folder."""
        annotations = self.data["annotations"]
        gone = {
            row: f"{self.kept[row]['file_name']}: {annotations[k]['file_name']}"
            for k, row in self.matched
            if str(self.folder / annotations[k]["file_name"]) in missing
        }
        if not gone:
            return
        if len(gone) == len(self.kept):
            raise IngestError(
                f"{self.source}: no annotated image has its PNG in {self.folder} (first: "
                f"{next(iter(gone.values()))}): give the folder of its PNGs with --masks"
            )
        self.report.warn(
            "panoptic_png_missing",
            f"images whose PNG is not in {self.folder} (not ingested: add the PNG there, or "
            "give its folder with --masks)",
            count=len(gone),
            examples=sorted(gone.values()),
        )
        self._keep_all_but(set(gone))

    def _keep_all_but(self, rows: set[int]) -> None:
        """Drop the images of ``rows`` (positions in ``kept``) and match again."""
        self.kept = [im for row, im in enumerate(self.kept) if row not in rows]
        self.matched = match_annotations(
            self.data["annotations"], json_image_keys(self.kept), self.source
        )

    def _leave_out_misfits(self) -> None:
        """Leave out each image whose PNG's size is not the one its JSON entry gives (its
        overlay and its segments would be misplaced), as a ``panoptic_size_mismatch``
        warning naming both sizes; none left is an :class:`IngestError`."""
        differ, bad = [], set()
        annotations = self.data["annotations"]
        for k, row in self.matched:
            image = self.kept[row]
            width, height = image.get("width"), image.get("height")
            found = png_size(str(self.folder / annotations[k]["file_name"]))
            if width is None or height is None or found in (None, (int(width), int(height))):
                continue
            bad.add(row)
            differ.append(
                f"{image['file_name']}: image {width}x{height}, PNG "
                f"{annotations[k]['file_name']} {found[0]}x{found[1]}"
            )
        if not differ:
            return
        if len(bad) == len(self.kept):
            raise IngestError(
                f"{self.source}: every PNG's size differs from its image's (first: {differ[0]})"
            )
        self.report.warn(
            "panoptic_size_mismatch",
            "PNGs whose size differs from their image's (left out: re-export them at the "
            "image's size)",
            count=len(differ),
            examples=differ,
        )
        self._keep_all_but(bad)

    def batches(self) -> Iterator[Batch]:
        """One batch of the images that have an annotation (:func:`labelled_images`)."""
        rows: dict[str, list[Any]] = {n: [] for n in SAMPLE_SCHEMA.names}
        for index, im in enumerate(self.kept):
            values = (
                index, im["file_name"], self.locations[index],
                im.get("width"), im.get("height"), None, str(im["id"]), None,
            )  # fmt: skip
            for name, value in zip(SAMPLE_SCHEMA.names, values, strict=True):
                rows[name].append(value)
        yield Batch(samples=pa.table(rows, schema=SAMPLE_SCHEMA))

    def categories(self) -> list[tuple[Any, ...]]:
        """The categories, with their COCO ids."""
        return [(c["name"], c.get("supercategory"), int(c["id"])) for c in self.data["categories"]]

    def feature_rows(self) -> dict[str, pa.Table]:
        """The categories (with their ids and ``isthing``) and the ground-truth PNGs, which
        the dataset writer adds in the transaction that makes the dataset appear: a failure
        writing them leaves no dataset without its masks."""
        cats = self.data["categories"]
        classes = ClassSet(tuple(c["name"] for c in cats), voc_colors(len(cats) + 1)[1:], 0)
        rows, segments = annotation_rows(
            self.data, self.matched, self.folder, range(len(self.kept))
        )
        ids, things = [int(c["id"]) for c in cats], [is_thing(c.get("isthing")) for c in cats]
        return {
            **class_rows(classes, ids, things),
            **mask_rows(GROUND_TRUTH, rows, classes, PANOPTIC_LAYOUT, segments, "sample_index"),
        }


def annotation_rows(
    data: dict[str, Any], matched: list[tuple[int, int]], folder: Path, samples: Sequence[int]
) -> tuple[list[tuple[int, str]], list[str]]:
    """``(sample, PNG)`` and the ``segments_info`` JSON of each
    :func:`.panoptic_images.match_annotations` pair, the image rows' samples in
    ``samples``."""
    rows, segments = [], []
    for k, row in sorted(matched):
        ann = data["annotations"][k]
        rows.append((samples[row], str(folder / ann["file_name"])))
        segments.append(json.dumps(ann.get("segments_info", [])))
    return rows, segments
