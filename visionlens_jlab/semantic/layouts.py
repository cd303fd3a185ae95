"""Where a semantic dataset's images and masks are: the layouts VisionLens reads.

* ``voc``: ``JPEGImages/<id>.jpg`` + ``SegmentationClass/<id>.png`` (palette PNGs, 255 the
  void border; or RGB PNGs painted in VOC's palette, its border (224,224,192)); the split
  from ``ImageSets/Segmentation/<split>.txt`` where present. Without ``SegmentationClass/``,
  ``SegmentationClassAug/`` (SBD's augmented set, grey PNGs of the same indices).
* ``cvat``: CVAT's "Segmentation mask 1.1" export (Datumaro's VOC export): ``labelmap.txt``
  (``name:r,g,b:parts:actions``, class ``i`` its ``i``-th label) +
  ``SegmentationClass/<name>.png`` (RGB PNGs painted in the labelmap's colours, or PNGs of
  class indices) + the images in ``JPEGImages/`` (exported with "Save images");
  ``ImageSets/Segmentation/<subset>.txt`` gives the split (CVAT's ``default``: none).
  ``SegmentationObject/`` (instances) is not read.
* ``cityscapes``: ``leftImg8bit/<split>/<city>/<id>_leftImg8bit.png`` +
  ``gtFine/<split>/<city>/<id>_gtFine_labelIds.png`` (label ids, evaluated as the 19
  train-id classes, :func:`.classes.cityscapes_classes`); where there is none,
  ``<id>_gtFine_labelTrainIds.png`` (the train ids themselves, as cityscapesScripts and
  mmsegmentation's converter write them, :func:`.classes.cityscapes_train_classes`).
* ``ade20k``: ``images/<split>/<id>.jpg`` + ``annotations/<split>/<id>.png`` (0 = other,
  ignored; class names from ``objectInfo150.csv`` or ``--classes``).
* ``masks``: ``images/`` + ``masks/`` matched by relative path without the extension
  (PNG values are the class indices; names from ``classes.txt`` or ``--classes``).

``images`` (``--images DIR``) puts the images in a folder of their own (Cityscapes'
``leftImg8bit``, ADE20K's ``images`` kept apart from the annotations, a masks folder
exported without them): each layout's masks are found as above, and an image is the file
below DIR at the mask's key (its path below the masks' folder without the extension; a
Cityscapes image's ``_leftImg8bit`` aside), so sub-folders must match on both sides. No
``images/`` is then needed: ``annotations/`` alone is ADE20K, ``masks/`` alone the masks
layout, and a folder of neither is itself the masks layout's masks folder.

Only images with a mask are read: a semantic dataset is its labelled images. The masks
without an image, the images without a mask and the files that share a name but for the
extension (``a.jpg`` and ``a.png``: which one a mask labels would be a guess) are listed
too, for the ingest's report.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from . import classes as known
from .classes import IGNORE, ClassSet, read_class_file
from .mask_files import LayoutError, mask_files, png_files
from .pairing import MaskPair, Matched, first_folder, image_files, keyed, pair_up

LAYOUTS = ("voc", "cvat", "cityscapes", "ade20k", "masks")
LABEL_ID_SUFFIX = "_gtFine_labelIds.png"
TRAIN_ID_SUFFIXES = ("_gtFine_labelTrainIds.png", "_gtFine_trainIds.png")
"""A Cityscapes mask's suffixes: its label ids; its train ids (cityscapesScripts' name,
then a shorter one some converters write)."""
IMAGE_SUFFIX = "_leftImg8bit"
"""A Cityscapes image's name's end, left out of its key."""


@dataclass(frozen=True)
class SemanticSource:
    """A semantic dataset as found on disk."""

    layout: str
    root: str
    pairs: list[MaskPair]
    classes: ClassSet
    lone_masks: list[str] = field(default_factory=list)
    """Masks whose image is not there, relative to the root (not ingested)."""
    lone_images: list[str] = field(default_factory=list)
    """Images without a mask, relative to :attr:`image_root` (not ingested)."""
    clashes: list[str] = field(default_factory=list)
    """Images or masks that share their key with another of their side, one line a key
    naming them and what they would pair with (not ingested)."""
    images: str | None = None
    """The images' own folder (``--images``), None where they are in the root."""

    @property
    def image_root(self) -> str:
        """What the images' file names are relative to: :attr:`images`, else the root."""
        return self.images or self.root


AUGMENTED = "SegmentationClassAug"
"""VOC's masks folder as mmsegmentation's conversion of SBD's 10 582 training masks."""


def detect_layout(root: Path, images: bool = False) -> str:
    """The layout of ``root`` (a :class:`LayoutError` naming what was looked for); with
    ``images`` (their folder given apart), no ``images/`` is needed beside the masks, and a
    folder of no other layout is the masks layout's masks folder."""
    if (root / "gtFine").is_dir():
        return "cityscapes"
    if (root / "SegmentationClass").is_dir() and (root / known.LABELMAP_FILE).is_file():
        return "cvat"
    if (root / "SegmentationClass").is_dir() or (root / AUGMENTED).is_dir():
        return "voc"
    if (root / "annotations").is_dir() and (images or (root / "images").is_dir()):
        return "ade20k"
    if images or ((root / "masks").is_dir() and (root / "images").is_dir()):
        return "masks"
    raise LayoutError(
        f"{root}: no semantic layout found (looked for gtFine/, SegmentationClass[Aug]/ (with "
        "labelmap.txt: a CVAT export), images/ + annotations/, images/ + masks/; masks "
        "whose images are elsewhere: give their folder with --images)"
    )


