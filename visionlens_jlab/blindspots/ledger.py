"""The test ledger: every slice test of a run, the engine's and the agent's alike.

False discovery rate control only holds if it counts every test that was looked at, so q
values are recomputed over the whole ledger whenever a test is added; a finding (or an
agent's claim) can only cite a test that is in it, and its numbers come from here.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from .stats import bh_qvalues


@dataclass
class HalfStats:
    """One half of the images: the discovery half or the confirmation half."""

    n: int
    images: int  # -1 where not computed (screened out: see slices.test_cells)
    value: float
    baseline: float
    p: float  # where screened out: the p-value ignoring clustering, a lower bound
    z: float = float("nan")
    adjusted: float = float("nan")
    mde: float = float("nan")

    @property
    def effect(self) -> float:
        return self.value - self.baseline


@dataclass
class SliceTest:
    """One metric on one slice (a list of ``(attribute, value)``) against the rest."""

    metric: str
    parts: list[tuple[str, str]]
    discovery: HalfStats
    confirmation: HalfStats
    source: str = "engine"  # or "agent"
    q_discovery: float = float("nan")
    q_confirmation: float = float("nan")
    extra: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def id(self) -> str:
        """Stable across runs: the metric and the slice, hashed."""
        return test_id(self.metric, self.parts)

    @property
    def slice_text(self) -> str:
        return " and ".join(f"{a} = {v}" for a, v in self.parts)


def test_id(metric: str, parts: list[tuple[str, str]]) -> str:
    """The id of a test (and of the finding that cites it)."""
    text = metric + "|" + "|".join(f"{a}={v}" for a, v in sorted(parts))
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


class TestLedger:
    """Every test of a run, with BH q-values over all of them (both halves separately)."""

    def __init__(self) -> None:
        self.tests: dict[str, SliceTest] = {}

    def __len__(self) -> int:
        return len(self.tests)

    def add(self, test: SliceTest) -> SliceTest:
        """Record ``test`` (a repeat of a known test returns the stored one) and requalify."""
        known = self.tests.get(test.id)
        if known is not None:
            return known
        self.tests[test.id] = test
        self.requalify()
        return test

    def add_many(self, tests: list[SliceTest]) -> None:
        """Record many tests, requalifying once."""
        for t in tests:
            self.tests.setdefault(t.id, t)
        self.requalify()

    def requalify(self) -> None:
        """Recompute every q value over the whole ledger."""
        tests = list(self.tests.values())
        q_d = bh_qvalues(np.array([t.discovery.p for t in tests], dtype=float))
        q_c = bh_qvalues(np.array([t.confirmation.p for t in tests], dtype=float))
        for t, qd, qc in zip(tests, q_d, q_c, strict=True):
            t.q_discovery, t.q_confirmation = float(qd), float(qc)

    def get(self, test_id: str) -> SliceTest | None:
        return self.tests.get(test_id)
