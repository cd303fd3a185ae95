"""A sample's ground-truth image labels through Label Studio: one ``Choices`` control.

The control lists the dataset's image-label classes (``choice="multiple"`` when a sample of
the dataset has several image labels, else ``single``); a task's annotation holds the
sample's labels as one ``choices`` result, and ``data.visionlens["image_labels"]`` records
them as sent (sorted). Back, the labels the annotator left (none: no ``choices`` result)
become a ``classify`` (or an ``unclassify`` when none are left) whose ``expected`` is what
was sent: labels changed in VisionLens since are a conflict, not overwritten. A task sent
before image labels went (no ``image_labels``) proposes no image-label change; a label
outside the dataset's image-label classes, or a malformed result, is listed in
``skipped`` and changes nothing of that sample.
"""

from __future__ import annotations

import re
from typing import Any
from xml.sax.saxutils import quoteattr, unescape

from .errors import LabelStudioError

CHOICES_FROM_NAME = "image_labels"
CHOICES_TYPE = "choices"
CHOICES_REGION = "vl-image-labels"
_CHOICE = re.compile(r"""<Choice value=(?:"([^"]*)"|'([^']*)')""")
_ENTITIES = {"&quot;": '"', "&apos;": "'", "&#10;": "\n", "&#13;": "\r", "&#9;": "\t"}


def choices_config(classes: list[str], multiple: bool) -> str:
    """The ``Choices`` control of the config ('' when the dataset has no image labels)."""
    if not classes:
        return ""
    for name in classes:
        if name.startswith("$"):  # Label Studio reads "$x" as a reference to task data
            raise LabelStudioError(f"class {name!r}: Label Studio cannot hold a leading '$'")
    choices = "\n".join(f"    <Choice value={quoteattr(n)}/>" for n in classes)
    kind = "multiple" if multiple else "single"
    return (
        f'  <Choices name="{CHOICES_FROM_NAME}" toName="image" choice="{kind}" '
        f'showInLine="true">\n{choices}\n  </Choices>\n'
    )


def offered_choices(config: str) -> set[str]:
    """The image labels a project's config (as :func:`choices_config` wrote it) offers: an
    image-label class the dataset no longer uses anywhere is still one to pick."""
    return {unescape(a or b, _ENTITIES) for a, b in _CHOICE.findall(config)}


def choices_result(labels: list[str]) -> list[dict[str, Any]]:
    """The annotation's ``choices`` result of a sample's labels (none for no labels)."""
    if not labels:
        return []
    return [
        {
            "id": CHOICES_REGION,
            "from_name": CHOICES_FROM_NAME,
            "to_name": "image",
            "type": CHOICES_TYPE,
            "value": {CHOICES_TYPE: sorted(labels)},
        }
    ]


def image_label_changes(
    task_id: Any, sent: dict[str, Any], result: list[dict[str, Any]], classes: set[str] | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The ``classify`` / ``unclassify`` operation of one task's ``result`` (at most one)
    and the skipped rows; ``classes``: the dataset's image-label classes (None: unchecked)."""
    if "image_labels" not in sent:
        return [], []
    was = sorted(str(v) for v in sent["image_labels"])
    found = [r for r in result
             if r.get("from_name") == CHOICES_FROM_NAME and r.get("type") == CHOICES_TYPE]  # fmt: skip
    got: list[str] = []
    for r in found:
        choices = (r.get("value") or {}).get(CHOICES_TYPE)
        if not isinstance(choices, list) or not all(isinstance(c, str) and c for c in choices):
            return [], [{"task": task_id, "region": r.get("id"),
                         "reason": "image labels that are not a list of class names"}]  # fmt: skip
        got += choices
    now = sorted(set(got))
    unknown = sorted(set(now) - classes) if classes is not None else []
    if unknown:
        return [], [
            {"task": task_id, "region": found[0].get("id"),
             "reason": f"image labels {unknown} are not image-label classes of the dataset"}
        ]  # fmt: skip
    if now == was:
        return [], []
    sample = int(sent["sample_id"])
    if not now:
        return [{"op": "unclassify", "sample_id": sample, "expected": {"labels": was}}], []
    return [{"op": "classify", "sample_id": sample, "labels": now,
             "expected": {"labels": was}}], []  # fmt: skip
