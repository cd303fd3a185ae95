"""What label edits add to the catalog: its manifest, installed when this module is imported
(:mod:`visionlens_jlab.features` and the package import it): the ``tags`` label condition
(objects by their tags, :mod:`.tag_filter`), and the rows of deleted samples kept for an
undo (step 23, :mod:`.deleted_samples_table`). The operation log's tables are the store's own
(:mod:`visionlens_jlab.catalog.store.edit_tables`): every label writer writes them.
"""

from __future__ import annotations

from ..catalog.extensions.manifest import LabelConditionKind, Manifest, Table, install
from ..catalog.store.registry import Step
from .deleted_samples_table import TABLE, create_deleted_samples
from .tag_filter import object_tags_sql, parse_object_tags

MANIFEST = Manifest(
    "edits",
    tables=(Table(TABLE),),
    steps=(Step(23, "add the rows of deleted samples, kept for an undo", create_deleted_samples),),
    label_conditions=(LabelConditionKind("tags", object_tags_sql, parse_object_tags),),
)
"""The label edits' catalog extension (see the module docstring)."""

install(MANIFEST)
