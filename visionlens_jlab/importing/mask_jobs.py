"""Semantic and panoptic ingests as a server's jobs: what the CLI's ``semantic-ingest``,
``semantic-predictions``, ``panoptic-ingest`` and ``panoptic-predictions`` do, queued.

Each job runs in the server's process (it writes the catalog the server owns), so the
server's ``allowed_roots`` are checked on every path the job reads or stores, before it
writes anything. What can be refused at once is: a dataset name that is taken or not valid,
a model name that is not valid or that holds objects or image labels (a model holds one
kind of prediction: :mod:`~visionlens_jlab.catalog.reads.model_kinds`), a path outside
the roots, a semantic folder whose layout is not found (its pairs are listed then, so the
job reads the list it was checked with).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..catalog import Catalog, validate_name
from ..catalog.reads.model_kinds import LABEL_MAPS, check_import
from ..ingest.allowed_roots import check_allowed_source
from ..jobs.job import Job, JobContext
from ..jobs.kinds import JobEffects, JobKind
from ..jobs.manager import JobManager
from ..semantic.ingest import ingest_semantic, ingest_semantic_predictions
from ..semantic.layouts import open_semantic
from ..semantic.panoptic import ingest_panoptic, ingest_panoptic_predictions
from .jobs import check_new_dataset

MASKS_INGEST_JOB = JobKind("masks-ingest", JobEffects(data=("samples",), datasets="created"))
"""A semantic or panoptic dataset written: a new dataset."""
MASK_PREDICTIONS_JOB = JobKind(
    "mask-predictions", JobEffects(data=("predictions",), datasets="changed")
)
"""A model's semantic or panoptic masks recorded on a dataset."""


class MaskIngests:
    """Queues the four kinds of job on ``jobs`` over ``catalog``, every path inside
    ``roots`` (none: anywhere); ``then(name)`` runs after a dataset is written
    (thumbnails)."""

    def __init__(
        self,
        jobs: JobManager,
        catalog: Catalog,
        roots: Sequence[str],
        then: Callable[[str], Any] = lambda _name: None,
    ) -> None:
        self._jobs, self._catalog, self._roots, self._then = jobs, catalog, list(roots), then

    def _check(self, path: str) -> None:
        check_allowed_source(path, self._roots)

    def _checked(self, *paths: str | None) -> None:
        for path in paths:
            if path:
                self._check(path)

    def ingest_semantic(
        self,
        name: str,
        source: str,
        layout: str = "auto",
        classes: str | None = None,
        ignore_index: int | None = None,
        images: str | None = None,
    ) -> Job:
        """Queue ``semantic-ingest``: the layout's pairs are found here (a folder without
        one is refused at once), then the job writes them."""
        self._checked(source, classes, images)
        check_new_dataset(self._catalog, name)
        found = open_semantic(source, layout, classes, ignore_index, images)

        def run(ctx: JobContext) -> dict[str, Any]:
            ctx.progress(None, f"writing {len(found.pairs)} masks")
            return ingest_semantic(self._catalog, name, found, check=self._check)

        return self._jobs.submit(
            MASKS_INGEST_JOB, run, title=f"Ingest {name} (semantic)", dataset=name,
            then=lambda _result: self._then(name),
        )  # fmt: skip

    def semantic_predictions(
        self, dataset: str, model: str, source: str, indices: bool = False
    ) -> Job:
        """Queue ``semantic-predictions`` of ``model`` on ``dataset``."""
        self._checked(source)
        validate_name(model, "model")
        check_import(self._catalog, dataset, model, LABEL_MAPS)  # the job would refuse it

        def run(ctx: JobContext) -> dict[str, Any]:
            ctx.progress(None, f"reading {source}")
            return ingest_semantic_predictions(
                self._catalog, dataset, model, source, indices=indices, check=self._check
            )

        title = f"Masks of {model} on {dataset}"
        return self._jobs.submit(
            MASK_PREDICTIONS_JOB, run, title=title, dataset=dataset, models=(model,)
        )

    def ingest_panoptic(
        self, name: str, source: str, masks: str | None = None, images: str | None = None
    ) -> Job:
        """Queue ``panoptic-ingest`` of the COCO panoptic JSON ``source``."""
        self._checked(source, masks, images)
        check_new_dataset(self._catalog, name)

        def run(ctx: JobContext) -> dict[str, Any]:
            ctx.progress(None, f"reading {source}")
            return ingest_panoptic(self._catalog, name, source, masks, images, self._check)

        return self._jobs.submit(
            MASKS_INGEST_JOB, run, title=f"Ingest {name} (panoptic)", dataset=name,
            then=lambda _result: self._then(name),
        )  # fmt: skip

    def panoptic_predictions(
        self, dataset: str, model: str, source: str, masks: str | None = None
    ) -> Job:
        """Queue ``panoptic-predictions`` of ``model`` on ``dataset``."""
        self._checked(source, masks)
        validate_name(model, "model")
        check_import(self._catalog, dataset, model, LABEL_MAPS)

        def run(ctx: JobContext) -> dict[str, Any]:
            ctx.progress(None, f"reading {source}")
            return ingest_panoptic_predictions(
                self._catalog, dataset, model, source, masks, self._check
            )

        title = f"Panoptic results of {model} on {dataset}"
        return self._jobs.submit(
            MASK_PREDICTIONS_JOB, run, title=title, dataset=dataset, models=(model,)
        )
