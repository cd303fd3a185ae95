"""What a write changed, as the writer tells the registry of derived structures.

A writer changes rows (samples, boxes, evaluation rows, tags, field values) and describes
the change with one :class:`Change`; it never names the structures derived from those rows
(:mod:`.registry` finds them by the change's :class:`Kind`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import pyarrow as pa


class Kind(Enum):
    """What kind of rows a write changed."""

    SAMPLES_ADDED = "samples added"  # a dataset's samples and ground truth (an ingest)
    # every row of ``samples`` went, or came back exactly (a sample delete, its undo)
    SAMPLES_REMOVED = "samples removed or restored"
    LABELS = "labels replaced"  # the boxes of some samples (``samples``) of ``sources``
    PREDICTIONS = "predictions"  # every box of one model (``sources``: that model)
    EVALUATION = "evaluation"  # the per-box rows of one evaluation (``eval_key``)
    TAGS = "tags"  # the tag lists of ``samples`` (``tags``: their new lists)
    IMAGE_LABELS = "image labels"  # the image-level labels of ``samples`` of ``sources``
    FIELDS = "fields"  # computed or plugin field values (not ``samples.fields``)


@dataclass(frozen=True)
class Change:
    """One write's change of one dataset's rows.

    ``samples``: the ids of the changed samples, or None for every sample of the dataset;
    ``sources``: the box sources changed (None: every source); ``eval_key``: the
    evaluation written; ``tags``: the new tag lists of ``samples``, in their order.
    """

    dataset_id: int
    kind: Kind
    samples: tuple[int, ...] | None = None
    sources: tuple[str, ...] | None = None
    eval_key: str | None = None
    tags: pa.Array | pa.ChunkedArray | None = None

    @property
    def sample_list(self) -> list[int]:
        """The changed sample ids as a list (a bound SQL parameter); [] for every sample."""
        return list(self.samples or ())

    @property
    def scoped(self) -> bool:
        """Whether the change names its samples (work proportional to them is possible)."""
        return self.samples is not None
