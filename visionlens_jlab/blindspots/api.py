"""``find_blind_spots``: the engine's whole run, as the CLI, REST job and notebook get it."""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any

from ..catalog.extensions.measured import has_attributes
from .engine import BlindSpotEngine, EngineOptions
from .findings import finding
from .ledger import SliceTest
from .metrics import MIN_EFFECT
from .results import computed_basis, save_result

if TYPE_CHECKING:
    from ..catalog import Catalog


def run_engine(engine: BlindSpotEngine) -> dict[str, Any]:
    """Test everything (if not done yet) and build the result of ``engine``'s ledger."""
    if not len(engine.ledger):
        engine.run()
    significant = [t for t in engine.ledger.tests.values() if engine.significant(t)]
    rejected = [
        {"test": t.id, "metric": t.metric, "slice": t.slice_text,
         "q": t.q_confirmation, "effect": t.confirmation.effect}
        for t in engine.ledger.tests.values()
        if t.source == "agent" and not engine.confirmed(t)
    ]  # fmt: skip
    groups = engine.groups(significant)
    findings = [finding(engine, g[0], g) for g in groups]
    findings.sort(key=lambda f: (f["q"] if f["q"] is not None else 1.0, -abs(f["effect"] or 0)))
    o = engine.options
    return {
        "dataset": engine.units.dataset,
        "model": engine.units.model,
        "eval_key": engine.units.eval_key,
        "findings": findings,
        "tested": len(engine.ledger),
        "rejected": rejected,
        "tests": tested_list(engine, groups),
        "params": {
            "min_n": o.min_n,
            "fdr": o.fdr,
            "seed": o.seed,
            "vlm_threshold": o.vlm_threshold,
        },
    }


def tested_list(engine: BlindSpotEngine, groups: list[list[SliceTest]]) -> list[dict[str, Any]]:
    """Every test of the ledger with its outcome, strongest confirmation z first.

    ``outcome`` is ``finding`` (a headline), ``grouped`` (the same units as a finding's
    headline) or ``rejected`` with the first rule it failed as ``reason``.
    """
    role = {t.id: "grouped" for g in groups for t in g[1:]}
    role.update({g[0].id: "finding" for g in groups})
    rows = []
    for t in engine.ledger.tests.values():
        c = t.confirmation
        outcome = role.get(t.id, "rejected")
        row = {"id": t.id, "metric": t.metric, "slice": t.slice_text, "source": t.source,
               "n": c.n, "effect": _round(c.effect), "q": _round(t.q_confirmation),
               "outcome": outcome}  # fmt: skip
        if outcome == "rejected":
            row["reason"] = rejection_reason(engine, t)
        rows.append((-abs(c.z) if math.isfinite(c.z) else 0.0, row))
    rows.sort(key=lambda r: r[0])
    return [r for _, r in rows]


def rejection_reason(engine: BlindSpotEngine, test: SliceTest) -> str:
    """The first rule of :meth:`BlindSpotEngine.confirmed` that ``test`` fails, in words."""
    o, d, c = engine.options, test.discovery, test.confirmation
    worse = engine.metrics[test.metric].worse
    if min(d.n, c.n) < o.min_n:
        return f"too few units (n < {o.min_n} in a half)"
    if not (test.q_discovery < o.fdr and test.q_confirmation < o.fdr):
        return f"not significant (q >= {o.fdr} in a half)"
    if worse * d.effect <= 0 or worse * c.effect <= 0:
        return "not worse than the rest"
    if worse * c.effect < MIN_EFFECT[test.metric]:
        return "effect below the minimum that counts"
    return "explained by a parent slice or by size and class"


def _round(x: float) -> float | None:
    return round(float(x), 6) if math.isfinite(x) else None


def find_blind_spots(
    catalog: Catalog,
    dataset: str,
    model: str,
    *,
    min_n: int = 50,
    fdr: float = 0.05,
    seed: int = 0,
    store: bool = True,
    vlm_threshold: float | None = None,
) -> dict[str, Any]:
    """Find ``model``'s blind spots on ``dataset`` (its latest evaluation) with the engine.

    Needs the dataset's attributes (:func:`~visionlens_jlab.blindspots.attributes.compute_attributes`);
    returns ``{"findings": [...], "tested": N, ...}`` and stores it as the last result.
    With ``vlm_threshold`` the VLM attributes calibrated usable at that kappa are sliced
    by too (:mod:`visionlens_jlab.predict.calibration`); their findings carry their kappa.
    """
    validate_options(min_n, fdr)
    started = time.monotonic()
    dataset_id, computed_over = computed_basis(catalog, dataset, model)
    if not has_attributes(catalog, dataset_id):
        from ..catalog import CatalogError

        raise CatalogError(
            f"dataset {dataset!r} has no measured attributes yet: run the attributes job "
            f"first (visionlens attributes {dataset})"
        )
    options = EngineOptions(min_n, fdr, seed, vlm_threshold=vlm_threshold)
    engine = BlindSpotEngine.open(catalog, dataset, model, options)
    result = run_engine(engine)
    result["seconds"] = round(time.monotonic() - started, 3)
    if store:
        save_result(catalog, dataset_id, model, result, computed_over)
    return result


def validate_options(min_n: Any, fdr: Any) -> None:
    """Raise ``CatalogError`` with a clear message for bad ``min_n`` / ``fdr``."""
    from ..catalog import CatalogError

    if isinstance(min_n, bool) or not isinstance(min_n, int) or min_n < 2:
        raise CatalogError(f"min_n must be an integer of at least 2, got {min_n!r}")
    if isinstance(fdr, bool) or not isinstance(fdr, int | float) or not 0 < fdr < 1:
        raise CatalogError(f"fdr must be a number between 0 and 1 (exclusive), got {fdr!r}")
