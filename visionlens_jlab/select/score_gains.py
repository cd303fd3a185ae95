"""The selection strategies that need no vectors, as :class:`~.greedy.Gain` values.

* :class:`Static`: a score per candidate that picking others does not change: model
  uncertainty, a label- or image-quality score, random. A candidate without a score (no
  prediction from the model; a quality not computed) ranks just below the lowest: after
  every scored one, and still chosen once they run out.
* :class:`Balance`: class or metadata balance; a candidate's gain falls as its value is
  chosen, in proportion to the value's target share.

The readers here turn catalog rows into one value per candidate (``ids``: sorted sample
ids; every array they return is aligned with them): :func:`field_values` (any sample field
a filter may name, or ``class``), :func:`classification_uncertainty`,
:func:`detection_uncertainty`, :func:`disagreement` and :func:`quality_gain`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

import duckdb
import numpy as np
import orjson
import pyarrow as pa

from ..catalog import GROUND_TRUTH
from ..catalog.query.filters import FilterError, Params, sample_field_sql

JITTER = 1e-6
"""Balance's random tie-break within a value (far below one sample's share of a count)."""


@dataclass
class Static:
    """A fixed score per candidate (higher: choose sooner); NaN: unscored."""

    name: str
    values: np.ndarray

    def start(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """The scores, unscored candidates just below the lowest one: the same scaled gain
        (0) in a sum, yet never chosen before a scored one (at the lowest itself, a tie
        went to the lower position, so an unscored sample could come first)."""
        values = np.asarray(self.values, dtype=np.float64)
        finite = values[np.isfinite(values)]
        low = np.nextafter(finite.min(), -np.inf) if finite.size else 0.0
        return np.where(np.isfinite(values), values, low)

    def picked(self, position: int) -> np.ndarray | None:
        """Unchanged by any pick."""
        return None


@dataclass
class Random:
    """A random order (the plain reference every strategy is measured against)."""

    name: str = "random"

    def start(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """One uniform draw per candidate from the selection's seeded generator."""
        return rng.random(n)

    def picked(self, position: int) -> np.ndarray | None:
        """Unchanged by any pick."""
        return None


