"""Where a model job's results go: the result writers a task (:mod:`.tasks`) names.

Detections and zero-shot labels become a prediction set like an imported one
(:mod:`visionlens_jlab.predict.model_runs`); captions the ``computed.caption`` field
(:mod:`visionlens_jlab.search.captions`); a VLM's answers the
``computed.vlm_<question>`` fields (:mod:`.vlm_labels`), written
the same way. Each writer buffers results and writes them in chunks (one transaction each,
at most every :data:`FLUSH_SECONDS`), and says what a run is (its parameters, for resume)
and what it already did.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import numpy as np
import pyarrow as pa

from ..catalog import Catalog
from ..search.captions import (
    CAPTION,
    PRODUCER_PREFIX,
    append_texts,
    start_texts,
    text_run_state,
)
from .base import PredictOptions
from .classes import class_map, unknown_class_warning
from .manifest import declare_question
from .model_runs import (
    BOX_COLUMNS,
    CLASSIFICATION_COLUMNS,
    append_model_predictions,
    model_run_state,
    start_model_run,
)
from .vlm import questions_of
from .vlm_labels import Question

VLM_PRODUCER = "vlm:"
FLUSH_SECONDS = 10.0
"""Results wait at most this long in memory before a write: every write refreshes the
model's derived structures (whole-model work), so writing each small batch would cost
quadratic time on a large dataset, while a crash loses at most this much work."""


class ResultWriter:
    """Buffers a run's results and writes them in chunks; a subclass says where."""

    name: str
    """The job result's ``name``: the prediction set, or the field(s) written."""

    def __init__(self, catalog: Catalog, dataset_id: int, options: PredictOptions) -> None:
        self.catalog, self.dataset_id, self.options = catalog, dataset_id, options
        self.unknown: Counter[str] = Counter()
        """Class names the model gave that the dataset lacks, with their counts."""
        self.ids: list[int] = []
        self.results: list[Any] = []
        self.predictions = 0
        """How many results are stored so far."""
        self.last = time.monotonic()

    def params(self) -> dict[str, Any]:
        """What the run adds to the job's parameters (two runs with the same are one run)."""
        return {}

    def state(self) -> tuple[Any, np.ndarray]:
        """``(the parameters of the run stored, or None; the sample ids it did)``."""
        raise NotImplementedError

    def start(self, params: dict[str, Any]) -> None:
        """Begin the run from nothing: what an earlier run stored here goes."""
        raise NotImplementedError

    def use_labels(self, labels: list[str], classes: list[str]) -> None:
        """The model's class names (``labels``), against the dataset's ``classes``."""

    def add(self, ids: list[int], results: list[Any]) -> None:
        """Keep one result message's results until the next write."""
        self.ids.extend(ids)
        self.results.extend(results)

    def flush(self, *, force: bool = False, seconds: float = FLUSH_SECONDS) -> None:
        """Write what is pending (now with ``force``, else once ``seconds`` have passed).
        The buffers are emptied first: a chunk whose write fails is not retried here (the
        job fails; the next run computes those samples again)."""
        if not self.ids or (not force and time.monotonic() - self.last < seconds):
            return
        ids, results = self.ids, self.results
        self.ids, self.results = [], []
        self.last = time.monotonic()
        self.write(ids, results)

    def write(self, ids: list[int], results: list[Any]) -> None:
        """Store one chunk, one transaction."""
        raise NotImplementedError


class PredictionSetWriter(ResultWriter):
    """Rows as a prediction set named after the run: boxes ``(sample_id, label, x, y, w,
    h, score)``, or with ``labels`` image labels ``(sample_id, label, score, scores)``."""

    def __init__(
        self, catalog: Catalog, dataset_id: int, options: PredictOptions, *, labels: bool
    ) -> None:
        super().__init__(catalog, dataset_id, options)
        self.name = options.run_name
        self.labels = labels
        self.mapping: dict[str, str] = {}

    def state(self) -> tuple[Any, np.ndarray]:
        state = model_run_state(self.catalog, self.options.dataset, self.name)
        return state.params, state.done

    def start(self, params: dict[str, Any]) -> None:
        start_model_run(self.catalog, self.dataset_id, self.name, self.options.model, params)

    def use_labels(self, labels: list[str], classes: list[str]) -> None:
        self.mapping = class_map(labels, classes)

    def add(self, ids: list[int], results: list[Any]) -> None:
        self.ids.extend(ids)
        for row in results:
            label = self.mapping.get(row[1])
            if label is None:
                self.unknown[row[1]] += 1
                label = row[1]
            self.results.append((row[0], label, *row[2:]))

    def write(self, ids: list[int], results: list[Any]) -> None:
        warnings = [unknown_class_warning(dict(self.unknown))] if self.unknown else []
        boxes = labels = None
        if self.labels:
            labels = _table(CLASSIFICATION_COLUMNS, results, _CLASSIFICATION_TYPES)
        else:
            boxes = _table(BOX_COLUMNS, results, _BOX_TYPES)
        self.predictions = append_model_predictions(
            self.catalog,
            self.dataset_id,
            self.name,
            np.asarray(ids, np.int64),
            boxes,
            labels,
            warnings=warnings,
        )


class TextWriter(ResultWriter):
    """One text per sample, the ``computed.caption`` field."""

    name = CAPTION
    producer = PRODUCER_PREFIX

    def fields(self) -> list[str]:
        """The computed fields the run writes."""
        return [CAPTION]

    def state(self) -> tuple[Any, np.ndarray]:
        return text_run_state(self.catalog, self.dataset_id, self.fields())

    def start(self, params: dict[str, Any]) -> None:
        producer = self.producer + self.options.run_name
        start_texts(self.catalog, self.dataset_id, self.fields(), producer, params)

    def columns(self, results: list[Any]) -> dict[str, list[Any]]:
        """The chunk's values per field."""
        return {CAPTION: results}

    def write(self, ids: list[int], results: list[Any]) -> None:
        append_texts(self.catalog, self.dataset_id, ids, self.columns(results))
        self.predictions += len(results) * len(self.fields())


class AnswersWriter(TextWriter):
    """A VLM's answers, one ``computed.vlm_<key>`` field per question (each question's
    field is registered first, so that it can be filtered on)."""

    name = "vlm"
    producer = VLM_PRODUCER

    def __init__(self, catalog: Catalog, dataset_id: int, options: PredictOptions) -> None:
        super().__init__(catalog, dataset_id, options)
        self.questions: tuple[Question, ...] = questions_of(
            {"questions": list(options.questions or ())}
        )

    def fields(self) -> list[str]:
        return [q.field for q in self.questions]

    def params(self) -> dict[str, Any]:
        return {"questions": [q.to_dict() for q in self.questions]}

    def state(self) -> tuple[Any, np.ndarray]:
        for question in self.questions:
            declare_question(question)
        return super().state()

    def columns(self, results: list[Any]) -> dict[str, list[Any]]:
        return {f: [row[i] for row in results] for i, f in enumerate(self.fields())}


_BOX_TYPES = (pa.int64(), pa.string(), *[pa.float64()] * 5)
_CLASSIFICATION_TYPES = (pa.int64(), pa.string(), pa.float64(), pa.string())


def _table(names: tuple[str, ...], rows: list[tuple[Any, ...]], types: tuple[Any, ...]) -> pa.Table:
    columns: list[Any] = list(zip(*rows, strict=True)) if rows else [[]] * len(names)
    return pa.table({n: pa.array(c, t) for n, c, t in zip(names, columns, types, strict=True)})
