"""Objects as whole states, read and written set-wise inside the edit transaction.

A state is a dict of every column of the object's ``annotations`` row plus its ``tags``
(from ``object_tags``). An operation's log row keeps the state before and after it, so an
undo, a redo and a restore write states back exactly (masks, keypoints and attributes
included). Writes are set-based (Arrow tables joined by ``ann_id``), so a bulk edit of 100K
objects is a few statements, not 100K.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb
import pyarrow as pa

from ..catalog.tables.classification_log import CLASSIFICATION_LOG
from ..catalog.tables.sample_tag_log import TAG_LOG, log_batch, log_position
from ..catalog.writes.sample_labels import adjust_box_count
from ..records.label_kinds import OBJECT_KINDS, LabelKind

State = dict[str, Any]

_OBJECT_ROW = [
    ("ann_id", pa.int64()), ("sample_id", pa.int64()), ("source", pa.string()),
    ("label", pa.string()), ("score", pa.float64()), ("area", pa.float64()),
    ("iscrowd", pa.bool_()), ("difficult", pa.bool_()), ("source_ann_id", pa.string()),
    ("attributes", pa.string()), ("track_id", pa.int64()),
]  # fmt: skip
"""An object's own columns (``track_id``: its video track, schema step 20); its labels'
columns come from the kinds' declarations."""
_SCHEMA = pa.schema(
    [*_OBJECT_ROW, *(column.field for kind in OBJECT_KINDS for column in kind.columns)]
)
COLUMNS = tuple(_SCHEMA.names)
"""Every column of an object's state (its ``annotations`` row), ``tags`` aside."""
_JSON_COLUMNS = {"attributes"} | {
    column.name for kind in OBJECT_KINDS for column in kind.columns if column.duckdb == "JSON"
}

WITHOUT_LABELS: State = {
    column.name: None for kind in OBJECT_KINDS if kind.presence for column in kind.columns
}
"""The state's columns of the kinds a new box does not have (a mask, keypoints, ...)."""


def logged_state(text: str | None) -> State | None:
    """A state as the operation log holds it (JSON text; None: no object), with every
    column it lacks as None: a state logged before a column existed (a kind's, the track
    id of step 20) is of an object that had none, and compares equal to its row now."""
    return None if text is None else {**dict.fromkeys(COLUMNS), **json.loads(text)}


def held_kinds(state: State) -> list[LabelKind]:
    """The kinds beyond the box that the object of ``state`` has."""
    return [k for k in OBJECT_KINDS if k.presence and state.get(k.presence) is not None]


@dataclass(frozen=True)
class Step:
    """One operation on one object: its state before and after (None: absent)."""

    op: str
    ann_id: int
    before: State | None
    after: State | None

    def inverse(self) -> Step:
        """The step that takes the object back."""
        return Step(self.op, self.ann_id, self.after, self.before)

    @property
    def sample_id(self) -> int:
        return int((self.after or self.before or {})["sample_id"])

    @property
    def source(self) -> str:
        return str((self.after or self.before or {})["source"])


def read_states(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, ann_ids: Iterable[int]
) -> dict[int, State]:
    """The current state of each of ``ann_ids`` that exists in the dataset."""
    ids = pa.table({"ann_id": pa.array(sorted(set(ann_ids)), pa.int64())})
    cols = ", ".join(f"a.{c}" for c in COLUMNS)
    cur.register("_vl_edit_read", ids)
    try:
        rows = cur.execute(
            f"""
            SELECT {cols}, t.tags FROM annotations a
            JOIN _vl_edit_read r ON r.ann_id = a.ann_id
            LEFT JOIN object_tags t ON t.dataset_id = a.dataset_id AND t.ann_id = a.ann_id
            WHERE a.dataset_id = ?
            """,  # noqa: S608 - fixed column names
            [dataset_id],
        ).fetchall()
    finally:
        cur.unregister("_vl_edit_read")
    out = {}
    for row in rows:
        state = dict(zip(COLUMNS, row[:-1], strict=True))
        state["tags"] = sorted(row[-1] or [])
        out[int(state["ann_id"])] = state
    return out


def net_changes(steps: Sequence[Step]) -> dict[int, tuple[State | None, State | None]]:
    """Per object, its state before the first step and after the last."""
    out: dict[int, tuple[State | None, State | None]] = {}
    for step in steps:
        first = out[step.ann_id][0] if step.ann_id in out else step.before
        out[step.ann_id] = (first, step.after)
    return out


def write_states(
    cur: duckdb.DuckDBPyConnection,
    dataset_id: int,
    net: dict[int, tuple[State | None, State | None]],
) -> tuple[set[int], set[str]]:
    """Make each object of ``net`` its ``after`` state (delete it when None); keep the box
    counts of the dataset and the models; return the samples and sources whose boxes
    changed (tags alone change no box)."""
    boxes = {
        ann: (before, after)
        for ann, (before, after) in net.items()
        if _untagged(before) != _untagged(after)
    }
    samples: set[int] = set()
    delta: dict[str, int] = {}
    for before, after in boxes.values():
        for state, sign in ((before, -1), (after, 1)):
            if state is not None:
                samples.add(int(state["sample_id"]))
                delta[state["source"]] = delta.get(state["source"], 0) + sign
    _replace(cur, dataset_id, "annotations", boxes, _annotation_rows)
    _replace(cur, dataset_id, "object_tags", net, _tag_rows)
    for source, change in delta.items():
        if change:
            adjust_box_count(cur, dataset_id, source, change)
    return samples, set(delta)


