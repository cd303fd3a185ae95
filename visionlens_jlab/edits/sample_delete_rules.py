"""What deleting some samples of a dataset does to each of its tables.

Every table holding rows of a dataset (:func:`~..catalog.store.registry.dataset_tables`)
has exactly one rule here; :func:`check_rules` refuses a table without one, so a feature
that adds a table must decide what a deleted sample takes with it
(``tests/test_bulk_delete_samples.py`` checks every registered table is named):

* per sample: the rows of the deleted samples (their ``sample_id``) go, kept for an undo;
* per object: the rows of the deleted samples' objects (``ann_id``) go, kept for an undo;
* counted: rows that count the samples, labels or vectors (the dataset's, each model's,
  each vector space's): the counts move by what went, and back on undo;
* derived: computed again from the remaining rows in the same transaction (box
  summaries, facet keys and parts, the field index, value lists, the evaluation summaries);
* kept: the dataset's own rows (classes, models' runs, evaluations' settings, a video's
  row), the history (the log, versions) and results over the whole dataset (maps'
  settings, duplicate groups, blind spots, selections' settings), which name the deleted
  samples as they were when computed: their per-sample rows (map points, selection rows)
  go like any other, the result itself stays until it is computed again.
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
    "selection_rows",
    "map_points",
)
PER_OBJECT = ("object_tags",)
COUNTED = ("datasets", "models", "vector_spaces")
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
KEPT = (
    "categories",
    "evaluations",
    "label_quality_runs",
    "computed_fields",
    "videos",
    "semantic_sources",
    "semantic_classes",
    "selections",
    "maps",
    "duplicate_results",
    "blindspot_results",
    "blindspot_reviews",
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
    "deleted_samples",
)


def ruled() -> set[str]:
    """Every table a rule names."""
    return {*PER_SAMPLE, *PER_OBJECT, *COUNTED, *DERIVED, *KEPT}


def check_rules(tables: list[str]) -> None:
    """Refuse to delete samples while one of ``tables`` has no rule (a feature added a
    table and did not say what a deleted sample does to its rows)."""
    missing = sorted(set(tables) - ruled())
    if missing:
        raise CatalogError(
            f"cannot delete samples: no delete rule for the tables {missing} "
            "(add them to visionlens_jlab/edits/sample_delete_rules.py)"
        )