PathCheck = Callable[[str], None] | None
"""What refuses a path an ingest reads or stores (raising: a server's allowed roots), or
None: every path allowed."""


def check_paths(check: PathCheck, paths: Iterable[str]) -> None:
    """Run ``check`` on each of ``paths`` (nothing when there is no check)."""
    if check is not None:
        for path in paths:
            check(path)


def open_semantic(
    source: str,
    layout: str = "auto",
    class_file: str | None = None,
    ignore_index: int | None = None,
    images: str | None = None,
) -> SemanticSource:
    """Find the image and mask pairs and the classes of a semantic dataset at ``source``.
    ``class_file`` names the classes (one a line) instead of the layout's own;
    ``ignore_index`` replaces the layout's (255): the value left out of every metric, and
    what the layout's value map sends its ignored values to (ADE20K's 0, Cityscapes'
    unevaluated label ids); ``images``, the images' folder where it is not the layout's
    (the module's docstring)."""
    root = Path(source).expanduser().resolve()
    if not root.is_dir():
        raise LayoutError(f"{source}: not a folder")
    apart = Path(images).expanduser().resolve() if images else None
    if apart is not None and not apart.is_dir():
        raise LayoutError(f"--images {images}: not a folder")
    if ignore_index is not None and ignore_index < 0:
        # a value map holds it as a pixel value: a negative one could never be read back
        raise LayoutError(f"--ignore-index {ignore_index}: a pixel value, 0 or more")
    voc = [root / "VOC2012" / name for name in ("SegmentationClass", AUGMENTED)]
    if any(p.is_dir() for p in voc) and layout in ("auto", "voc"):
        root = root / "VOC2012"
    chosen = detect_layout(root, apart is not None) if layout == "auto" else layout
    if chosen not in LAYOUTS:
        raise LayoutError(f"unknown layout {layout!r} (one of auto, {', '.join(LAYOUTS)})")
    names = read_class_file(class_file) if class_file else None
    ignore = IGNORE if ignore_index is None else ignore_index
    matched, class_set = _READERS[chosen](root, names, ignore, apart)
    clash = None if ignore_index is not None else known.default_ignore_clash(class_set)
    if clash:
        raise LayoutError(clash)
    if not matched.pairs and matched.clashes:
        raise LayoutError(
            f"{root}: no mask pairs with one image: {matched.clashes[0]} (files named alike "
            "but for the extension: rename or remove one)"
        )
    if not matched.pairs:
        lone = [*matched.lone_masks[:1], *matched.lone_images[:1]]
        raise LayoutError(
            f"{root}: no image has a mask in the {chosen} layout "
            f"({len(matched.lone_masks)} masks, {len(matched.lone_images)} images"
            + (f" under {apart}" if apart else "")
            + (f"; e.g. {', '.join(lone)}" if lone else "")
            + ")"
        )
    return SemanticSource(
        chosen,
        str(root),
        matched.pairs,
        class_set,
        matched.lone_masks,
        matched.lone_images,
        matched.clashes,
        str(apart) if apart else None,
    )


Reader = Callable[[Path, tuple[str, ...] | None, int, Path | None], tuple[Matched, ClassSet]]
"""A layout's: its pairs and classes from the root, the class names given, the ignore
index and the images' own folder (None: the layout's)."""


def _voc(
    root: Path, names: tuple[str, ...] | None, ignore: int, apart: Path | None
) -> tuple[Matched, ClassSet]:
    splits: dict[str, str] = {}
    lists = root / "ImageSets" / "Segmentation"
    for split in ("train", "val", "test"):
        listed = lists / f"{split}.txt"
        if listed.is_file():
            for stem in listed.read_text(encoding="utf-8").split():
                splits.setdefault(stem, split)
    folder = apart or root / "JPEGImages"
    images = keyed(folder, image_files(folder, recursive=apart is not None))
    found = root / "SegmentationClass"
    masks = [(m.stem, m) for m in mask_files(found if found.is_dir() else root / AUGMENTED)]
    classes = known.voc_classes(ignore) if names is None else _named(names, ignore)
    return pair_up(root, images, masks, splits.get, folder if apart else root), classes