@dataclass
class Balance:
    """Equal (or ``target``) shares over the candidates' values (``None``: a value of its own).

    A candidate of value ``v`` gains ``-(c + 1) / share(v)``, ``c`` the chosen of ``v`` so
    far: the value least served for its share comes next (the largest-deficit rule of
    apportionment, so the counts follow the shares at every step), and a pick changes only
    its own value's gains. With a ``target``, a value it leaves out is never chosen.
    """

    values: list[str | None]
    target: Mapping[str, float] | None = None
    name: str = "balance"
    _codes: np.ndarray = field(init=False, repr=False)
    _shares: np.ndarray = field(init=False, repr=False)
    _counts: np.ndarray = field(init=False, repr=False)
    _members: list[np.ndarray] = field(init=False, repr=False)
    _jitter: np.ndarray = field(init=False, repr=False)

    def start(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Every value at no pick: the largest share first, then at random within it."""
        names = sorted({v for v in self.values if v is not None}) + [None]
        if self.target is not None:
            names = [v for v in names if v is not None and self.target.get(v, 0) > 0]
        index = {v: i for i, v in enumerate(names)}
        self._codes = np.array([index.get(v, -1) for v in self.values], dtype=np.int64)
        if self.target is None:
            shares = np.full(len(names), 1.0 / len(names))
        else:
            raw = np.array([float(self.target[v]) for v in names if v is not None])
            shares = raw / raw.sum() if raw.size else raw
        self._shares, self._counts = shares, np.zeros(len(names))
        order = np.argsort(self._codes, kind="stable")
        bounds = np.searchsorted(self._codes[order], np.arange(len(names) + 1))
        self._members = [order[bounds[i] : bounds[i + 1]] for i in range(len(names))]
        self._jitter = rng.random(n) * JITTER
        out = np.full(n, -np.inf)
        known = self._codes >= 0
        out[known] = -1.0 / shares[self._codes[known]] + self._jitter[known]
        return out

    def picked(self, position: int) -> tuple[np.ndarray, np.ndarray] | None:
        """One more of the picked candidate's value: only its value's gains fall."""
        code = int(self._codes[position])
        if code < 0:
            return None
        self._counts[code] += 1
        members = self._members[code]
        gain = -(self._counts[code] + 1) / self._shares[code]
        return members, gain + self._jitter[members]


@contextmanager
def _candidates(cur: duckdb.DuckDBPyConnection, ids: np.ndarray) -> Iterator[str]:
    """The candidates as a registered relation ``(position, sample_id)``."""
    table = pa.table(
        {"position": np.arange(len(ids), dtype=np.int64), "sample_id": np.asarray(ids, np.int64)}
    )
    cur.register("_vl_select_ids", table)
    try:
        yield "_vl_select_ids"
    finally:
        cur.unregister("_vl_select_ids")


def field_values(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, ids: np.ndarray, name: str
) -> list[str | None]:
    """Each candidate's value of field ``name`` as text: ``class`` (its ground-truth image
    label, else its most frequent ground-truth object class) or any sample field a filter
    may name (``split``, ``fields.<key>``, ``computed.<name>``...; :class:`FilterError`
    for an unknown one)."""
    params = Params()
    if name == "class":
        sql = (
            "COALESCE((SELECT min(c.label) FROM classifications c WHERE c.dataset_id = "
            "s.dataset_id AND c.sample_id = s.sample_id AND c.source = ?), (SELECT mode(a.label) "
            "FROM annotations a WHERE a.dataset_id = s.dataset_id AND a.sample_id = s.sample_id "
            "AND a.source = ?))"
        )
        params.values.extend([GROUND_TRUTH, GROUND_TRUTH])
    else:
        sql = sample_field_sql(name, params)
    out: list[str | None] = [None] * len(ids)
    with _candidates(cur, ids) as rel:
        rows = cur.execute(
            f"SELECT c.position, CAST({sql} AS VARCHAR) FROM {rel} c JOIN samples s "  # noqa: S608 - compiled, parameterized
            "ON s.sample_id = c.sample_id AND s.dataset_id = ?",
            [*params.values, dataset_id],
        ).fetchall()
    for position, value in rows:
        out[int(position)] = value
    return out


def model_kind(cur: duckdb.DuckDBPyConnection, dataset_id: int, model: str) -> str:
    """``classification`` when ``model`` has image labels on the dataset, else ``detection``."""
    ((count,),) = cur.execute(
        "SELECT COUNT(*) FROM classifications WHERE dataset_id = ? AND source = ?",
        [dataset_id, model],
    ).fetchall()
    return "classification" if count else "detection"


def _distributions(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, ids: np.ndarray, model: str
) -> list[dict[str, float] | None]:
    """Each candidate's class probabilities from ``model``'s image labels: the per-class
    ``scores`` of its best row, else its rows' (label, score) pairs; None: no prediction,
    or one with a NaN or infinite probability (imports keep them; no uncertainty can be
    read from it, so it ranks as unscored)."""
    out: list[dict[str, float] | None] = [None] * len(ids)
    with _candidates(cur, ids) as rel:
        rows = cur.execute(
            f"SELECT c.position, l.label, l.score, CAST(l.scores AS VARCHAR) FROM {rel} c "  # noqa: S608 - fixed relation name
            "JOIN classifications l ON l.sample_id = c.sample_id AND l.dataset_id = ? "
            "AND l.source = ? ORDER BY c.position, l.score DESC NULLS LAST",
            [dataset_id, model],
        ).fetchall()
    for position, label, score, scores in rows:
        known = out[int(position)]
        if scores and known is None:
            out[int(position)] = {str(k): float(v) for k, v in _json(scores).items()}
        elif known is None:
            out[int(position)] = {label: 1.0 if score is None else float(score)}
        elif not scores:
            known.setdefault(label, 1.0 if score is None else float(score))
    return [d if d is None or all(map(math.isfinite, d.values())) else None for d in out]


def _json(text: str) -> dict[str, float]:
    """A stored ``scores`` object; the catalog keeps what an import wrote, NaN and Infinity
    included, which orjson refuses (the selection failed on them) and ``json`` reads."""
    try:
        return dict(orjson.loads(text))
    except orjson.JSONDecodeError:
        return dict(json.loads(text))


def _probabilities(dist: Mapping[str, float]) -> np.ndarray:
    """The distribution's probabilities, sorted high to low, with the mass it leaves out as
    one more class (a top-1 score of 0.3 alone: 0.7 elsewhere, which may outrank it)."""
    p = np.clip(np.array(list(dist.values()), dtype=np.float64), 0, None)
    rest = 1.0 - p.sum()
    if rest > 1e-9:
        p = np.append(p, rest)
    p = np.sort(p)[::-1]
    return p / p.sum() if p.sum() > 0 else p


def classification_uncertainty(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, ids: np.ndarray, model: str, how: str
) -> np.ndarray:
    """``entropy`` (nats) or ``margin`` (1 - (p1 - p2)) of each candidate's predicted
    class probabilities; NaN without a prediction."""
    out = np.full(len(ids), np.nan)
    for i, dist in enumerate(_distributions(cur, dataset_id, ids, model)):
        if dist is None:
            continue
        p = _probabilities(dist)
        if how == "entropy":
            live = p[p > 0]
            out[i] = float(-(live * np.log(live)).sum())
        else:
            second = p[1] if p.size > 1 else 0.0
            out[i] = 1.0 - (p[0] - second)
    return out


def predicted_count(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, ids: np.ndarray, model: str
) -> int:
    """How many of the candidates ``ids`` have a prediction of ``model`` (an object or an
    image label): a detection's uncertainty is 0 without a box, as for a sure one, so its
    scores alone cannot tell "none predicted" from "all sure"."""
    with _candidates(cur, ids) as rel:
        ((count,),) = cur.execute(
            f"""
            SELECT count(*) FROM {rel} c WHERE EXISTS (
                SELECT 1 FROM annotations a WHERE a.sample_id = c.sample_id
                 AND a.dataset_id = $d AND a.source = $m)
             OR EXISTS (
                SELECT 1 FROM classifications k WHERE k.sample_id = c.sample_id
                 AND k.dataset_id = $d AND k.source = $m)
            """,  # noqa: S608 - fixed relation name and SQL
            {"d": dataset_id, "m": model},
        ).fetchall()
    return int(count)


_IOU = """
    (greatest(0, least(a.x + a.w, b.x + b.w) - greatest(a.x, b.x))
     * greatest(0, least(a.y + a.h, b.y + b.h) - greatest(a.y, b.y)))
    / nullif(a.w * a.h + b.w * b.h - greatest(0, least(a.x + a.w, b.x + b.w)
     - greatest(a.x, b.x)) * greatest(0, least(a.y + a.h, b.y + b.h) - greatest(a.y, b.y)), 0)
