"""What model runs add to the catalog: its manifest, installed when this module is imported
(:mod:`visionlens_jlab.features`): the table ``model_run_empty_samples`` (the samples a run
processed without a prediction, :mod:`.model_runs`; its rows of a model go when that model's
predictions are replaced) and migration step 12, which moves the
resume lists of older catalogs' run reports into it.
"""

from __future__ import annotations

from ..catalog.extensions.manifest import Manifest, Table, install
from ..catalog.store.registry import Step
from .model_runs import move_resume_lists

MANIFEST = Manifest(
    "model_runs",
    tables=(Table("model_run_empty_samples", model_column="model"),),
    steps=(Step(12, "move the model runs' resume lists into a table", move_resume_lists),),
)
"""The model runs' catalog extension (see the module docstring)."""

install(MANIFEST)
