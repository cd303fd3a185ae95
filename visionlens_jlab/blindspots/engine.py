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
from . import stats
from .candidates import Attribute, build_attributes
from .ledger import HalfStats, SliceTest, TestLedger
from .metrics import MIN_EFFECT, Metric, applies, attribute_codes, build_metrics
from .slices import CellStats, UnitView, test_cells
from .units import Units, load_units

if TYPE_CHECKING:
    from ..catalog import Catalog

MAX_CELLS = 256
"""Pairs with more cells than this are skipped (many tiny slices, none reaching min N)."""
MAX_EXPLAINERS = 4
"""Strongest headlines of a metric whose attributes become strata when checking whether
they explain a weaker test."""
MAX_EXPLAIN_CELLS = 256
PARENT_VIEWS = 8
"""Parent slices whose units stay cached for refinement checks (a view of a large parent
is tens of MB)."""
GROUP_OVERLAP = 0.5
"""Findings of one metric whose members overlap this much (of the smaller set) are one
group, unless the broader one stands apart (see ``BlindSpotEngine._stands_apart``)."""


@dataclass
class EngineOptions:
    """Knobs of a run."""

    min_n: int = 50
    fdr: float = 0.05
    seed: int = 0
    pairs: bool = True
    vlm_threshold: float | None = None
    """Slice by the VLM attributes calibrated usable at this kappa; None: never by a VLM's."""


