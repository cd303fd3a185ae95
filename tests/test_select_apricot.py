"""Facility location against apricot-select (issue #49's reference): on the same similarity
matrix, ``representativeness`` makes apricot's greedy choice, in the same order, and so
reaches the same objective."""

from __future__ import annotations

import apricot
import numpy as np
import pytest

from visionlens_jlab.select.greedy import Weighted, choose
from visionlens_jlab.select.vector_cover import (
    Representativeness,
    facility_objective,
    similarity,
)
from visionlens_jlab.select.vector_space import unit_rows


@pytest.mark.parametrize("seed", [0, 1])
def test_representativeness_makes_apricots_choice(seed: int) -> None:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(6, 16)) * 3
    x = (centres[rng.integers(6, size=300)] + rng.normal(size=(300, 16))).astype(np.float32)
    sim = similarity(unit_rows(x), unit_rows(x)).astype(np.float64)
    k = 25
    theirs = apricot.FacilityLocationSelection(
        k, metric="precomputed", optimizer="naive", random_state=seed
    ).fit(sim)
    ours = choose(len(x), k, [Weighted(Representativeness(x))], seed=seed).positions
    assert ours.tolist() == np.asarray(theirs.ranking).tolist()
    assert facility_objective(x, ours) == pytest.approx(float(sim[:, theirs.ranking].max(1).sum()))