def _cvat(
    root: Path, names: tuple[str, ...] | None, ignore: int, apart: Path | None
) -> tuple[Matched, ClassSet]:
    if names is not None:
        raise LayoutError(f"cvat: the classes are {known.LABELMAP_FILE}'s; --classes is not read")
    labelmap = root / known.LABELMAP_FILE
    if not labelmap.is_file():
        raise LayoutError(
            f"{root}: no {known.LABELMAP_FILE} (a CVAT / Datumaro export's class names and "
            'colours); export the task again in "Segmentation mask 1.1" format'
        )
    try:
        classes = known.read_labelmap(labelmap, ignore)
    except ValueError as exc:
        raise LayoutError(str(exc)) from None
    splits: dict[str, str | None] = {}
    for listed in sorted((root / "ImageSets" / "Segmentation").glob("*.txt")):
        # CVAT names the images of no subset "default": no split
        split = None if listed.stem == "default" else listed.stem
        for stem in listed.read_text(encoding="utf-8").split():
            splits.setdefault(stem, split)
    images = apart or root / "JPEGImages"
    if not images.is_dir():
        raise LayoutError(
            f'{root}: no JPEGImages/ folder: CVAT exports the images only with "Save '
            'images"; export again with it, copy the images into JPEGImages/ (named '
            "as in ImageSets/Segmentation) or give their folder with --images"
        )
    masks = root / "SegmentationClass"
    return pair_up(
        root,
        keyed(images, image_files(images, True)),
        keyed(masks, mask_files(masks, recursive=True)),
        splits.get,
        images if apart else root,
    ), classes


def _cityscapes(
    root: Path, names: tuple[str, ...] | None, ignore: int, apart: Path | None
) -> tuple[Matched, ClassSet]:
    if names is not None:
        raise LayoutError(
            "cityscapes: the classes are its 19 evaluated ones; --classes is not read"
        )
    # label ids where there are any (the download's own); else the train-id PNGs a
    # training setup made from them: one encoding per source, as its value map is one
    suffix, classes = LABEL_ID_SUFFIX, known.cityscapes_classes(ignore)
    masks = sorted((root / "gtFine").glob(f"*/*/*{suffix}"))
    if not masks:
        for suffix in TRAIN_ID_SUFFIXES:
            masks = sorted((root / "gtFine").glob(f"*/*/*{suffix}"))
            if masks:
                classes = known.cityscapes_train_classes(ignore)
                break
    if not masks:
        found = [p.relative_to(root).as_posix() for p in png_files(root / "gtFine", True)[:3]]
        raise LayoutError(
            f"{root}: no gtFine/<split>/<city>/<id>{LABEL_ID_SUFFIX} nor "
            f"<id>{TRAIN_ID_SUFFIXES[0]} (found: {', '.join(found) or 'no PNG'}); the "
            "label ids come with gtFine_trainvaltest.zip, the train ids from "
            "cityscapesScripts' createTrainIdLabelImgs"
        )
    images = apart or root / "leftImg8bit"
    # <split>/<city>/<id> on both sides
    pictures = image_files(images, True) if apart else images.glob(f"*/*/*{IMAGE_SUFFIX}.png")
    by_key = keyed(images, pictures, IMAGE_SUFFIX)
    by_mask = [(m.relative_to(root / "gtFine").as_posix()[: -len(suffix)], m) for m in masks]
    where = images if apart else root
    return pair_up(root, by_key, by_mask, lambda key: key.split("/")[0], where), classes


def _ade20k(
    root: Path, names: tuple[str, ...] | None, ignore: int, apart: Path | None
) -> tuple[Matched, ClassSet]:
    if names is None:
        info = next(iter(root.glob("objectInfo150.*")), None) or next(
            iter(root.parent.glob("objectInfo150.*")), None
        )
        if info is None:
            raise LayoutError(
                f"{root}: ADE20K needs its class names: objectInfo150.csv beside it or --classes"
            )
        names = read_class_file(info)
    return _matched(root, root / "annotations", apart), known.ade20k_classes(names, ignore)


def _masks(
    root: Path, names: tuple[str, ...] | None, ignore: int, apart: Path | None
) -> tuple[Matched, ClassSet]:
    if names is None:
        listed = root / "classes.txt"
        if not listed.is_file():
            raise LayoutError(f"{root}: name the classes: classes.txt in the folder or --classes")
        names = read_class_file(listed)
    folder = root / "masks"
    if apart is not None and not folder.is_dir():  # a masks folder exported on its own
        folder = root
        if folder in apart.parents:
            raise LayoutError(
                f"--images {apart} is inside the masks folder {root}: its images would be "
                "read as masks; give the folder the masks are in as the source"
            )
    return _matched(root, folder, apart), _named(names, ignore)


def _named(names: tuple[str, ...], ignore: int) -> ClassSet:
    return ClassSet(names, known.voc_colors(len(names)), ignore)


def _matched(root: Path, masks: Path, apart: Path | None) -> Matched:
    """Images and masks matched by their path under ``images/`` (or ``apart``) and
    ``masks`` without the extension; the first folder below is the split when there is
    one."""
    folder = apart or root / "images"
    images = keyed(folder, image_files(folder, recursive=True))
    by_key = keyed(masks, mask_files(masks, recursive=True))
    return pair_up(root, images, by_key, first_folder, folder if apart else root)


_READERS: dict[str, Reader] = {
    "voc": _voc,
    "cvat": _cvat,
    "cityscapes": _cityscapes,
    "ade20k": _ade20k,
    "masks": _masks,
}
