"""Which rows of a dataset a copy of some of its samples takes, table by table.

Every table holding rows of a dataset (:func:`~..catalog.store.registry.dataset_tables`)
has exactly one rule here; :func:`check_rules` refuses a table without one, so a feature
that adds a table must decide whether a copied sample takes its rows
(``tests/test_bulk_subset.py`` checks every registered table is named).

* per sample: the rows of the chosen samples (their ``sample_id``), ids renumbered;
* per object: the rows of the chosen samples' objects (``ann_id``), ids renumbered;
* whole: the dataset's own rows (classes, model runs, evaluations...), copied as they are;
* derived: computed again for the new dataset from the copied rows (box summaries, facet
  keys and parts, the field index, value lists, the evaluation summaries);
* not copied: the edit history (the new dataset's starts empty, as an ingest's does) and
  results computed over the whole dataset that a part cannot inherit (maps, duplicate
  groups, blind spots, selections): the user computes them again on the new dataset.
"""

from __future__ import annotations

from ..catalog import CatalogError

PER_SAMPLE = (
    "samples",
    "annotations",
    "classifications",
    "box_evaluations",
    "tide_objects",
    "track_results",
    "label_quality",
    "semantic_regions",
    "object_attributes",
    "sample_attributes",
    "computed_values",
    "media_status",
    "vlm_labels",
    "model_run_empty_samples",
    "video_frames",
    "semantic_masks",
)
PER_OBJECT = ("object_tags",)
WHOLE = (
    "categories",
    "models",
    "evaluations",
    "label_quality_runs",
    "computed_fields",
    # a copied frame keeps its video (ids unchanged): every video's row comes along
    "videos",
    "semantic_sources",
    "semantic_classes",
)
VECTOR_SPACES = "vector_spaces"
"""Copied with the vectors' count of the new dataset (the vectors are copied in the store)."""
DERIVED = (
    "box_summaries",
    "box_value_fields",
    "box_value_lists",
    "summary_classes",
    "field_values",
    "facet_keys",
    "facet_parts",
    "eval_summaries",
)
NOT_COPIED = (
    "datasets",
    "edit_ops",
    "edit_batches",
    "sample_tag_ops",
    "versions",
    "version_annotations",
    "version_object_tags",
    "version_box_summaries",
    "version_sample_tags",
    "classification_ops",
    "version_classifications",
    "version_copies",
    "selections",
    "selection_rows",
    "maps",
    "map_points",
    "duplicate_results",
    "blindspot_results",
    "blindspot_reviews",
    "deleted_samples",
)

SAMPLE_ID_COLUMNS = frozenset({"sample_id"})
OBJECT_ID_COLUMNS = frozenset({"ann_id", "matched_ann_id"})
"""Columns holding an object id: renumbered like ``annotations.ann_id``. A negative value
is an object no longer named (an evaluation row of an edited mask: ``-1 - ann_id``), so
it moves the other way and stays negative."""


def ruled() -> set[str]:
    """Every table a rule names."""
    return {*PER_SAMPLE, *PER_OBJECT, *WHOLE, VECTOR_SPACES, *DERIVED, *NOT_COPIED}


def check_rules(tables: list[str]) -> None:
    """Refuse to copy a dataset while one of its ``tables`` has no rule (a feature added a
    table and did not say whether a copy takes its rows)."""
    missing = sorted(set(tables) - ruled())
    if missing:
        raise CatalogError(
            f"cannot copy samples: no copy rule for the tables {missing} "
            "(add them to visionlens_jlab/bulk/copy_rules.py)"
        )