"""
CONFLICT_IOU = 0.5
"""Two boxes of different classes overlapping at least this much conflict."""


def detection_uncertainty(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, ids: np.ndarray, model: str
) -> np.ndarray:
    """Each candidate's most uncertain box of ``model``: a low-confidence box scores
    ``1 - |2s - 1|`` (1 at s = 0.5), two boxes of different classes on the same place
    ``min(s) / max(s)`` (1 when the model cannot tell them apart); 0 without boxes."""
    out = np.zeros(len(ids))
    with _candidates(cur, ids) as rel:
        rows = cur.execute(
            f"""
            WITH boxes AS (
                SELECT c.position, a.ann_id, a.label, a.x, a.y, a.w, a.h,
                       COALESCE(a.score, 1.0) AS score
                FROM {rel} c JOIN annotations a ON a.sample_id = c.sample_id
                 AND a.dataset_id = ? AND a.source = ?
            ), low AS (
                SELECT position, max(1 - abs(2 * score - 1)) AS u FROM boxes GROUP BY position
            ), conflict AS (
                SELECT a.position, max(least(a.score, b.score)
                       / nullif(greatest(a.score, b.score), 0)) AS u
                FROM boxes a JOIN boxes b ON a.position = b.position AND a.ann_id < b.ann_id
                 AND a.label <> b.label
                WHERE {_IOU} >= ? GROUP BY a.position
            )
            SELECT low.position, greatest(low.u, COALESCE(conflict.u, 0))
            FROM low LEFT JOIN conflict USING (position)
            """,  # noqa: S608 - fixed relation name and SQL
            [dataset_id, model, CONFLICT_IOU],
        ).fetchall()
    for position, value in rows:
        out[int(position)] = float(value or 0.0)
    return out


def disagreement(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, ids: np.ndarray, models: tuple[str, str]
) -> np.ndarray:
    """How much two prediction sources disagree on each candidate. Classification: the
    total variation distance of their class probabilities (1: different classes, both
    sure). Detection: the share of the two models' boxes that the other has no box of the
    same class overlapping by IoU >= 0.5 (0 when neither has a box)."""
    first, second = models
    if model_kind(cur, dataset_id, first) == "classification":
        a = _distributions(cur, dataset_id, ids, first)
        b = _distributions(cur, dataset_id, ids, second)
        out = np.full(len(ids), np.nan)
        for i, (p, q) in enumerate(zip(a, b, strict=True)):
            if p is not None and q is not None:
                keys = set(p) | set(q)
                out[i] = 0.5 * sum(abs(p.get(k, 0.0) - q.get(k, 0.0)) for k in keys)
        return out
    out = np.zeros(len(ids))
    with _candidates(cur, ids) as rel:
        rows = cur.execute(
            f"""
            WITH boxes AS (
                SELECT c.position, a.ann_id, a.source, a.label, a.x, a.y, a.w, a.h
                FROM {rel} c JOIN annotations a ON a.sample_id = c.sample_id
                 AND a.dataset_id = ? AND a.source IN (?, ?)
            )
            SELECT a.position, avg(CASE WHEN EXISTS (
                SELECT 1 FROM boxes b WHERE b.position = a.position AND b.source <> a.source
                 AND b.label = a.label AND {_IOU} >= ?) THEN 0.0 ELSE 1.0 END)
            FROM boxes a GROUP BY a.position
            """,  # noqa: S608 - fixed relation name and SQL
            [dataset_id, first, second, CONFLICT_IOU],
        ).fetchall()
    for position, value in rows:
        out[int(position)] = float(value)
    return out


def quality_gain(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, ids: np.ndarray, fields: list[str]
) -> np.ndarray:
    """``1 - the lowest`` of the candidate's values of the quality score ``fields``
    (``computed.<name>``, lower: worse), so suspected problems come first; NaN unscored."""
    if not fields:
        raise FilterError("no scores of this kind on the dataset: run it first")
    params = Params()
    lowest = "least(" + ", ".join(sample_field_sql(f, params) for f in fields) + ")"
    out = np.full(len(ids), np.nan)
    with _candidates(cur, ids) as rel:
        rows = cur.execute(
            f"SELECT c.position, 1 - {lowest} FROM {rel} c JOIN samples s "  # noqa: S608 - compiled, parameterized
            "ON s.sample_id = c.sample_id AND s.dataset_id = ?",
            [*params.values, dataset_id],
        ).fetchall()
    for position, value in rows:
        if value is not None:
            out[int(position)] = float(value)
    return out
