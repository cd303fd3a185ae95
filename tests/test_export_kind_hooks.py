"""Each export format declares, per kind of label, what it writes (a hook) or that it leaves
the kind out; a format silent about a kind is refused when its module is imported."""

from __future__ import annotations

from typing import Any

import pytest

from visionlens_jlab.export import coco, cvat_video, dota, mot, voc, yolo
from visionlens_jlab.export.kind_hooks import KindHooks
from visionlens_jlab.records.label_kinds import OBJECT_KINDS

FORMATS: dict[str, KindHooks[Any]] = {
    "coco": coco.KINDS,
    "cvat-video": cvat_video.KINDS,
    "dota": dota.KINDS,
    "mot": mot.KINDS,
    "voc": voc.KINDS,
    "yolo": yolo.TASKS,
}


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_every_format_declares_every_object_kind_once(name: str) -> None:
    declared = FORMATS[name]
    kinds = sorted(k.name for k in OBJECT_KINDS)
    assert sorted([*declared.hooks, *declared.left_out]) == kinds


def test_what_each_format_writes() -> None:
    assert [k for k, _ in coco.KINDS.items()] == ["box", "mask", "keypoints"]
    assert [k for k, _ in dota.KINDS.items()] == ["box", "rotated_box"]
    assert [k for k, _ in voc.KINDS.items()] == ["box"]
    assert [k for k, _ in mot.KINDS.items()] == [k for k, _ in cvat_video.KINDS.items()] == ["box"]
    assert yolo.TASKS.in_order() == ["detect", "segment", "pose"]


def test_a_format_silent_about_a_kind_is_refused_naming_it() -> None:
    with pytest.raises(ValueError, match=r"does not say how it writes label kinds polyline\b"):
        KindHooks("x", {"box": 1, "mask": 1, "keypoints": 1}, left_out=("rotated_box",))


def test_a_kind_that_does_not_exist_or_is_declared_twice_is_refused() -> None:
    everything = ("box", "rotated_box", "polyline", "mask", "keypoints")
    with pytest.raises(ValueError, match="do not exist: ellipse"):
        KindHooks("x", {"ellipse": 1}, left_out=everything)
    with pytest.raises(ValueError, match="both writes and leaves out box"):
        KindHooks("x", {"box": 1}, left_out=everything)


def test_asking_a_format_for_a_kind_it_leaves_out_names_what_it_cannot_write() -> None:
    with pytest.raises(
        KeyError,
        match="voc export cannot write mask: it leaves out rotated_box, polyline, mask, keypoints",
    ):
        voc.KINDS.hook("mask")
