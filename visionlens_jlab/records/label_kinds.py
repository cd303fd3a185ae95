"""The kinds of labels (boxes, masks, keypoints, image-level classifications), declared once.

``label_kinds.json`` (shipped with the package) describes each kind: its name, the label
type a view toggles and a model's counts name, its columns with their Arrow and DuckDB types,
the column whose NULL marks an object without it, its ``labels.type`` filter word and the
fields an answer's object is made of, and how evaluation compares objects by it. This
module reads it into typed :class:`LabelKind` values; the parsers' batch schema, the
catalog's label counts, the filter model, the label facets, the label reads, the edit
states and the evaluation's iou types use them instead of lists of their own, and the lab's
vocabularies (``src/api/labelKinds.ts``) are generated from the same file
(``docs/tools/label_kinds_ts.py``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import pyarrow as pa


@dataclass(frozen=True)
class LabelColumn:
    """One stored column of a kind."""

    name: str
    arrow_type: str
    """Its Arrow type's name: ``float64``, ``int32``, ``string`` or ``list<float64>``."""
    duckdb: str
    json: bool
    """Whether the catalog keeps JSON text (or a list) an answer carries as it is stored."""
    points: str | None = None
    """``xy``: a flat list of x, y pairs (scaled from fractions like a box); None: not points."""

    @property
    def arrow(self) -> pa.DataType:
        """Its Arrow type."""
        # pyarrow only where a schema is built: the CLI's parser reads the kinds at start
        import pyarrow as pa

        types = {"float64": pa.float64(), "int32": pa.int32(), "string": pa.string()}
        if self.arrow_type == "list<float64>":
            return pa.list_(pa.float64())
        return types[self.arrow_type]

    @property
    def field(self) -> pa.Field:
        """The column as an Arrow field (what a parser's batch carries)."""
        import pyarrow as pa

        return pa.field(self.name, self.arrow)


@dataclass(frozen=True)
class LabelKind:
    """One kind of label."""

    name: str
    """What the kind is called: ``box``, ``mask``, ``keypoints``, ``classification``."""
    label_type: str
    """What a view shows or hides and a model's ``label_types`` counts: ``boxes``, ..."""
    title: str
    scope: Literal["object", "image"]
    """``object``: columns of an object (``annotations``); ``image``: rows of its own table."""
    columns: tuple[LabelColumn, ...]
    presence: str | None
    """The column NULL exactly for an object without this kind (None: every object has it)."""
    filter_word: str | None
    """The ``labels.type`` word that keeps objects having this kind (None: not filterable)."""
    wire: dict[str, tuple[str, ...]]
    """An answer's field → the columns it is made of (one column: the value as stored)."""
    iou_type: str | None
    """How evaluation compares two objects by this kind (COCO's ``bbox``, ``segm``,
    ``keypoints``), None where it does not."""
    table: str | None = None
    """The table of an image kind."""

    def column(self, name: str) -> LabelColumn:
        """The kind's column ``name``."""
        return next(c for c in self.columns if c.name == name)


def _kind(entry: dict[str, Any]) -> LabelKind:
    columns = tuple(
        LabelColumn(c["name"], c["arrow"], c["duckdb"], bool(c.get("json")), c.get("points"))
        for c in entry["columns"]
    )
    return LabelKind(
        name=entry["name"],
        label_type=entry["label_type"],
        title=entry["title"],
        scope=entry["scope"],
        columns=columns,
        presence=entry["presence"],
        filter_word=entry["filter_word"],
        wire={field: tuple(cols) for field, cols in entry["wire"].items()},
        iou_type=entry["iou_type"],
        table=entry.get("table"),
    )


DESCRIPTION: dict[str, Any] = json.loads(
    resources.files(__package__).joinpath("label_kinds.json").read_text(encoding="utf-8")
)
"""``label_kinds.json`` as read."""

LABEL_KINDS: tuple[LabelKind, ...] = tuple(_kind(k) for k in DESCRIPTION["kinds"])
"""Every kind, in the order views list them."""

OBJECT_KINDS: tuple[LabelKind, ...] = tuple(k for k in LABEL_KINDS if k.scope == "object")
"""The kinds an object (a row of ``annotations``) may carry."""

LABEL_TABLES: tuple[str, ...] = (
    "annotations",
    *(k.table for k in LABEL_KINDS if k.scope == "image" and k.table),
)
"""The tables holding a source's labels (a ``source`` column each): ``annotations`` for every
object kind, then each image kind's own table; a model's predictions are its rows in them."""

LABEL_TYPES: tuple[str, ...] = tuple(k.label_type for k in LABEL_KINDS)
"""The label types, as a model's ``label_types`` counts and the lab's toggles name them."""

FILTER_WORDS: dict[str, LabelKind] = {k.filter_word: k for k in OBJECT_KINDS if k.filter_word}
"""``labels.type`` word → the kind it keeps objects of."""


IOU_KINDS: dict[str, LabelKind] = {k.iou_type: k for k in OBJECT_KINDS if k.iou_type}
"""Evaluation's iou type → the kind it compares objects by."""


def kind_named(name: str) -> LabelKind:
    """The kind called ``name`` (a :class:`KeyError` naming the kinds when there is none)."""
    for kind in LABEL_KINDS:
        if kind.name == name:
            return kind
    raise KeyError(f"no label kind {name!r}: one of {', '.join(k.name for k in LABEL_KINDS)}")


def presence_sql(kind: LabelKind, alias: str = "a") -> str:
    """SQL true for an object of ``alias`` (none: bare column names) that has ``kind``
    (``TRUE`` for a kind every object has)."""
    if kind.presence is None:
        return "TRUE"
    return f"{alias}.{kind.presence} IS NOT NULL" if alias else f"{kind.presence} IS NOT NULL"
