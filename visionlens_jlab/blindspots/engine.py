"""The blind-spot engine: test every slice, keep what both halves confirm, group, explain.

Images are split at random (seeded) into a discovery half and a confirmation half. Every
single attribute value and every pair of values of two attributes is tested on both; a
slice becomes a finding only if, with at least ``min_n`` units in each half, it is worse
than the rest at BH q < ``fdr`` in the discovery half *and* in the confirmation half, by at
least the metric's minimum effect. The numbers shown are the confirmation half's, so the
search does not inflate them.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..catalog import CatalogError
from .candidates import Attribute, build_attributes
from .ledger import HalfStats, SliceTest, TestLedger
from .metrics import MIN_EFFECT, Metric, applies, attribute_codes, build_metrics
from .slices import CellStats, cell_codes, test_cells
from .units import Units, load_units

if TYPE_CHECKING:
    from ..catalog import Catalog

MAX_CELLS = 256
"""Pairs with more cells than this are skipped (many tiny slices, none reaching min N)."""
GROUP_OVERLAP = 0.5
"""Findings of one metric whose members overlap this much (of the smaller) are one group."""


@dataclass
class EngineOptions:
    """Knobs of a run."""

    min_n: int = 50
    fdr: float = 0.05
    seed: int = 0
    pairs: bool = True


class BlindSpotEngine:
    """One evaluated model on one dataset, its slicing attributes and its test ledger."""

    def __init__(self, units: Units, options: EngineOptions | None = None) -> None:
        self.units = units
        self.options = options or EngineOptions()
        self.attributes: list[Attribute] = build_attributes(units)
        self.metrics: dict[str, Metric] = {m.name: m for m in build_metrics(units, self.attributes)}
        rng = np.random.default_rng(self.options.seed)
        self.discovery = rng.random(len(units.sample_id)) < 0.5
        self.confirmation = ~self.discovery
        self.ledger = TestLedger()

    @classmethod
    def open(
        cls, catalog: Catalog, dataset: str, model: str, options: EngineOptions | None = None
    ) -> BlindSpotEngine:
        """Load ``model``'s latest evaluation on ``dataset``."""
        return cls(load_units(catalog, dataset, model), options)

    # ------------------------------------------------------------------ lookups

    def attribute(self, name: str, level: str | None = None) -> Attribute:
        """The attribute called ``name`` (an object attribute wins over a prediction one)."""
        found = [a for a in self.attributes if a.name == name and level in (None, a.level)]
        if not found:
            known = sorted({a.name for a in self.attributes})
            raise CatalogError(f"unknown attribute {name!r}; attributes: {', '.join(known)}")
        return found[0]

    def metric(self, name: str) -> Metric:
        if name not in self.metrics:
            raise CatalogError(f"unknown metric {name!r}; metrics: {', '.join(self.metrics)}")
        return self.metrics[name]

    def resolve(self, metric: Metric, slice_spec: dict[str, str]) -> list[tuple[Attribute, int]]:
        """``{attribute: value text}`` as attributes and codes that apply to ``metric``."""
        parts = []
        for name, value in slice_spec.items():
            candidates = [a for a in self.attributes if a.name == name and applies(metric, a)]
            if not candidates:
                raise CatalogError(f"attribute {name!r} cannot slice metric {metric.name!r}")
            attr = candidates[0]
            if value not in attr.values:
                raise CatalogError(
                    f"{name!r} has no value {value!r}; values: {', '.join(attr.values)}"
                )
            parts.append((attr, attr.values.index(value)))
        if not parts:
            raise CatalogError("a slice needs at least one attribute = value")
        return parts

    # ------------------------------------------------------------------ tests

    def run(self) -> TestLedger:
        """Test every single attribute value and every pair, for every metric."""
        tests: list[SliceTest] = []
        for metric in self.metrics.values():
            usable = [a for a in self.attributes if applies(metric, a)]
            groupings: list[list[Attribute]] = [[a] for a in usable]
            if self.options.pairs:
                groupings += [
                    [a, b]
                    for a, b in itertools.combinations(usable, 2)
                    if a.name != b.name and len(a.values) * len(b.values) <= MAX_CELLS
                ]
            for attrs in groupings:
                tests += self._test_grouping(metric, attrs)
        self.ledger.add_many(tests)
        return self.ledger

    def _test_grouping(self, metric: Metric, attrs: list[Attribute]) -> list[SliceTest]:
        alpha = self.options.fdr
        d = test_cells(metric, attrs, self.discovery, alpha)
        c = test_cells(metric, attrs, self.confirmation, alpha)
        enough = (d.n >= self.options.min_n) & (c.n >= self.options.min_n)
        enough &= ~np.isnan(d.p) & ~np.isnan(c.p)
        out = []
        widths = [len(a.values) for a in attrs]
        for cell in np.flatnonzero(enough):
            codes = np.unravel_index(cell, widths)
            parts = [(a.name, a.values[int(k)]) for a, k in zip(attrs, codes, strict=True)]
            out.append(SliceTest(metric.name, parts, _half(d, cell), _half(c, cell)))
        return out

    def test_slice(self, metric_name: str, slice_spec: dict[str, str], source: str = "agent") -> SliceTest:
        """Test one slice (any attributes, e.g. an agent's hypothesis) and record it."""
        metric = self.metric(metric_name)
        parts = self.resolve(metric, slice_spec)
        attrs = [a for a, _ in parts]
        cell = int(np.ravel_multi_index([k for _, k in parts], [len(a.values) for a in attrs]))
        d = test_cells(metric, attrs, self.discovery, self.options.fdr)
        c = test_cells(metric, attrs, self.confirmation, self.options.fdr)
        test = SliceTest(
            metric.name,
            [(a.name, a.values[k]) for a, k in parts],
            _half(d, cell),
            _half(c, cell),
            source=source,
        )
        return self.ledger.add(test)

    def confirmed(self, test: SliceTest) -> bool:
        """Whether ``test`` shows a blind spot: enough units, worse, significant twice, big enough."""
        o = self.options
        worse = self.metrics[test.metric].worse
        d, c = test.discovery, test.confirmation
        return bool(
            d.n >= o.min_n
            and c.n >= o.min_n
            and test.q_discovery < o.fdr
            and test.q_confirmation < o.fdr
            and worse * d.effect > 0
            and worse * c.effect >= MIN_EFFECT[test.metric]
        )

    # ------------------------------------------------------------------ members

    def inside(self, test: SliceTest) -> np.ndarray:
        """Boolean over the metric's units (all images): which are in the test's slice."""
        metric = self.metrics[test.metric]
        spec = dict(test.parts)
        parts = self.resolve(metric, spec)
        mask = np.ones(len(metric.y), dtype=bool)
        for attr, code in parts:
            mask &= attribute_codes(metric, attr) == code
        return mask

    def members(self, test: SliceTest) -> np.ndarray:
        """Ids of the units in the slice (ann ids, or sample ids for per-image metrics)."""
        return self.metrics[test.metric].ids[self.inside(test)]

    def groups(self, tests: list[SliceTest]) -> list[list[SliceTest]]:
        """Group tests of one metric whose members overlap; strongest effect first."""
        order = sorted(tests, key=lambda t: -abs(t.confirmation.effect))
        groups: list[tuple[SliceTest, set[int], list[SliceTest]]] = []
        for t in order:
            members = set(self.members(t).tolist())
            for head, head_members, group in groups:
                if head.metric != t.metric:
                    continue
                overlap = len(members & head_members) / max(1, min(len(members), len(head_members)))
                if overlap >= GROUP_OVERLAP:
                    group.append(t)
                    break
            else:
                groups.append((t, members, [t]))
        return [g for _, _, g in groups]


def _half(s: CellStats, cell: int) -> HalfStats:
    return HalfStats(
        n=int(s.n[cell]),
        images=int(s.images[cell]),
        value=float(s.value[cell]),
        baseline=float(s.baseline[cell]),
        p=float(s.p[cell]),
        adjusted=float(s.adjusted[cell]),
        mde=float(s.mde[cell]),
    )


def describe_attributes(engine: BlindSpotEngine) -> list[dict[str, Any]]:
    """The attributes a slice may use, with their values and levels (for tools and docs)."""
    return [
        {"name": a.name, "level": a.level, "values": list(a.values)} for a in engine.attributes
    ]
