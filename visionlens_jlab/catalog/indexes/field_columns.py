"""The field index (:mod:`.field_index`) of a dataset held in memory as numpy columns.

A filtered facets request counted its ``fields.<key>`` facets with a SQL semi-join of
``field_values`` with the filtered ids (:mod:`.field_facets`: 18-81 ms at 1M images), and a
``fields.<key>`` filter read its ids through ``field_values`` (22 ms). ``field_values``
changes only with ingest, so this module keeps, per dataset and key:

* the code of every sample's value, in ascending sample id order (the positions of the
  box index's :class:`~.box_index.SampleSet`), with one code for "no value" (a sample
  without a row: the JSON path's NULL), in the smallest unsigned dtype;
* the distinct texts as one Arrow string array (compact even when every sample has its
  own value), sorted in byte order, which is DuckDB's VARCHAR order: the codes sort like
  the texts and "no value" (the last code) like ``NULLS LAST``, so ties of the SQL's
  ``ORDER BY n DESC, sv NULLS LAST`` are broken by the code alone;
* each text's number, exactly ``field_values.num`` (DuckDB's ``TRY_CAST``), and whether it
  has one.

A facet is then a ``bincount`` of the mask's codes (of the complement's, subtracted from
the dataset's totals, when the mask holds more than half the samples), and a filter's mask
a test over the distinct texts mapped back through the codes: no Python loop over values,
so a key with a value per sample stays fast, and only the (at most 200) texts shown are
turned into Python strings. The numbers are the SQL's: the same range and bin arithmetic
in float64, and anything whose SQL result is not plain (NaN or infinite numbers, text
comparisons needing Unicode case folding, a boolean cast that could fail) answers None so
that the caller keeps the SQL.

**Validity** is the box index's: the columns are labelled with the ``facet_parts`` token
(part ``index``) read in the same read transaction as their rows. Every write that changes
samples renews or drops that token (:mod:`.box_index`), and ``field_values`` changes only
with such writes (ingest), so columns whose token equals the current one hold the current
rows. A label edit moves the token without changing a sample: the registry of derived
structures relabels the held columns then (:func:`relabel_held`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..base.mask_counts import bin_width
from ..query.filter_model import Condition
from ..sql.facet_sql import FACET_HISTOGRAM_BINS, MAX_CATEGORICAL_VALUES
from ..store.catalog import Catalog
from ..store.token_cache import TokenCache, token_snapshot
from ..tables.field_index import needs_rows
from .box_index import SampleSet
from .index_warmer import register_warmer

Numeric = Callable[[str, int, Any, Any, dict[int, int]], dict[str, Any]]

_KEPT_DATASETS = 2
"""Datasets whose columns a catalog keeps (most recently built last)."""

_FEW_CODES = 8
"""A filter selecting (or leaving out) at most this many codes compares the codes with each
(about 20 us per code at 1M samples) instead of a gather through a code table (0.5 ms)."""

_LOOPED_CODES = 12
"""A key of at most this many texts is counted with one comparison of the codes per text
(about 70 us each at 1M samples, whatever the mask); past it, the mask's codes are
gathered and counted by ``bincount`` (1-2 ms a key, by the mask's size)."""

_TRUE_TEXTS = ["true", "t", "yes", "y", "1"]
_FALSE_TEXTS = ["false", "f", "no", "n", "0"]
"""The texts DuckDB casts to a BOOLEAN (any ASCII case); any other text is a cast error."""


@dataclass(frozen=True)
class KeyColumn:
    """One key's values: a code per sample, the texts and numbers per code."""

    codes: np.ndarray  # per sample position; ``none`` (== len(texts)): no value
    texts: pa.Array  # distinct texts, byte order (DuckDB's VARCHAR order)
    nums: np.ndarray  # float64 per text: its ``num`` (NaN where it has none)
    has_num: np.ndarray  # bool per text: ``num IS NOT NULL``
    totals: np.ndarray  # samples per code over the dataset
    ascii: bool  # every text is ASCII: ``lower`` is the same in DuckDB and Arrow

    @property
    def none(self) -> int:
        """The code of "no value"."""
        return len(self.nums)


@dataclass(frozen=True)
class FieldColumns:
    """A dataset's field index as columns, valid for the rows of ``token``."""

    token: str
    n: int  # samples of the dataset
    keys: dict[str, KeyColumn]

    def column(self, key: str) -> KeyColumn:
        """The column of ``key`` (without a value in every sample if it has no row)."""
        found = self.keys.get(key)
        if found is not None:
            return found
        none = np.zeros(0)
        return KeyColumn(
            np.zeros(self.n, np.uint8), pa.array([], pa.string()), none, none.astype(bool),
            np.array([self.n]), True,
        )  # fmt: skip

    def entries(self, keys: list[str], mask: np.ndarray, numeric: Numeric) -> list[dict[str, Any]]:
        """The ``fields.<key>`` facets of ``keys`` (in order) over the samples of ``mask``:
        exactly :func:`.field_facets.field_facet_entries` over them."""
        total = int(np.count_nonzero(mask))
        complement = 2 * total > self.n  # fewer samples to gather: the rest's
        rows: np.ndarray | None = None
        out = []
        for key in keys:
            col = self.column(key)
            if col.none <= _LOOPED_CODES:
                counts = _looped_counts(col, mask, total)
            else:
                if rows is None:
                    rows = np.flatnonzero(~mask if complement else mask)
                counts = np.bincount(col.codes.take(rows), minlength=col.none + 1)
                counts = col.totals - counts if complement else counts
            out.append(_entry(f"fields.{key}", col, counts, numeric))
        return out

    def mask(self, key: str, cond: Condition) -> np.ndarray | None:
        """The samples meeting the parsed ``fields.<key>`` condition ``cond`` (a boolean
        mask), with the semantics of :func:`.filters.field_rows_sql`; None for a condition
        this does not answer exactly (the caller keeps the SQL)."""
        col = self.column(key)
        keep = np.ones(col.none, dtype=bool)  # per text: meets every part
        tested = False
        for op, value in cond.ops:
            if op in ("min", "max") and value is None:
                continue  # no condition (as in the SQL)
            part = _text_test(col, op, value)
            if part is None:
                return None
            keep &= part
            tested = True
        if not tested:
            return np.ones(self.n, dtype=bool)
        if needs_rows(cond.ops):  # the samples with a value that meets the parts
            return _samples_of(col.codes, np.append(keep, False))
        return col.codes == col.none  # is_null: the samples without a value


def _looped_counts(col: KeyColumn, mask: np.ndarray, total: int) -> np.ndarray:
    """Samples per code over ``mask``, one comparison per text code (no gather)."""
    counts = np.empty(col.none + 1, dtype=np.int64)
    hit = np.empty(len(mask), dtype=bool)
    for code in range(col.none):
        np.equal(col.codes, code, out=hit)
        hit &= mask
        counts[code] = np.count_nonzero(hit)
    counts[col.none] = total - int(counts[:-1].sum())
    return counts


def _entry(name: str, col: KeyColumn, counts: np.ndarray, numeric: Numeric) -> dict[str, Any]:
    """The facet of the value counts ``counts`` (per code): numeric when every value shown
    has a finite number (the SQL's ``n_text > 0 AND n_text = n``), else its top values."""
    per_text = counts[:-1]
    present = np.flatnonzero(per_text)
    # numbers for facets are finite ones (facet_sql's JSON kind): "nan" and "inf" are texts
    if len(present) and bool(np.isfinite(col.nums[present]).all()):
        values, n = col.nums[present], per_text[present]
        lo, hi = float(values.min()), float(values.max())
        width = bin_width(lo, hi, FACET_HISTOGRAM_BINS)
        last = FACET_HISTOGRAM_BINS - 1
        with np.errstate(over="ignore"):  # x - lo past the largest double: the last bin
            quotient = (values - lo) / width
            bins = np.where(np.isfinite(quotient), np.minimum(np.floor(quotient), last), last)
        hist = np.bincount(bins.astype(np.int64), weights=n, minlength=FACET_HISTOGRAM_BINS)
        found = {b: int(c) for b, c in enumerate(hist.tolist()) if c}
        return numeric(name, int(n.sum()), lo, hi, found)
    return {"name": name, "type": "categorical", "values": _top_values(col, counts)}


def _top_values(col: KeyColumn, counts: np.ndarray) -> list[dict[str, Any]]:
    """The most frequent values (ties by text, no value last), at most 200."""
    present = np.flatnonzero(counts)
    if len(present) > MAX_CATEGORICAL_VALUES:
        n = counts[present]
        cut = len(n) - MAX_CATEGORICAL_VALUES
        last = np.partition(n, cut)[cut]  # the count of the 200th value
        above = present[n > last]
        ties = present[n == last][: MAX_CATEGORICAL_VALUES - len(above)]  # lowest codes
        present = np.concatenate([above, ties])
    chosen = present[np.lexsort((present, -counts[present]))]
    texts = iter(col.texts.take(pa.array(chosen[chosen < col.none])).to_pylist())
    return [
        {"value": None if code == col.none else next(texts), "count": int(counts[code])}
        for code in chosen.tolist()
    ]


def _samples_of(codes: np.ndarray, chosen: np.ndarray) -> np.ndarray:
    """The mask of the samples whose code is chosen (``chosen``: a bool per code)."""
    picked = np.flatnonzero(chosen)
    if len(picked) <= _FEW_CODES:
        out = np.zeros(len(codes), dtype=bool)
        for code in picked.tolist():
            out |= codes == code
        return out
    left = np.flatnonzero(~chosen)
    if len(left) <= _FEW_CODES:
        out = np.ones(len(codes), dtype=bool)
        for code in left.tolist():
            out &= codes != code
        return out
    return chosen.take(codes)


def _text_test(col: KeyColumn, op: str, value: Any) -> np.ndarray | None:
    """Per distinct text, whether it meets one parsed operator (filters' ``_condition``
    over the index: ``a.text`` and ``a.num``); None when not answered exactly here."""
    if op == "is_null":
        return np.full(col.none, not value, dtype=bool)
    if op == "in":  # texts already, booleans as true / false
        return _bools(pc.is_in(col.texts, value_set=pa.array(list(value), pa.string())))
    if op == "eq" and isinstance(value, bool):
        return _cast_to_boolean(col, value)
    if op == "eq" and isinstance(value, float):
        if math.isnan(value):
            return None  # DuckDB's NaN equals NaN
        return col.has_num & (col.nums == value)
    if op == "eq" and isinstance(value, str):
        return _bools(pc.equal(col.texts, value))
    if op in ("min", "max") and isinstance(value, float):
        nan = np.isnan(col.nums)  # DuckDB orders NaN above every number
        with np.errstate(invalid="ignore"):
            if op == "min":
                return col.has_num & ((col.nums >= value) | nan)
            return col.has_num & (col.nums <= value) & ~nan
    if op == "contains" and isinstance(value, str) and col.ascii:  # lower case already
        return _bools(pc.match_substring(pc.ascii_lower(col.texts), value))
    return None


def _cast_to_boolean(col: KeyColumn, value: bool) -> np.ndarray | None:
    """``CAST(text AS BOOLEAN) = value`` per text; None if a text does not cast (the SQL
    raises its conversion error)."""
    lowered = pc.ascii_lower(col.texts)
    true = _bools(pc.is_in(lowered, value_set=pa.array(_TRUE_TEXTS)))
    false = _bools(pc.is_in(lowered, value_set=pa.array(_FALSE_TEXTS)))
    if not bool((true | false).all()):
        return None
    return true if value else false


def _bools(array: Any) -> np.ndarray:
    return np.asarray(array.to_numpy(zero_copy_only=False), dtype=bool)


_COLUMNS: TokenCache[FieldColumns] = TokenCache(_KEPT_DATASETS, lambda columns: columns.token)


def field_columns(
    catalog: Catalog, cur: duckdb.DuckDBPyConnection, dataset_id: int
) -> FieldColumns | None:
    """The dataset's field columns for the rows ``cur`` reads now, built if needed; None
    on a read-only catalog without a token (nothing can label the columns there)."""
    return _COLUMNS.get(catalog, cur, dataset_id, _build)


register_warmer(field_columns)  # after the box index (imported first), of its datasets


def relabel_held(catalog: Catalog, dataset_id: int, before: str | None, after: str) -> bool:
    """After a committed write that moved the token from ``before`` to ``after`` and
    changed no sample (a label edit): the held columns hold the rows of ``after`` too."""
    return _COLUMNS.swap(catalog, dataset_id, before, lambda held: replace(held, token=after))


def _build(catalog: Catalog, dataset_id: int) -> FieldColumns | None:
    """Read the token, the sample ids and the index rows in one snapshot (one key's rows
    at a time)."""
    with token_snapshot(catalog, dataset_id) as (cur, token):
        if token is None:
            return None
        ids = cur.execute(
            "SELECT sample_id FROM samples WHERE dataset_id = ? ORDER BY sample_id",
            [dataset_id],
        ).fetchnumpy()["sample_id"]
        samples = SampleSet.of(np.asarray(ids, dtype=np.int64))
        keys = cur.execute(
            "SELECT DISTINCT key FROM field_values WHERE dataset_id = ?", [dataset_id]
        ).fetchall()
        columns = FieldColumns(token, samples.n, {})
        for (key,) in keys:
            rows = cur.sql(
                "SELECT sample_id, text, num FROM field_values WHERE dataset_id = ? AND key = ?",
                params=[dataset_id, key],
            ).to_arrow_table()
            built = _key_column(rows, samples)
            if built is None:  # rows of samples the snapshot does not hold: not expected
                return None
            columns.keys[str(key)] = built
    return columns


def _key_column(rows: pa.Table, samples: SampleSet) -> KeyColumn | None:
    """One key's column from its ``field_values`` rows (one per sample with a value)."""
    pos = samples.positions(np.asarray(rows.column("sample_id"), dtype=np.int64))
    if pos is None:
        return None
    encoded = pc.dictionary_encode(rows.column("text").combine_chunks())
    order = pc.sort_indices(encoded.dictionary).to_numpy()
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    row_codes = rank[encoded.indices.to_numpy()]
    none = len(order)
    nums = np.full(none, np.nan)
    has_num = np.zeros(none, dtype=bool)
    num = rows.column("num").combine_chunks()
    valid = np.asarray(num.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    nums[row_codes[valid]] = np.asarray(num.filter(num.is_valid()).to_numpy(), dtype=np.float64)
    has_num[row_codes[valid]] = True  # a text's number is a function of the text
    codes = np.full(samples.n, none, dtype=np.min_scalar_type(none))
    codes[pos] = row_codes
    texts = encoded.dictionary.take(pa.array(order))
    ascii_only = bool(pc.all(pc.string_is_ascii(texts)).as_py() is not False)
    return KeyColumn(
        codes, texts, nums, has_num, np.bincount(codes, minlength=none + 1), ascii_only
    )
