"""Which samples have an evaluated box of each (status, error type, source, label), for the
``eval`` label filter (:mod:`.eval_label_mask`), kept in the evaluation index
(:mod:`.eval_facet_index`).

Per combination, its samples are a packed bit set when they are more than 1/32 of the
dataset (smaller than their positions then: at 1M images the 599K samples of "FN of a
ground-truth cat" are 125 KB of bits against 2.4 MB of positions, and OR-ing bits is
cheaper than setting 599K mask entries), else their distinct positions. Each (status,
error type, source) group also has its bit set: a filter without classes (the multi-pick
wider filter of a class pick) takes whole groups, not their label runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..catalog.indexes.box_index import SampleSet


@dataclass(frozen=True)
class Matches:
    """The samples of the existing boxes of every (status, error type, source, label)
    combination of one evaluation (a box row whose box is gone matches no filter)."""

    n: int  # samples of the dataset
    status: np.ndarray  # code per combination
    error: np.ndarray
    source: np.ndarray
    label: np.ndarray
    values: dict[str, list[str | None]]  # "status" / "error" / "source" / "label": per code
    dense: np.ndarray  # per combination, its row of ``bits`` (-1: it has positions)
    bits: np.ndarray  # packed bit sets (little), one row per dense combination
    starts: np.ndarray  # combination k's positions: positions[starts[k]:starts[k + 1]]
    positions: np.ndarray  # int32 sample positions of the other combinations
    group: np.ndarray  # per combination, its (status, error type, source) group
    group_bits: np.ndarray  # per group, the packed bits (little) of its samples

    @property
    def nbytes(self) -> int:
        """Memory held."""
        arrays = (self.status, self.error, self.source, self.label, self.dense, self.bits,
                  self.starts, self.positions, self.group, self.group_bits)  # fmt: skip
        return sum(a.nbytes for a in arrays)

    def mask(self, chosen: np.ndarray, whole_groups: bool) -> np.ndarray:
        """The samples of the ``chosen`` combinations (bool per combination), as a bool
        mask; ``whole_groups``: every combination of a chosen one's group is chosen."""
        picked = np.flatnonzero(chosen)
        if whole_groups:
            rows, sparse = self.group_bits[np.unique(self.group[picked])], picked[:0]
        else:
            rows = self.bits[self.dense[picked][self.dense[picked] >= 0]]
            sparse = picked[self.dense[picked] < 0]
        if len(rows):
            bits = np.bitwise_or.reduce(rows, axis=0)
            out = np.unpackbits(bits, count=self.n, bitorder="little").view(bool)
        else:
            out = np.zeros(self.n, dtype=bool)
        for k in sparse.tolist():
            out[self.positions[self.starts[k] : self.starts[k + 1]]] = True
        return out

    def without(self, positions: np.ndarray, sources: list[str] | None) -> Matches:
        """These matches once the boxes of ``sources`` (None: every source) on the samples
        at ``positions`` were replaced: their evaluated rows name no box any more, so those
        samples leave every combination of those sources (a copy; the rest is shared)."""
        values = self.values["source"]
        codes = [
            c for c, v in enumerate(values) if v is not None and (sources is None or v in sources)
        ]
        hit = np.isin(self.source, codes)
        bits, group_bits = self.bits.copy(), self.group_bits.copy()
        byte, bit = positions >> 3, (1 << (positions & 7)).astype(np.uint8)
        for k in np.flatnonzero(hit & (self.dense >= 0)).tolist():
            np.bitwise_and.at(bits[self.dense[k]], byte, ~bit)  # .at: bytes may repeat
        for g in np.unique(self.group[hit]).tolist():  # a group is one source: all of it goes
            np.bitwise_and.at(group_bits[g], byte, ~bit)
        sparse = np.repeat(hit & (self.dense < 0), np.diff(self.starts))
        drop = sparse & np.isin(self.positions, positions)
        kept = np.cumsum(np.concatenate([[0], ~drop]))
        return Matches(
            self.n, self.status, self.error, self.source, self.label, self.values, self.dense,
            bits, kept[self.starts], self.positions[~drop], self.group, group_bits,
        )  # fmt: skip

    def with_rows(self, rows: pa.Table, samples: SampleSet) -> Matches | None:
        """These matches with the combinations of ``rows`` added (:func:`build_matches`'
        columns, ``status`` and ``error_type`` as text): the rows of samples that
        :meth:`without` took out, as they are now (a copy; None: a sample ``samples``
        does not hold)."""
        present = rows.column("box_sample").is_valid().to_numpy(zero_copy_only=False)
        rows = rows.filter(pa.array(present))
        pos = samples.positions(np.asarray(rows.column("box_sample").to_numpy(), np.int64))
        if pos is None:
            return None
        values = {name: list(table) for name, table in self.values.items()}
        codes = []
        for name, column in (("status", "status"), ("error", "error_type"),
                             ("source", "source"), ("label", "label")):  # fmt: skip
            code_of = {v: c for c, v in enumerate(values[name])}
            for v in rows.column(column).to_pylist():
                code_of.setdefault(v, len(values[name]))
                if code_of[v] == len(values[name]):
                    values[name].append(v)
            codes.append([code_of[v] for v in rows.column(column).to_pylist()])
        combos = [list(map(int, a)) for a in (self.status, self.error, self.source, self.label)]
        known = {c: k for k, c in enumerate(zip(*combos, strict=True))}
        groups = {c[:3]: int(g) for c, g in zip(known, self.group.tolist(), strict=True)}
        dense, group = list(map(int, self.dense)), list(map(int, self.group))
        lists = [self.positions[self.starts[k] : self.starts[k + 1]] for k in range(len(dense))]
        bits, group_bits = self.bits.copy(), list(self.group_bits)
        added: dict[tuple[int, ...], list[int]] = {}
        for combo, at in zip(zip(*codes, strict=True), pos.tolist(), strict=True):
            added.setdefault(combo, []).append(at)
        for combo, at_list in added.items():
            at = np.unique(np.asarray(at_list, dtype=np.int64))
            k = known.get(combo)
            if k is None:  # a combination new to the index: its positions, its group's bits
                k = known[combo] = len(dense)
                for codes_of_part, code in zip(combos, combo, strict=True):
                    codes_of_part.append(code)
                if combo[:3] not in groups:
                    groups[combo[:3]] = len(group_bits)
                    group_bits.append(np.zeros((self.n + 7) // 8, np.uint8))
                dense.append(-1)
                group.append(groups[combo[:3]])
                lists.append(np.zeros(0, np.int32))
            byte, bit = at >> 3, (1 << (at & 7)).astype(np.uint8)
            if dense[k] >= 0:
                np.bitwise_or.at(bits[dense[k]], byte, bit)
            else:
                lists[k] = np.union1d(lists[k], at).astype(np.int32)
            group_bits[group[k]] = group_bits[group[k]].copy()
            np.bitwise_or.at(group_bits[group[k]], byte, bit)
        starts = np.zeros(len(lists) + 1, dtype=np.int64)
        np.cumsum([len(p) for p in lists], out=starts[1:])
        stacked = np.stack(group_bits) if group_bits else self.group_bits
        status, error, source, label = (np.asarray(c, dtype=np.int64) for c in combos)
        return Matches(
            self.n, status, error, source, label, values,
            np.asarray(dense, np.int32), bits, starts,
            np.concatenate([np.zeros(0, np.int32), *lists]).astype(np.int32),
            np.asarray(group, np.int32), stacked,
        )  # fmt: skip


def codes_of(column: Any) -> tuple[np.ndarray, list[str | None]]:
    """Codes of a text column and the value of each code (NULL's code is the last)."""
    chunked = column.combine_chunks() if hasattr(column, "combine_chunks") else column
    encoded = pc.dictionary_encode(chunked)
    values: list[str | None] = encoded.dictionary.to_pylist()
    codes = encoded.indices.fill_null(len(values)).to_numpy(zero_copy_only=False)
    values.append(None)  # the code of NULL (never counted), present or not
    return codes.astype(np.min_scalar_type(len(values))), values  # 1 byte a box


def build_matches(
    rows: pa.Table,
    status: np.ndarray,
    status_values: list[str | None],
    error: np.ndarray,
    error_values: list[str | None],
    samples: SampleSet,
) -> Matches | None:
    """The matches of an evaluation's rows (columns ``box_sample``, ``source``, ``label``:
    the box each row names now, NULL if gone; ``status`` and ``error``: their codes); None
    when a box's sample is not in ``samples``, or no int64 key holds the combinations."""
    present = rows.column("box_sample").is_valid().to_numpy(zero_copy_only=False)
    box_ids = rows.column("box_sample").filter(pa.array(present)).to_numpy()
    pos = samples.positions(np.asarray(box_ids, dtype=np.int64))
    if pos is None:
        return None
    source, source_values = codes_of(rows.column("source").filter(pa.array(present)))
    label, label_values = codes_of(rows.column("label").filter(pa.array(present)))
    sizes = [len(status_values), len(error_values), len(source_values), len(label_values)]
    n = max(samples.n, 1)
    if int(np.prod(sizes, dtype=object)) * n >= 2**62:
        return None  # never at real vocabularies: the SQL answers
    combo = status[present].astype(np.int64)
    for codes, size in ((error[present], sizes[1]), (source, sizes[2]), (label, sizes[3])):
        combo = combo * size + codes
    keys = np.sort(combo * n + pos)  # (np.unique hashes first: 7x slower at 5M)
    keys = keys[np.diff(keys, prepend=-1) != 0]  # a position once per combination
    combos, positions = np.divmod(keys, n)
    starts = np.flatnonzero(np.diff(combos, prepend=-1))
    bounds = np.append(starts, len(keys))
    first, label_code = np.divmod(combos[starts], sizes[3])
    first, source_code = np.divmod(first, sizes[2])
    status_code, error_code = np.divmod(first, sizes[1])
    grouped = (status_code * sizes[1] + error_code) * sizes[2] + source_code
    group = np.cumsum(np.diff(grouped, prepend=-1) != 0) - 1
    group_bits = np.zeros((int(group[-1]) + 1 if len(group) else 0, (n + 7) // 8), np.uint8)
    big = 32 * np.diff(bounds) > samples.n
    dense = np.where(big, np.cumsum(big) - 1, -1)
    bits = np.zeros((int(big.sum()), (n + 7) // 8), np.uint8)
    group_bounds = np.append(np.flatnonzero(np.diff(group, prepend=-1)), len(starts))
    for g in range(len(group_bits)):
        members = np.zeros(n, dtype=bool)
        for k in range(group_bounds[g], group_bounds[g + 1]):
            chunk = positions[bounds[k] : bounds[k + 1]]
            if big[k]:
                alone = np.zeros(n, dtype=bool)
                alone[chunk] = True
                bits[dense[k]] = np.packbits(alone, bitorder="little")
            members[chunk] = True
        group_bits[g] = np.packbits(members, bitorder="little")
    kept = np.repeat(~big, np.diff(bounds))  # the positions of the sparse combinations
    sparse_starts = np.append(0, np.cumsum(np.where(big, 0, np.diff(bounds))))
    return Matches(
        samples.n, status_code, error_code, source_code, label_code,
        {"status": status_values, "error": error_values, "source": source_values,
         "label": label_values},
        dense.astype(np.int32), bits, sparse_starts, positions[kept].astype(np.int32),
        group.astype(np.int32), group_bits,
    )  # fmt: skip
