"""Where the parts of a YOLO dataset are: images, label files, splits and class names.

Understands Ultralytics ``data.yaml`` (``path``/``train``/``val``/``test`` as folders or image
lists, ``names`` as a list or a dict), the darknet/CVAT ``obj.data`` + ``train.txt`` layout
(whose ``data/`` prefixes are relative to the export root), a plain ``images/`` + ``labels/``
pair with optional split subfolders, and bare ``obj_*_data/`` folders.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

from ..records.report import IngestError, IngestReport
from .class_names import NAME_FILES, names_beside, read_names, yaml_names
from .images import join_location, list_images

YAML_FILES = ("data.yaml", "dataset.yaml", "data.yml", "dataset.yml")


@dataclass
class Item:
    """One image of a YOLO dataset: its location, its label file, its split."""

    stem: str
    file_name: str | None  # as listed (relative to the images root), None if no image
    location: str | None
    label: str | None
    split: str | None


@dataclass
class Layout:
    names: list[str] | None
    items: list[Item] = field(default_factory=list)
    media_root: str = ""
    pose: PoseConfig | None = None


@dataclass
class PoseConfig:
    """The keypoint settings of an Ultralytics pose ``data.yaml``."""

    points: int  # kpt_shape[0]
    dims: int  # kpt_shape[1]: 2 (x y) or 3 (x y visibility)
    names: dict[int, list[str]] = field(default_factory=dict)  # class id -> point names
    flip_idx: list[int] | None = None
    sigmas: list[float] | None = None  # kpt_oks_sigmas: one OKS sigma per point


def read_pose_config(cfg: dict, where: str, report: IngestReport) -> PoseConfig | None:
    """``kpt_shape``, ``kpt_names``, ``flip_idx`` and ``kpt_oks_sigmas`` (the key Ultralytics'
    pose training and validation read) of a data.yaml, checked; None when the yaml has no
    ``kpt_shape`` (not a pose dataset). An unusable ``kpt_shape`` is an :class:`IngestError`
    (no row could be read); unusable names, flip indices or sigmas are reported and
    ignored."""
    shape = cfg.get("kpt_shape")
    if shape is None:
        return None
    if (
        not isinstance(shape, list)
        or len(shape) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in shape)
        or shape[0] < 1
        or shape[1] not in (2, 3)
    ):
        raise IngestError(
            f"{where}: kpt_shape must be [number of keypoints, 2 or 3], not {shape!r}"
        )
    pose = PoseConfig(shape[0], shape[1])
    names = cfg.get("kpt_names")
    per_class = names if isinstance(names, dict) else {0: names} if names else {}
    for key, value in per_class.items():
        if isinstance(value, list) and len(value) == pose.points and isinstance(key, int):
            pose.names[key] = [str(v) for v in value]
        else:
            report.warn(
                "yolo_bad_kpt_names",
                f"kpt_names entries that are not a list of {pose.points} names (ignored)",
                f"{where}: {key}",
            )
    points = list(range(pose.points))
    flip = _checked_list(
        cfg,
        "flip_idx",
        lambda v: all(isinstance(i, int) for i in v) and sorted(v) == points,
        f"flip_idx is not a permutation of the {pose.points} keypoints (ignored)",
        where,
        report,
    )
    pose.flip_idx = None if flip is None else [int(v) for v in flip]
    sigmas = _checked_list(
        cfg,
        "kpt_oks_sigmas",
        lambda v: (
            len(v) == pose.points
            and all(x.__class__ in (int, float) and 0 < x < float("inf") for x in v)
        ),
        f"kpt_oks_sigmas is not {pose.points} positive numbers (ignored)",
        where,
        report,
    )
    pose.sigmas = None if sigmas is None else [float(v) for v in sigmas]
    return pose


def _checked_list(
    cfg: dict,
    key: str,
    valid: Callable[[list], bool],
    message: str,
    where: str,
    report: IngestReport,
) -> list | None:
    """The list ``cfg[key]`` when ``valid`` says it is usable; None when absent, or when
    unusable (reported as ``yolo_bad_<key>`` with ``message``)."""
    value = cfg.get(key)
    if value is None:
        return None
    if isinstance(value, list) and valid(value):
        return value
    report.warn(f"yolo_bad_{key}", message, f"{where}: {value!r}")
    return None


def _pair_dir(images_dir: str) -> str:
    """Ultralytics rule: the labels of .../images/x are in .../labels/x."""
    parts = images_dir.replace("\\", "/").split("/")
    for i in range(len(parts) - 1, -1, -1):
        if parts[i] == "images":
            parts[i] = "labels"
            return "/".join(parts)
    return images_dir


def _collect_dir(
    images_dir: str, labels_dir: str, split: str | None, items: list[Item], report: IngestReport
) -> None:
    images = list_images(images_dir, report)
    labels = {}
    try:
        with os.scandir(labels_dir) as entries:
            for e in entries:
                if e.name.endswith(".txt") and e.name not in NAME_FILES:
                    labels[e.name[:-4]] = e.path
    except OSError:
        pass
    for name in images:
        stem = os.path.splitext(name)[0]
        items.append(
            Item(stem, name, join_location(images_dir, name), labels.pop(stem, None), split)
        )
    for stem, path in sorted(labels.items()):
        items.append(Item(stem, None, None, path, split))


def _resolve(root: str, rel: str) -> str | None:
    """Find a path from a darknet/yaml file: as given, or without its first component."""
    rel = rel.strip().replace("\\", "/")
    candidates = [rel] if os.path.isabs(rel) else [os.path.join(root, rel)]
    parts = rel.split("/")
    if len(parts) > 1:
        candidates.append(os.path.join(root, *parts[1:]))
    if rel.startswith("../"):
        candidates.append(os.path.join(root, rel[3:]))
    for c in candidates:
        if os.path.exists(c):
            return os.path.normpath(c)
    return None


def _collect_list(
    root: str,
    list_file: str,
    split: str,
    images: str | None,
    items: list[Item],
    report: IngestReport,
) -> None:
    """A darknet image list (train.txt): one image path per line."""
    with open(list_file, encoding="utf-8-sig", errors="replace") as f:
        lines = [ln.strip() for ln in f.read().splitlines() if ln.strip()]
    for rel in lines:
        base = os.path.basename(rel.replace("\\", "/"))
        stem = os.path.splitext(base)[0]
        found = _resolve(root, rel)
        location: str | None
        if images:
            location = join_location(images, base)
            file_name = base
        else:
            location = found or os.path.normpath(os.path.join(root, rel))
            file_name = os.path.relpath(location, root) if found else rel
        label = None
        for cand in ([found] if found else []) + [os.path.join(root, rel)]:
            txt = os.path.splitext(cand)[0] + ".txt"
            alt = _resolve(root, os.path.relpath(txt, root)) if not os.path.isabs(rel) else None
            if os.path.isfile(txt):
                label = txt
                break
            if alt and os.path.isfile(alt):
                label = alt
                break
        if not images and not found:
            report.warn(
                "yolo_image_not_found",
                "images listed in the image list were not found (pass images= with their folder)",
                rel,
            )
            location = None
        items.append(Item(stem, file_name, location, label, split))


def find_layout(path: str, images: str | None, report: IngestReport) -> Layout:
    """Work out where the images, labels, splits and class names of a YOLO dataset are."""
    path = os.path.abspath(path)
    if images and "://" not in images:
        images = os.path.abspath(images)
    root = os.path.dirname(path) if os.path.isfile(path) else path
    items: list[Item] = []
    names: list[str] | None = None
    pose: PoseConfig | None = None
    yaml_file = path if os.path.isfile(path) and path.endswith((".yaml", ".yml")) else None
    if yaml_file is None and os.path.isdir(path):
        yaml_file = next(
            (os.path.join(path, y) for y in YAML_FILES if os.path.isfile(os.path.join(path, y))),
            None,
        )
    obj_data = path if os.path.isfile(path) and path.endswith(".data") else None
    if obj_data is None and os.path.isdir(path) and os.path.isfile(os.path.join(path, "obj.data")):
        obj_data = os.path.join(path, "obj.data")
    if yaml_file:
        import yaml

        try:
            with open(yaml_file, encoding="utf-8") as f:
                cfg = yaml.safe_load(f) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise IngestError(f"cannot read {yaml_file}: {exc}") from exc
        if not isinstance(cfg, dict):
            raise IngestError(f"{yaml_file} is not a YOLO data.yaml (no mapping at the top)")
        names = yaml_names(cfg.get("names"))
        pose = read_pose_config(cfg, os.path.basename(yaml_file), report)
        base = cfg.get("path")
        base = _resolve(root, str(base)) if base else root
        base = base or root
        seen: set[str] = set()
        for split in ("train", "val", "valid", "test"):
            value = cfg.get(split)
            for rel in [value] if isinstance(value, str) else value or []:
                target = _resolve(base, str(rel)) or _resolve(root, str(rel))
                label = "val" if split == "valid" else split
                if target is not None and os.path.realpath(target) in seen:
                    continue  # "val: images/train" validates on the train images: read once
                if target is not None:
                    seen.add(os.path.realpath(target))
                if target is None:
                    report.error(
                        "yolo_missing_split",
                        f"a split folder/list named in "
                        f"{os.path.basename(yaml_file)} does not exist",
                        f"{split}: {rel}",
                    )
                elif os.path.isdir(target):
                    _collect_dir(target, _pair_dir(target), label, items, report)
                else:
                    _collect_list(base, target, label, images, items, report)
    elif obj_data:
        cfg = {}
        with open(obj_data, encoding="utf-8-sig", errors="replace") as f:
            for line in f.read().splitlines():
                if "=" in line:
                    k, v = line.split("=", 1)
                    cfg[k.strip()] = v.strip()
        if cfg.get("names"):
            names_path = _resolve(root, cfg["names"])
            names = read_names(names_path) if names_path else None
        for split in ("train", "valid", "test"):
            if not cfg.get(split):
                continue
            list_file = _resolve(root, cfg[split])
            if list_file is None:
                report.error(
                    "yolo_missing_list",
                    "the subset list file named in obj.data does not exist",
                    f"{split} = {cfg[split]}",
                )
                continue
            _collect_list(
                root, list_file, "val" if split == "valid" else split, images, items, report
            )
    else:
        img_dir = images or os.path.join(root, "images")
        lbl_dir = os.path.join(root, "labels")
        if not os.path.isdir(lbl_dir):
            lbl_dir = root
        subdirs = sorted(d for d in _subdirs(lbl_dir) if os.path.isdir(os.path.join(img_dir, d)))
        if subdirs:
            for d in subdirs:
                _collect_dir(os.path.join(img_dir, d), os.path.join(lbl_dir, d), d, items, report)
        else:
            darknet = sorted(
                d for d in _subdirs(root) if d.startswith("obj_") and d.endswith("_data")
            )
            if darknet and not images:
                for d in darknet:
                    full = os.path.join(root, d)
                    _collect_dir(full, full, d[4:-5], items, report)
            else:
                _collect_dir(img_dir, lbl_dir, None, items, report)
    if names is None:
        names = names_beside(root, os.path.join(root, "labels"))
    media = images or (
        os.path.join(root, "images") if os.path.isdir(os.path.join(root, "images")) else root
    )
    return Layout(names, items, os.path.abspath(media) if "://" not in media else media, pose)


def _subdirs(path: str) -> list[str]:
    try:
        return [e.name for e in os.scandir(path) if e.is_dir()]
    except OSError:
        return []
