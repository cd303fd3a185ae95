"""The names a ``classify`` may give a sample as image labels (:mod:`.operations`).

A box's class must be one of the dataset's already (the sample writer's check); a
``classify`` is the one edit that brings a new class name in, which every facet, filter and
export then carries: so its labels are checked here, for the REST route, ``ds.edit`` and the
CLI's ``--ops`` alike (all parse their operations with :func:`.operations.parse_operations`).
"""

from __future__ import annotations

import re

from .errors import EditError

MAX_LABEL_LENGTH = 200
"""Characters in one image label: a tag's limit (:data:`.operations.MAX_TAG_LENGTH`)."""
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
"""C0 and C1 control characters (tab and newline too): no class name holds one, and a
facet, a CSV or an XML export (VOC refuses them) would break on it."""


def checked_label(label: str, index: int) -> str:
    """``label`` (a non-empty string already) as an image label of operation ``index``: at
    most :data:`MAX_LABEL_LENGTH` characters, no control character, not white space alone;
    else an :class:`~.errors.EditError` saying which and what to give."""
    if len(label) > MAX_LABEL_LENGTH:
        raise EditError(
            f"classify: a label has at most {MAX_LABEL_LENGTH} characters, got one of "
            f"{len(label)} ({label[:40]!r}...); give the class name itself",
            index,
        )
    if CONTROL.search(label):  # before the white space check: NEL (\x85) is both
        raise EditError(
            f"classify: label {label!r} holds a control character (a newline, a tab, ...); "
            "give the class name on one line without them",
            index,
        )
    if not label.strip():
        raise EditError(
            f"classify: a label must be a class name, not white space ({label!r})", index
        )
    return label