def _untagged(state: State | None) -> State | None:
    return None if state is None else {k: v for k, v in state.items() if k != "tags"}


def _annotation_rows(dataset_id: int, afters: list[State]) -> tuple[pa.Table, str]:
    # a state logged before a kind was declared lacks its columns: the object had none
    table = pa.Table.from_pylist([{c: s.get(c) for c in COLUMNS} for s in afters], schema=_SCHEMA)
    cols = ", ".join(COLUMNS)
    picked = ", ".join(f"CAST({c} AS JSON)" if c in _JSON_COLUMNS else c for c in COLUMNS)
    return table, (
        f"INSERT INTO annotations ({cols}, dataset_id) "  # noqa: S608 - fixed column names
        f"SELECT {picked}, {int(dataset_id)} FROM _vl_edit_rows"
    )


def _tag_rows(dataset_id: int, afters: list[State]) -> tuple[pa.Table, str]:
    tagged = [s for s in afters if s.get("tags")]
    table = pa.table(
        {
            "ann_id": pa.array([s["ann_id"] for s in tagged], pa.int64()),
            "tags": pa.array([s["tags"] for s in tagged], pa.list_(pa.string())),
        }
    )
    return table, (
        f"INSERT INTO object_tags SELECT {int(dataset_id)}, ann_id, tags FROM _vl_edit_rows"  # noqa: S608 - an int
    )


def _replace(
    cur: duckdb.DuckDBPyConnection,
    dataset_id: int,
    table: str,
    net: dict[int, tuple[State | None, State | None]],
    rows: Any,
) -> None:
    """Delete the rows of ``net``'s objects from ``table`` and insert their after states."""
    if not net:
        return
    ids = pa.table({"ann_id": pa.array(sorted(net), pa.int64())})
    cur.register("_vl_edit_ids", ids)
    try:
        cur.execute(
            f"DELETE FROM {table} WHERE dataset_id = ? "  # noqa: S608 - a fixed table name
            "AND ann_id IN (SELECT ann_id FROM _vl_edit_ids)",
            [dataset_id],
        )
    finally:
        cur.unregister("_vl_edit_ids")
    afters = [after for _, after in net.values() if after is not None]
    new, sql = rows(dataset_id, afters)
    if new.num_rows:
        cur.register("_vl_edit_rows", new)
        try:
            cur.execute(sql)
        finally:
            cur.unregister("_vl_edit_rows")


def _box(state: State | None) -> list[float] | None:
    return None if state is None else [state["x"], state["y"], state["w"], state["h"]]


def _json(state: State | None) -> str | None:
    return None if state is None else json.dumps(state, sort_keys=True)


def log_steps(
    cur: duckdb.DuckDBPyConnection,
    dataset_id: int,
    batch: tuple[int, str, int | None],
    steps: Sequence[Step],
    when: datetime,
    user: str,
    tags: pa.Table | None = None,
    image_labels: pa.Table | None = None,
) -> tuple[int, int]:
    """Append ``steps``, then the change of sample tags ``tags`` and the change of image
    labels ``image_labels`` (if any) to the operation log as batch ``(id, kind, target)``;
    return the first and last ``seq``."""
    batch_id = batch[0]
    first = log_position(cur, dataset_id) + 1

    def column(pick: Any, kind_: pa.DataType) -> pa.Array:
        return pa.array([pick(s) for s in steps], kind_)

    table = pa.table(
        {
            "seq": pa.array(range(first, first + len(steps)), pa.int64()),
            "op": column(lambda s: s.op, pa.string()),
            "ann_id": column(lambda s: s.ann_id, pa.int64()),
            "sample_id": column(lambda s: s.sample_id, pa.int64()),
            "source": column(lambda s: s.source, pa.string()),
            "label_before": column(lambda s: s.before and s.before["label"], pa.string()),
            "label_after": column(lambda s: s.after and s.after["label"], pa.string()),
            "box_before": column(lambda s: _box(s.before), pa.list_(pa.float64())),
            "box_after": column(lambda s: _box(s.after), pa.list_(pa.float64())),
            "tags_before": column(lambda s: s.before and s.before["tags"], pa.list_(pa.string())),
            "tags_after": column(lambda s: s.after and s.after["tags"], pa.list_(pa.string())),
            "before": column(lambda s: _json(s.before), pa.string()),
            "after": column(lambda s: _json(s.after), pa.string()),
        }
    )
    if steps:
        cur.register("_vl_edit_log", table)
        try:
            cur.execute(
                """
                INSERT INTO edit_ops SELECT ?, seq, ?, op, ann_id, sample_id, source,
                    label_before, label_after, box_before, box_after, tags_before, tags_after,
                    CAST(before AS JSON), CAST(after AS JSON), ?, ?
                FROM _vl_edit_log
                """,
                [dataset_id, batch_id, when, user],
            )
        finally:
            cur.unregister("_vl_edit_log")
    last = first + len(steps) - 1
    if tags is not None:
        last = TAG_LOG.append(cur, dataset_id, batch_id, last + 1, tags)
    if image_labels is not None:
        last = CLASSIFICATION_LOG.append(cur, dataset_id, batch_id, last + 1, image_labels)
    log_batch(cur, dataset_id, batch, (first, last), when, user)
    return first, last
