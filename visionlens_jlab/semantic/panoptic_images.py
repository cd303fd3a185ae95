"""How a COCO panoptic JSON's annotations find their images: by ``image_id`` (as text),
else by their PNG's stem; an image with two annotations refused, and what was left out
named for the ingest's report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..records.report import IngestError


def labelled_images(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The JSON's images that have an annotation: the dataset's samples, in their order."""
    # by their text, as an annotation finds its sample: an image id 1 and an
    # annotation's "1" (JSON written by different tools) are one image
    labelled = {str(a["image_id"]) for a in data["annotations"]}
    return [im for im in data.get("images", []) if str(im["id"]) in labelled]


ImageKeys = tuple[dict[str, int], dict[str, int], list[str]]
"""How an annotation finds its image (a row number): by image id (as text), else by its
PNG's stem; and the images' file names."""


def image_keys(images: list[tuple[str | None, str]]) -> ImageKeys:
    """The keys of ``(image id, file name)`` rows; a stem that two images share finds
    neither (which of them would be a guess)."""
    by_id = {image_id: i for i, (image_id, _) in enumerate(images) if image_id is not None}
    stems: dict[str, list[int]] = {}
    for i, (_, name) in enumerate(images):
        stems.setdefault(Path(name).stem, []).append(i)
    unique = {stem: found[0] for stem, found in stems.items() if len(found) == 1}
    return by_id, unique, [name for _, name in images]


def json_image_keys(images: list[dict[str, Any]]) -> ImageKeys:
    """The :func:`image_keys` of the JSON's ``images`` entries."""
    return image_keys([(str(im["id"]), im["file_name"]) for im in images])


def match_annotations(annotations: list[Any], keys: ImageKeys, where: str) -> list[tuple[int, int]]:
    """``(annotation index, image row)`` of each annotation that finds its image; two for
    one image are an :class:`IngestError` naming both (COCO panoptic has one PNG per image;
    storing both would leave the evaluation to pick one)."""
    by_id, by_stem, names = keys
    found: dict[int, int] = {}
    for k, ann in enumerate(annotations):
        image = by_id.get(str(ann.get("image_id")))
        if image is None:
            image = by_stem.get(Path(str(ann.get("file_name", ""))).stem)
        if image is None:
            continue
        if image in found:
            first = annotations[found[image]]
            raise IngestError(
                f"{where}: annotations[{found[image]}] ({first['file_name']}) and "
                f"annotations[{k}] ({ann['file_name']}) are both for image {names[image]}; "
                "keep one of them"
            )
        found[image] = k
    return [(k, image) for image, k in found.items()]


def unmatched(annotations: list[dict[str, Any]], matched: list[tuple[int, int]]) -> list[str]:
    """``annotations[k] (file_name, image_id ...)`` of each annotation not in ``matched``
    (``(annotation index, image row)`` pairs): the report's examples of what was left out."""
    found = {k for k, _ in matched}
    return [
        f"annotations[{k}] ({ann['file_name']}, image_id {ann.get('image_id')!r})"
        for k, ann in enumerate(annotations)
        if k not in found
    ]
