"""Reduction methods, their parameters, and the stable id of a map.

A map is identified by (dataset, vector space, method, parameters). Parameters are
validated and completed with their defaults here, so ``{"method": "umap"}`` and
``{"method": "umap", "params": {"n_neighbors": 15}}`` name the same map and hit the same
cache entry.
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any

METHODS = ("pca", "umap", "tsne")


class MapError(ValueError):
    """A map request that cannot be done, with a message meant for the user."""


_PCA_DIMS_HELP = "pca_dims (reduce to this many PCA dimensions first; 0 = no reduction)"

# name -> (default, kind, low, high, help); kind "int" | "optint" (int or null) | "float" |
# "metric"
_SPECS: dict[str, dict[str, tuple[Any, str, float, float, str]]] = {
    "pca": {},
    "umap": {
        "n_neighbors": (15, "int", 2, 200, "n_neighbors (neighbourhood size, 2..200)"),
        "min_dist": (0.1, "float", 0.0, 1.0, "min_dist (0..1)"),
        "n_epochs": (None, "optint", 10, 2000, "n_epochs (null = umap-learn's choice, 10..2000)"),
        "pca_dims": (50, "int", 0, 1024, _PCA_DIMS_HELP),
        "metric": ("auto", "metric", 0, 0, "metric ('auto', 'cosine' or 'euclidean')"),
        "seed": (None, "optint", 0, 2**31 - 1, "seed (null or an integer)"),
    },
    "tsne": {
        "perplexity": (30.0, "float", 2.0, 500.0, "perplexity (2..500)"),
        "n_iter": (500, "int", 50, 5000, "n_iter (optimisation iterations, 50..5000)"),
        "pca_dims": (50, "int", 0, 1024, _PCA_DIMS_HELP),
        "metric": ("auto", "metric", 0, 0, "metric ('auto', 'cosine' or 'euclidean')"),
        "seed": (42, "optint", 0, 2**31 - 1, "seed (null or an integer)"),
    },
}
METRICS = ("auto", "cosine", "euclidean")


def normalize_params(method: str, params: Any) -> dict[str, Any]:
    """The full, validated parameters of ``method`` (defaults filled in), or :class:`MapError`."""
    if method not in METHODS:
        raise MapError(f"unknown map method {method!r}: use one of {', '.join(METHODS)}")
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise MapError("'params' must be a JSON object")
    specs = _SPECS[method]
    unknown = sorted(set(params) - set(specs))
    if unknown:
        allowed = ", ".join(sorted(specs)) or "none"
        raise MapError(f"unknown {method} parameter(s) {unknown}; allowed: {allowed}")
    out: dict[str, Any] = {}
    for name, (default, kind, low, high, help_text) in specs.items():
        value = params.get(name, default)
        out[name] = _check(value, kind, low, high, help_text)
    return out


def _check(value: Any, kind: str, low: float, high: float, help_text: str) -> Any:
    if kind == "metric":
        if value not in METRICS:
            raise MapError(f"bad {help_text}: got {value!r}")
        return value
    if kind == "optint" and value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise MapError(f"bad {help_text}: got {value!r}")
    if kind in ("int", "optint"):
        if isinstance(value, float) and not value.is_integer():
            raise MapError(f"bad {help_text}: {value!r} is not an integer")
        value = int(value)
    else:
        value = float(value)
        if not math.isfinite(value):
            raise MapError(f"bad {help_text}: got {value!r}")
    if not low <= value <= high:
        raise MapError(f"bad {help_text}: {value!r} is out of range")
    return value


def map_id(dataset_id: int, space: str, method: str, params: dict[str, Any]) -> str:
    """A short, URL-safe id of the map of these (normalized) parameters."""
    canonical = json.dumps([dataset_id, space, method, params], sort_keys=True)
    return f"{method}-{hashlib.sha1(canonical.encode()).hexdigest()[:12]}"


def resolve_metric(params: dict[str, Any], distance: str) -> str:
    """The metric a reduction uses: ``auto`` follows the vector space's distance."""
    metric = str(params.get("metric", "auto"))
    if metric != "auto":
        return metric
    return "cosine" if distance in ("cosine", "dot") else "euclidean"
