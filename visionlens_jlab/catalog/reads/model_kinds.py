"""Which kind of predictions a model holds: label maps (semantic or panoptic masks, the
``label_map`` kind's table) or objects and image labels (every other label table of
:data:`~visionlens_jlab.records.label_kinds.LABEL_TABLES`).

One model name holds one kind on a dataset: its ``models`` row has one ``format``, and
evaluation picks its metrics by the kind (a model with label maps gets the semantic or
panoptic ones), so a name holding both would have one of them never evaluated. Every
writer of a model's predictions refuses the other kind through :func:`check_model_kind`
(called by :func:`~..writes.model_rows.record_model`, and earlier by the imports that can);
a catalog written before the rule may still hold both, which evaluation refuses through
:func:`check_single_kind`. What a name holds is its rows, or else the kind its ``models``
row's format records (:data:`FORMAT_KINDS`: a model run's row is written before any of its
predictions); a label edit writing objects or image labels under a model is held to the
same rule (:func:`check_edit_sources`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Literal

import duckdb

from ...formats import PREDICTION_FORMATS
from ...records.label_kinds import LABEL_TABLES, kind_named
from ..base.errors import CatalogError
from ..store.schema import GROUND_TRUTH

if TYPE_CHECKING:
    from ..store.catalog import Catalog

ModelKind = Literal["label maps", "objects"]
LABEL_MAPS: ModelKind = "label maps"
OBJECTS: ModelKind = "objects"

LABEL_MAP_TABLE = kind_named("label_map").table or ""
"""The table of a model's label maps (the ``label_map`` kind's, declared by its feature)."""

FORMAT_KINDS: dict[str, ModelKind] = {
    **{f.name: OBJECTS for f in PREDICTION_FORMATS},
    "model-run": OBJECTS,  # predict.model_runs' MODEL_RUN_FORMAT
    "semantic": LABEL_MAPS,  # semantic.ingest's SemanticSamples.format
    "coco-panoptic": LABEL_MAPS,  # semantic.records' PANOPTIC_LAYOUT
}
"""A ``models.format`` → the kind its writer records (the writers live above the catalog, so
their names are spelt here; a test holds them equal). Another format (a plugin's, an older
VisionLens') records no kind: only the model's rows tell."""

_NOUNS = {"annotations": "objects"}
"""How a message names a table's rows (an image kind's table: its own name, e.g.
``classifications``, said as image labels)."""


def table_kind(table: str) -> ModelKind:
    """The kind of predictions the rows of label table ``table`` are."""
    return LABEL_MAPS if table == LABEL_MAP_TABLE else OBJECTS


def label_counts(cur: duckdb.DuckDBPyConnection, dataset_id: int, name: str) -> dict[str, int]:
    """``name``'s rows in each label table of the dataset (tables without any left out)."""
    counts = " UNION ALL ".join(
        f"SELECT '{table}', COUNT(*) FROM {table} WHERE dataset_id = $d AND source = $s"  # noqa: S608 - declared table names
        for table in LABEL_TABLES
    )
    rows = cur.execute(counts, {"d": dataset_id, "s": name}).fetchall()
    return {str(table): int(n) for table, n in rows if n}


def kinds_by_model(cur: duckdb.DuckDBPyConnection, dataset_id: int) -> dict[str, set[ModelKind]]:
    """Every model of the dataset with a label row, and the kinds it holds (the ground
    truth left out: a dataset's own labels may be of both kinds)."""
    sources = " UNION ".join(
        f"SELECT DISTINCT source, '{table}' FROM {table} WHERE dataset_id = $d"  # noqa: S608 - declared table names
        for table in LABEL_TABLES
    )
    kinds: dict[str, set[ModelKind]] = {}
    for source, table in cur.execute(sources, {"d": dataset_id}).fetchall():
        if source != GROUND_TRUTH:
            kinds.setdefault(str(source), set()).add(table_kind(str(table)))
    return kinds


def describe(counts: dict[str, int], kind: ModelKind) -> str:
    """``counts``' rows of ``kind`` in words: ``3 objects and 2 classifications``."""
    words = [
        f"{n} {'label maps' if table == LABEL_MAP_TABLE else _NOUNS.get(table, table)}"
        for table, n in counts.items()
        if table_kind(table) == kind
    ]
    return " and ".join(words)


def objects_fix(dataset: str, name: str, counts: dict[str, int]) -> str:
    """How to take ``name``'s predictions of every kind off the dataset (its ``counts``
    unused: one command deletes objects, image labels and label maps alike)."""
    del counts
    return f"delete model {name!r} first (visionlens delete {dataset} --model {name} --yes)"


