"""What model runs and the VLM add to the catalog: their manifests, installed when this module
is imported (:mod:`visionlens_jlab.features`).

* Model runs: the table ``model_run_empty_samples`` (the samples a run processed without a
  prediction, :mod:`.model_runs`; its rows of a model go when that model's predictions are
  replaced) and migration step 12, which moves the resume lists of older catalogs' run
  reports into it.
* The VLM: the table ``vlm_labels`` (the user's labels, :mod:`.vlm_labels`) with migration
  step 13, which creates it (and step 28, again where a catalog skipped it), and the computed field ``vlm_<key>`` of each default question.
  A run's own questions are declared when it starts (:func:`declare_question`), each as a
  manifest ``vlm.<key>`` of its field.
"""

from __future__ import annotations

from ..catalog.extensions.computed import CATEGORICAL
from ..catalog.extensions.manifest import ComputedFieldKind, Manifest, Table, install
from ..catalog.store.registry import Step
from .model_runs import move_resume_lists
from .vlm_labels import DEFAULT_QUESTIONS, Question, create_labels_table

MANIFEST = Manifest(
    "model_runs",
    tables=(Table("model_run_empty_samples", model_column="model"),),
    steps=(Step(12, "move the model runs' resume lists into a table", move_resume_lists),),
)
"""The model runs' catalog extension (see the module docstring)."""


def question_field(question: Question) -> ComputedFieldKind:
    """The categorical computed field ``vlm_<key>`` of ``question``'s answers."""
    return ComputedFieldKind(
        question.field, CATEGORICAL, f"a VLM's answer to: {question.text[:80]}"
    )


VLM_MANIFEST = Manifest(
    "vlm",
    tables=(Table("vlm_labels"),),
    steps=(
        Step(13, "add the table of the user's VLM labels", create_labels_table),
        # a catalog stamped 13 by the code of 8a007684 (its step 13 moved the resume lists,
        # renumbered 12 the commit after) skipped step 13: every open then failed
        Step(28, "add the VLM labels table where an earlier step 13 did not", create_labels_table),
    ),
    computed_fields=tuple(question_field(q) for q in DEFAULT_QUESTIONS),
)
"""The VLM's catalog extension (see the module docstring)."""


def declare_question(question: Question) -> None:
    """Make ``computed.vlm_<key>`` a filterable, faceted field: the manifest ``vlm.<key>``,
    replacing that of an earlier question with this key (idempotent)."""
    install(
        Manifest(f"vlm.{question.key}", computed_fields=(question_field(question),)), replace=True
    )


install(MANIFEST)
install(VLM_MANIFEST)
