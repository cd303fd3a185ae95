"""The ``tags`` label condition: objects by the tags the edit API gave them.

``{"labels": {"source": "ground_truth", "tags": ["check", "occluded"]}}`` keeps the objects
that carry any of the tags (``object_tags``, written by ``tag`` / ``untag`` operations); like
every label condition it combines with ``source``, ``classes`` and the rest of the filter:
the grid shows the samples that have such an object, the patches view those objects.
"""

from __future__ import annotations

from typing import Any

from ..catalog.query.filters import FilterError, Params
from .operations import MAX_TAG_LENGTH


def parse_object_tags(value: Any) -> tuple[str, ...]:
    """The tags of the condition (one or a list), checked once when the filter is parsed."""
    tags = [value] if isinstance(value, str) else value
    if (
        not isinstance(tags, list)
        or not tags
        or not all(isinstance(t, str) and 0 < len(t) <= MAX_TAG_LENGTH for t in tags)
    ):
        raise FilterError(
            "labels.tags must be a tag or a non-empty list of tags (strings of 1 to "
            f"{MAX_TAG_LENGTH} characters), e.g. ['check']"
        )
    return tuple(dict.fromkeys(tags))


def object_tags_sql(tags: tuple[str, ...], params: Params) -> str:
    """SQL over the box alias ``a``: the object carries one of ``tags``."""
    bound = params.add(list(tags))  # a placeholder: the tags are bound values
    return (
        "EXISTS (SELECT 1 FROM object_tags t WHERE t.dataset_id = a.dataset_id "  # noqa: S608
        f"AND t.ann_id = a.ann_id AND list_has_any(t.tags, {bound}::VARCHAR[]))"
    )