class BlindSpotEngine:
    """One evaluated model on one dataset, its slicing attributes and its test ledger."""

    def __init__(self, units: Units, options: EngineOptions | None = None) -> None:
        self.units = units
        self.options = options or EngineOptions()
        self.attributes: list[Attribute] = build_attributes(units)
        self.metrics: dict[str, Metric] = {m.name: m for m in build_metrics(units, self.attributes)}
        self.discovery = discovery_half(units.sample_id, self.options.seed)
        self.confirmation = ~self.discovery
        self.ledger = TestLedger()
        self._views: dict[tuple[str, bool], UnitView] = {}
        self._weights: list[np.ndarray] | None = None
        self._codes: dict[tuple[str, str, str], np.ndarray] = {}
        self._refine_alpha = self.options.fdr
        self._parent_views: dict[tuple[Any, ...], UnitView] = {}
        self._within_stats: dict[tuple[Any, ...], CellStats] = {}

    def bootstrap_weights(self, replicates: int) -> list[np.ndarray]:
        """Poisson(1) weights of the confirmation half's images, shared by every finding
        of a run (uint8: 400 replicates of 50K images are 20 MB)."""
        if self._weights is None or sum(len(w) for w in self._weights) != replicates:
            n = int(self.confirmation.sum())
            self._weights = list(stats.image_bootstrap_weights(n, replicates, self.options.seed))
        return self._weights

    def view(self, metric: Metric, confirmation: bool) -> UnitView:
        """The metric's units on one half (cached: every test of a run reads them)."""
        key = (metric.name, confirmation)
        if key not in self._views:
            half = self.confirmation if confirmation else self.discovery
            self._views[key] = UnitView(metric, half)
        return self._views[key]

    @classmethod
    def open(
        cls, catalog: Catalog, dataset: str, model: str, options: EngineOptions | None = None
    ) -> BlindSpotEngine:
        """Load ``model``'s latest evaluation on ``dataset``."""
        threshold = options.vlm_threshold if options is not None else None
        return cls(load_units(catalog, dataset, model, vlm_threshold=threshold), options)

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
        d = test_cells(self.view(metric, False), attrs, alpha, screen=alpha)
        found = (d.p < alpha) & (metric.worse * (d.value - d.baseline) > 0)
        c = test_cells(self.view(metric, True), attrs, alpha, screen=alpha, only=found)
        enough = (d.n >= self.options.min_n) & (c.n >= self.options.min_n)
        enough &= ~np.isnan(d.p) & ~np.isnan(c.p)
        out = []
        widths = [len(a.values) for a in attrs]
        for cell in map(int, np.flatnonzero(enough)):
            codes = np.unravel_index(cell, widths)
            parts = [(a.name, a.values[int(k)]) for a, k in zip(attrs, codes, strict=True)]
            out.append(SliceTest(metric.name, parts, _half(d, cell), _half(c, cell)))
        return out

    def test_slice(
        self, metric_name: str, slice_spec: dict[str, str], source: str = "agent"
    ) -> SliceTest:
        """Test one slice (any attributes, e.g. an agent's hypothesis) and record it."""
        metric = self.metric(metric_name)
        parts = self.resolve(metric, slice_spec)
        attrs = [a for a, _ in parts]
        cell = int(np.ravel_multi_index([k for _, k in parts], [len(a.values) for a in attrs]))
        d = test_cells(self.view(metric, False), attrs, self.options.fdr)
        c = test_cells(self.view(metric, True), attrs, self.options.fdr)
        test = SliceTest(
            metric.name,
            [(a.name, a.values[k]) for a, k in parts],
            _half(d, cell),
            _half(c, cell),
            source=source,
        )
        return self.ledger.add(test)

    def confirmed(self, test: SliceTest) -> bool:
        """Whether ``test`` shows a blind spot: enough units, worse, significant in both
        halves, big enough, and (for a combination) worse than each of its parents."""
        return self.significant(test) and (len(test.parts) == 1 or self.refines(test))

    def significant(self, test: SliceTest) -> bool:
        """:meth:`confirmed` without the (costlier) check against the parents."""
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

    def refines(self, test: SliceTest) -> bool:
        """Whether each attribute of a combination matters within the others' slice.

        ``A and B`` is only a finding of its own if, within ``A``, ``B`` is worse than
        not-``B`` (and vice versa), on the confirmation half and by the minimum effect:
        otherwise it is ``A`` (or ``B``) seen in a subset. The level is ``fdr`` divided by
        the number of combinations being grouped (Bonferroni: these are extra tests, and
        noise passing one of hundreds of checks at 0.05 put ``split = train and scene =
        day`` among the findings once). Cached on the test.
        """
        if "refines" in test.extra:
            return bool(test.extra["refines"])
        metric = self.metrics[test.metric]
        parts = self.resolve(metric, dict(test.parts))
        ok = True
        for i, (attr, code) in enumerate(parts):
            others = [p for j, p in enumerate(parts) if j != i]
            within = _half(self._within_parent(metric, others, attr), code)
            ok = ok and bool(
                within.p < self._refine_alpha
                and metric.worse * within.effect >= MIN_EFFECT[test.metric]
            )
        test.extra["refines"] = ok
        return ok

    def _within_parent(
        self, metric: Metric, parent: list[tuple[Attribute, int]], attr: Attribute
    ) -> CellStats:
        """Every value of ``attr`` against the rest within the ``parent`` slice, on the
        confirmation half. Cached: combinations that share a parent (``night and small``,
        ``night and large``) test the same values of the same attribute within it."""
        key = (metric.name, tuple((a.level, a.name, c) for a, c in parent))
        stats_key = (*key, attr.level, attr.name)
        if stats_key not in self._within_stats:
            sub = self._parent_views.pop(key, None)  # most recently used last
            if sub is None:
                view = self.view(metric, True)
                mask = np.ones(view.sel.size, dtype=bool)
                for other, other_code in parent:
                    mask &= view.codes(other) == other_code
                sub = view.within(mask)
            self._parent_views[key] = sub
            while len(self._parent_views) > PARENT_VIEWS:
                del self._parent_views[next(iter(self._parent_views))]
            self._within_stats[stats_key] = test_cells(sub, [attr], self.options.fdr)
        return self._within_stats[stats_key]

    # ------------------------------------------------------------------ members

    def inside(self, test: SliceTest) -> np.ndarray:
        """Boolean over the metric's units (all images): which are in the test's slice."""
        metric = self.metrics[test.metric]
        spec = dict(test.parts)
        parts = self.resolve(metric, spec)
        mask = np.ones(len(metric.y), dtype=bool)
        for attr, code in parts:
            mask &= self.codes(metric, attr) == code
        return mask

    def codes(self, metric: Metric, attr: Attribute) -> np.ndarray:
        """``attr``'s codes on all of ``metric``'s units (cached)."""
        key = (metric.name, attr.level, attr.name)
        if key not in self._codes:
            self._codes[key] = attribute_codes(metric, attr)
        return self._codes[key]

    def members(self, test: SliceTest) -> np.ndarray:
        """Ids of the units in the slice (ann ids, or sample ids for per-image metrics)."""
        return self.metrics[test.metric].ids[self.inside(test)]

    def groups(self, tests: list[SliceTest]) -> list[list[SliceTest]]:
        """Group significant tests into findings; each group's first test is its headline.

        Strongest evidence first (largest clustered z on the confirmation half). A test
        joins the first headline of its metric whose members overlap its own by
        :data:`GROUP_OVERLAP` (of the smaller set), or the headline that *explains* it: one
        whose members, as an extra stratum, leave it no longer significant or no longer
        big enough (e.g. low-contrast images miss more objects only because they are the
        night images with small objects). Otherwise it heads a new group, if (being a
        combination) it :meth:`refines` its parents; if not, it is dropped.
        """
        order = sorted(tests, key=lambda t: -abs(t.confirmation.z))
        # each combination's refinement checks are extra tests: Bonferroni over them
        combos = sum(1 for t in tests if len(t.parts) > 1)
        self._refine_alpha = self.options.fdr / max(1, combos)
        heads: list[tuple[SliceTest, np.ndarray, list[SliceTest]]] = []
        for t in order:
            inside = self.inside(t)
            same = [(h, m, g) for h, m, g in heads if h.metric == t.metric]
            target = None
            for _head, members, group in same:
                overlap = (inside & members).sum() / max(1, min(inside.sum(), members.sum()))
                if overlap >= GROUP_OVERLAP and not self._stands_apart(t, _head, members):
                    target = group
                    break
            if target is None and len(t.parts) > 1 and not self.refines(t):
                continue  # a parent seen in a subset: the parent speaks for it
            if target is None and same:
                target = self._explained_by(t, same)
            if target is not None:
                target.append(t)
            else:
                heads.append((t, inside, [t]))
        return [g for _, _, g in heads]

    def _stands_apart(self, test: SliceTest, head: SliceTest, head_members: np.ndarray) -> bool:
        """Whether ``test``, a parent of ``head`` (``occluded`` of ``occluded and small``),
        is a blind spot beyond it: without the head's members, still worse than the rest
        within strata, significantly and by the minimum effect. ``night`` is not, beyond
        ``night and small``; ``occluded`` is, beyond ``occluded and small``."""
        if not set(test.parts) < set(head.parts):
            return False
        metric = self.metrics[test.metric]
        parts = self.resolve(metric, dict(test.parts))
        attrs = [a for a, _ in parts]
        cell = int(np.ravel_multi_index([k for _, k in parts], [len(a.values) for a in attrs]))
        view = self.view(metric, True)
        cs = test_cells(view.within(~head_members[view.sel]), attrs, self.options.fdr)
        return bool(
            cs.strat_p[cell] < self.options.fdr
            and metric.worse * cs.strat_diff[cell] >= MIN_EFFECT[test.metric]
        )

    def _explained_by(
        self, test: SliceTest, heads: list[tuple[SliceTest, np.ndarray, list[SliceTest]]]
    ) -> list[SliceTest] | None:
        metric = self.metrics[test.metric]
        own = set(test.parts)
        # a refinement of the test cannot explain it away: its parent is the broader spot
        strongest = [h for h in heads if not own <= set(h[0].parts)][:MAX_EXPLAINERS]
        if not strongest:
            return None
        # the test's own attributes may be strata too: a slice that is entirely inside or
        # outside every stratum tests as nothing, i.e. it is explained
        used: set[str] = set()
        extra = np.zeros(len(metric.y), dtype=np.int64)
        cells = 1
        for head, _m, _g in strongest:
            for name, _v in head.parts:
                attr = self.resolve(metric, {name: _v})[0][0]
                width = len(attr.values) + 1  # + "no value"
                if name in used or cells * width > MAX_EXPLAIN_CELLS:
                    continue
                used.add(name)
                extra = extra * width + (self.codes(metric, attr) + 1)
                cells *= width
        parts = self.resolve(metric, dict(test.parts))
        attrs = [a for a, _ in parts]
        cell = int(np.ravel_multi_index([k for _, k in parts], [len(a.values) for a in attrs]))
        cs = test_cells(self.view(metric, True), attrs, self.options.fdr, extra_strata=extra)
        holds = (
            cs.strat_p[cell] < self.options.fdr
            and metric.worse * cs.strat_diff[cell] >= MIN_EFFECT[test.metric]
        )
        if holds:
            return None
        inside = self.inside(test)
        best = max(strongest, key=lambda h: int((h[1] & inside).sum()))
        test.extra["explained_by"] = best[0].id
        return best[2]


