"""The errors of the edit API: an invalid operation, and a conflict with another writer."""

from __future__ import annotations

from typing import Any

from ..catalog import CatalogError, ConflictError


class EditError(CatalogError):
    """An operation of a batch is invalid; nothing of the batch was written.

    ``index``: the position of the operation in the list the caller sent (None when the
    batch as a whole is refused, e.g. nothing to undo)."""

    def __init__(self, message: str, index: int | None = None) -> None:
        where = f"operation {index}: " if index is not None else ""
        super().__init__(f"{where}{message}; nothing was written")
        self.index = index
        self.reason = message

    def to_dict(self) -> dict[str, Any]:
        """The error as the REST API answers it."""
        return {"message": str(self), "reason": self.reason, "index": self.index}


class EditConflict(ConflictError):
    """An object changed since the caller (or the batch being undone) saw it.

    ``current``: the object's state now (None: it no longer exists); nothing was written,
    and the caller decides (apply again with the new state as ``expected``, or drop it)."""

    def __init__(
        self,
        annotation_id: int,
        current: dict[str, Any] | None,
        index: int | None = None,
        what: str = "the state the operation expected",
    ) -> None:
        now = "no longer exists" if current is None else f"is now {summary(current)}"
        where = f"operation {index}: " if index is not None else ""
        super().__init__(
            f"{where}conflict: object {annotation_id} changed since {what}: it {now}; "
            "nothing was written"
        )
        self.index = index
        self.annotation_id = annotation_id
        self.current = current

    def to_dict(self) -> dict[str, Any]:
        """The conflict as the REST API answers it (HTTP 409)."""
        return {
            "message": str(self),
            "conflict": {
                "index": self.index,
                "annotation_id": self.annotation_id,
                "current": public_state(self.current),
            },
        }


def public_state(state: dict[str, Any] | None) -> dict[str, Any] | None:
    """An object's state as the API shows it: label, box as [x, y, w, h], tags, source."""
    if state is None:
        return None
    return {
        "annotation_id": state["ann_id"],
        "sample_id": state["sample_id"],
        "source": state["source"],
        "label": state["label"],
        "bbox": [state["x"], state["y"], state["w"], state["h"]],
        "tags": list(state.get("tags") or []),
    }


def summary(state: dict[str, Any]) -> str:
    """One line naming an object's label, box and tags (for error messages)."""
    shown = public_state(state) or {}
    return f"label {shown['label']!r}, bbox {shown['bbox']}, tags {shown['tags']}"


class SampleTagConflict(EditConflict):
    """A sample's tags changed since the batch being undone, redone or restored saw them.

    ``tags``: the sample's tags now (None: the sample no longer exists); nothing was
    written."""

    def __init__(
        self, sample_id: int, tags: list[str] | None, what: str = "the batch was prepared"
    ) -> None:
        now = "no longer exists" if tags is None else f"has tags {sorted(tags)} now"
        ConflictError.__init__(
            self,
            f"conflict: the tags of sample {sample_id} changed since {what}: it {now}; "
            "nothing was written",
        )
        self.index = None
        self.sample_id = sample_id
        self.tags = tags

    def to_dict(self) -> dict[str, Any]:
        """The conflict as the REST API answers it (HTTP 409)."""
        return {
            "message": str(self),
            "conflict": {"index": None, "sample_id": self.sample_id, "tags": self.tags},
        }


class ImageLabelConflict(EditConflict):
    """A sample's image-level labels changed since the caller (its operation's
    ``expected``) or the batch being undone, redone or restored saw them.

    ``labels``: the sample's labels of ``source`` now (None: the sample no longer exists);
    nothing was written."""

    def __init__(
        self,
        sample_id: int,
        source: str,
        labels: list[str] | None,
        index: int | None = None,
        what: str = "the state the operation expected",
    ) -> None:
        now = "no longer exists" if labels is None else f"has image labels {labels} now"
        where = f"operation {index}: " if index is not None else ""
        ConflictError.__init__(
            self,
            f"{where}conflict: the image labels of sample {sample_id} ({source}) changed "
            f"since {what}: it {now}; nothing was written",
        )
        self.index = index
        self.sample_id = sample_id
        self.source = source
        self.labels = labels

    def to_dict(self) -> dict[str, Any]:
        """The conflict as the REST API answers it (HTTP 409)."""
        return {
            "message": str(self),
            "conflict": {
                "index": self.index,
                "sample_id": self.sample_id,
                "source": self.source,
                "labels": self.labels,
            },
        }
