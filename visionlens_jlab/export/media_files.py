"""Which images an export may copy or link: those the image route serves, no other.

A sample's stored location may climb out of its dataset's media root (``../``), be an
absolute path elsewhere or a symlink leading out: the image route refuses it (403), so an
export must not copy its bytes (or link to them) either. The rule is the media layer's
(:func:`~visionlens_jlab.media.confine.confine`); a sample it refuses is left out of the
export, labels included, and named in the export's result with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from ..catalog import Catalog
from ..media.confine import confine
from ..media.errors import MediaNameError
from ..media.names import check_name
from .errors import ExportError
from .view import ExportView

MAX_LISTED = 100
"""Skipped samples the result names one by one (all are counted)."""
OUTSIDE = (
    "its image lies outside the dataset's media root (a '..' climb, an absolute path "
    "elsewhere or a symlink leading out): not exported, as the image route does not serve it"
)
BAD_NAME = "its file name cannot exist on a file system (a NUL byte, too long): not exported"


@dataclass
class Skipped:
    """The samples an export left out, counted under the keys every job's result uses."""

    refused: int = 0
    bad_names: int = 0
    samples: list[dict[str, Any]] = field(default_factory=list)
    """``{"sample_id", "error"}`` of the first :data:`MAX_LISTED` samples left out."""


def dataset_media_roots(catalog: Catalog, dataset: str) -> tuple[str, list[str]]:
    """The media root of ``dataset`` and those of every dataset of the catalog (the
    folders no export may replace)."""
    datasets = catalog.list_datasets()
    own = next((d["media_root"] for d in datasets if d["name"] == dataset), "")
    return str(own or ""), [str(d["media_root"]) for d in datasets if d["media_root"]]


def confine_images(view: ExportView, media_root: str) -> tuple[ExportView, Skipped]:
    """The view of the samples whose image lies inside ``media_root``, each read from its
    resolved location (the file the image route would serve), and the samples left out.

    Raises :class:`ExportError` when no sample is left.
    """
    ids, locations = view.samples["sample_id"], view.samples["location"]
    confined = confine(zip(ids, locations, strict=True), media_root)
    allowed = dict(confined.items)
    skipped = Skipped(confined.refused, confined.bad_names)
    if len(allowed) == len(ids):  # the usual case: no labels to read again
        samples = {**view.samples, "location": [allowed[sid] for sid in ids]}
        return replace(view, samples=samples), skipped
    positions = []
    for i, (sid, location) in enumerate(zip(ids, locations, strict=True)):
        if sid in allowed:
            positions.append(i)
        elif len(skipped.samples) < MAX_LISTED:
            skipped.samples.append({"sample_id": sid, "error": _reason(location)})
    if not positions:
        raise ExportError(
            f"none of the {len(ids)} samples of the view has its image inside the dataset's "
            "media root: no image may be copied or linked (export the labels with --images none)"
        )
    return view.keep(positions, [allowed[ids[i]] for i in positions]), skipped


def _reason(location: str) -> str:
    try:
        check_name(location)
    except MediaNameError:
        return BAD_NAME
    return OUTSIDE
