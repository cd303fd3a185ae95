"""Label edits: an operation log written by the single writer, undo and redo, versions.

The log holds the objects' changes, the tags of whole samples (written by the sample tag
writer, :mod:`visionlens_jlab.catalog.writes.sample_tags`) and the samples' image-level
labels; undo, redo, diff and restore take all three.

* :mod:`.operations`: the operations a batch holds, checked for shape;
* :mod:`.classification_ops`: the image-label operations of a batch as one change of rows;
* :mod:`.states`: objects as whole states, read and written set-wise, and the log rows;
* :mod:`.engine`: a batch in one transaction (conflicts, derived structures), undo, redo;
* :mod:`.versions`: named positions of the log, diffs folded per object, restores;
* :mod:`.version_eval`: a diff's evaluation deltas (a model evaluated at both versions);
* :mod:`.log`: the log as rows for the REST API and the notebook;
* :mod:`.tag_filter`: the ``tags`` label condition (objects by their tags);
* :mod:`.sample_deletes`: samples deleted as a batch (every row and vector kept for its
  undo), :mod:`.sample_delete_rules` saying what each table does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import EditConflict, EditError, ImageLabelConflict, SampleTagConflict
from .manifest import MANIFEST

if TYPE_CHECKING:
    from .engine import apply_edits, redo, undo
    from .log import edit_log
    from .sample_deletes import delete_samples
    from .versions import diff_versions, list_versions, restore_version, snapshot

__all__ = [
    "MANIFEST",
    "EditConflict",
    "EditError",
    "ImageLabelConflict",
    "SampleTagConflict",
    "apply_edits",
    "delete_samples",
    "diff_versions",
    "edit_log",
    "list_versions",
    "redo",
    "restore_version",
    "snapshot",
    "undo",
]


def __getattr__(name: str) -> object:
    """The engine's, log's, deletes' and versions' functions, from their modules on first
    use: every command imports this package's manifest to open a catalog, and the batch
    engine (~30 ms of imports) only an edit needs."""
    if name in ("apply_edits", "redo", "undo"):
        from . import engine

        return getattr(engine, name)
    if name == "edit_log":
        from . import log

        return log.edit_log
    if name == "delete_samples":
        from . import sample_deletes

        return sample_deletes.delete_samples
    if name in ("diff_versions", "list_versions", "restore_version", "snapshot"):
        from . import versions

        return getattr(versions, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