def _dataset_name(cur: duckdb.DuckDBPyConnection, dataset_id: int) -> str:
    rows = cur.execute("SELECT name FROM datasets WHERE dataset_id = ?", [dataset_id]).fetchall()
    return str(rows[0][0]) if rows else str(dataset_id)


def other_kind_held(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, name: str, kind: ModelKind
) -> str:
    """What model ``name`` holds of the other kind than ``kind`` on the dataset, in words
    (``holds 3 objects``), "" when nothing: its rows of that kind, else its ``models`` row
    when the row's format records that kind (a run started, no prediction written yet)."""
    other: ModelKind = OBJECTS if kind == LABEL_MAPS else LABEL_MAPS
    held = describe(label_counts(cur, dataset_id, name), other)
    if held:
        return f"holds {held}"
    rows = cur.execute(
        "SELECT format FROM models WHERE dataset_id = ? AND name = ?", [dataset_id, name]
    ).fetchall()
    recorded = str(rows[0][0]) if rows else ""
    if FORMAT_KINDS.get(recorded) != other:
        return ""
    noun = "label maps" if other == LABEL_MAPS else "objects or image labels"
    return f"is recorded as a model of {noun} (format {recorded!r}, none written yet)"


def check_model_kind(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, name: str, kind: ModelKind
) -> None:
    """Refuse (:class:`CatalogError`) to write predictions of ``kind`` as model ``name``
    when it holds or is recorded with predictions of the other kind on the dataset
    (:func:`other_kind_held`); the message names the dataset, the model, what it holds and
    how to import anyway. The same kind passes (an import again replaces it)."""
    held = other_kind_held(cur, dataset_id, name, kind)
    if not held:
        return
    dataset = _dataset_name(cur, dataset_id)
    what = "label maps" if kind == LABEL_MAPS else "objects or image labels"
    fixes = [f"import them under another --model name than {name!r}"]
    fixes.append(objects_fix(dataset, name, {}))
    raise CatalogError(
        f"cannot import {what} as model {name!r} on {dataset!r}: {name!r} already {held} "
        f"there, and one model holds one kind of prediction (evaluation picks its metrics by "
        f"the kind); {', or '.join(fixes)}"
    )


def check_edit_sources(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, sources: Iterable[str]
) -> None:
    """Refuse (:class:`CatalogError`) a label edit that writes objects or image labels under
    a model of ``sources`` holding label maps (the ground truth may hold both kinds); one
    read per model named, none for a batch of the ground truth alone."""
    for name in sorted(set(sources) - {GROUND_TRUTH}):
        held = other_kind_held(cur, dataset_id, name, OBJECTS)
        if held:
            dataset = _dataset_name(cur, dataset_id)
            raise CatalogError(
                f"cannot add or change objects or image labels of model {name!r} on "
                f"{dataset!r}: {name!r} {held} there, and one model holds one kind of "
                "prediction (evaluation picks its metrics by the kind); edit the ground "
                f"truth or a model of objects, or {objects_fix(dataset, name, {})}"
            )


def check_single_kind(cur: duckdb.DuckDBPyConnection, dataset_id: int, name: str) -> None:
    """Refuse (:class:`CatalogError`) to evaluate model ``name`` when it holds both kinds
    (written before :func:`check_model_kind` existed): which of them a request means cannot
    be told, and evaluating one silently would hide the other. The message says how to
    separate them."""
    counts = label_counts(cur, dataset_id, name)
    maps, objects = describe(counts, LABEL_MAPS), describe(counts, OBJECTS)
    if not (maps and objects):
        return
    dataset = _dataset_name(cur, dataset_id)
    delete = objects_fix(dataset, name, counts)
    raise CatalogError(
        f"model {name!r} on {dataset!r} holds both {maps} and {objects} (imported under one "
        "name by an earlier VisionLens), so which to evaluate cannot be told; separate them: "
        "import each kind again under a --model name of its own (semantic-predictions or "
        "panoptic-predictions for the label maps, the predictions import for the rest) and "
        f"evaluate those, or {delete} and import it again"
    )


def check_import(catalog: Catalog, dataset: str, name: str, kind: ModelKind) -> None:
    """:func:`check_model_kind` on a read of its own: what a request refuses before it
    queues the import's job (the writer checks again in its transaction)."""
    with catalog.cursor() as cur:
        check_model_kind(cur, catalog.dataset_id(cur, dataset), name, kind)