def discovery_half(sample_id: np.ndarray, seed: int) -> np.ndarray:
    """Which images are in the discovery half: a hash of (sample id, seed), so an image
    stays in its half whatever else the dataset holds, and the split is independent of
    anything a seeded generator drew (a plain ``default_rng(seed)`` split once matched a
    synthetic dataset's own first draws exactly)."""
    x = sample_id.astype(np.uint64) ^ np.uint64((seed * 0x9E3779B97F4A7C15) % 2**64)
    with np.errstate(over="ignore"):  # splitmix64: wrapping arithmetic is the point
        x = x + np.uint64(0x9E3779B97F4A7C15)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        x = x ^ (x >> np.uint64(31))
    return (x >> np.uint64(63)) == 0


def _half(s: CellStats, cell: int) -> HalfStats:
    return HalfStats(
        n=int(s.n[cell]),
        images=int(s.images[cell]) if np.isfinite(s.images[cell]) else -1,
        value=float(s.value[cell]),
        baseline=float(s.baseline[cell]),
        p=float(s.p[cell]),
        z=float(s.z[cell]),
        adjusted=float(s.adjusted[cell]),
        mde=float(s.mde[cell]),
    )


def describe_attributes(engine: BlindSpotEngine) -> list[dict[str, Any]]:
    """The attributes a slice may use, with their values and levels (for tools and docs)."""
    return [{"name": a.name, "level": a.level, "values": list(a.values)} for a in engine.attributes]
