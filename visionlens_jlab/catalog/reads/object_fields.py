"""An object's label fields in an answer, read by column name from the kinds' declarations.

Each object kind (:mod:`~visionlens_jlab.records.label_kinds`) names its columns and the
answer fields made of them; a read selects :func:`kind_columns` and :class:`KindFields`
puts each kind's fields on the object, only for objects that have that kind. No read
indexes a kind's columns by position, so a new kind is a declaration, not an edit here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ...records.label_kinds import OBJECT_KINDS, LabelColumn


def _selected(column: LabelColumn, alias: str, as_text: bool) -> str:
    """One column in a select list: JSON (and lists) as text when ``as_text``."""
    name = f"{alias}.{column.name}"
    if as_text and column.json:
        text = f"{name}::VARCHAR" if column.duckdb == "JSON" else f"to_json({name})::VARCHAR"
        return f"{text} AS {column.name}"
    return name


def kind_columns(alias: str = "a", *, as_text: bool = False) -> str:
    """The select list of every object kind's columns of ``alias`` (by their own names).
    ``as_text``: JSON and list columns as JSON text, for answers that pass the stored text
    on without parsing it (:class:`orjson.Fragment`)."""
    return ", ".join(
        _selected(column, alias, as_text) for kind in OBJECT_KINDS for column in kind.columns
    )


class KindFields:
    """Puts the kinds' answer fields on objects read with :func:`kind_columns`.

    ``names``: the result's column names; ``decode`` turns a stored JSON value (text, or a
    list) into what the answer carries (an :class:`orjson.Fragment`, or the parsed value).
    """

    def __init__(self, names: Sequence[str], decode: Callable[[Any], Any]) -> None:
        position = {name: i for i, name in enumerate(names)}
        self._decode = decode
        self._kinds = [
            (
                None if kind.presence is None else position[kind.presence],
                [
                    (field, [position[c] for c in cols], kind.column(cols[0]).json)
                    for field, cols in kind.wire.items()
                ],
            )
            for kind in OBJECT_KINDS
        ]

    def add(self, obj: dict[str, Any], row: Sequence[Any]) -> None:
        """Set the fields of every kind ``row``'s object has on ``obj``."""
        for presence, fields in self._kinds:
            if presence is not None and row[presence] is None:
                continue
            for field, at, is_json in fields:
                if len(at) > 1:
                    obj[field] = [row[i] for i in at]
                    continue
                value = row[at[0]]
                obj[field] = self._decode(value) if is_json and value is not None else value
