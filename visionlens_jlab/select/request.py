"""A selection request, checked once: what every surface (CLI, REST, notebook) builds.

Strategies are words ``name[:weight]`` (``diversity``, ``uncertainty:2``), given as one
comma-separated string or a list; a bad word is refused with a message that names it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..catalog.base.errors import CatalogError
from ..catalog.query.filter_model import Filter
from ..catalog.query.filter_parser import parse_filter, sample_field_kind
from ..catalog.query.filters import FilterError
from ..catalog.tables.labels_view import parse_version

SCORE_WORDS = {
    "balance": "equal (or target) shares of a class or sample field among the chosen",
    "uncertainty": "the model's uncertainty (classification: entropy; detection: low or "
    "conflicting box scores)",
    "entropy": "entropy of the model's class probabilities",
    "margin": "1 - (top probability - second probability)",
    "disagreement": "how much two models' predictions disagree",
    "label_quality": "suspected label errors first (low label-quality score)",
    "image_quality": "suspected image problems first (low image-quality score)",
    "random": "a seeded random order (the reference)",
}
"""The strategies that need no vectors (:mod:`.score_gains`)."""
VECTOR_WORDS = {
    "diversity": "far from everything chosen (k-center greedy)",
    "typicality": "dense regions first (TypiClust)",
    "coverage": "cover the most uncovered neighbours (ProbCover)",
    "representativeness": "facility location over the candidates",
    "similar": "close to the samples of the reference tag",
    "unlike": "far from the samples of the reference tag",
}
"""The strategies over an embedding space's vectors (:mod:`.vector_gains`)."""
WORDS = {**SCORE_WORDS, **VECTOR_WORDS}
DEFAULT_STRATEGIES = "diversity"
MAX_COUNT = 1_000_000
MAX_SEED = 2**63 - 1
"""The largest seed: the record keeps it as a BIGINT (a larger one failed at the write,
after the whole run)."""


class SelectionError(FilterError):
    """A request that cannot run (an HTTP 400, a CLI usage error)."""


@dataclass(frozen=True)
class SelectionRequest:
    """A checked request: ``strategies`` are ``(word, weight)`` pairs; ``filter`` the typed
    filter (its ``raw`` JSON is what the record keeps); ``tag`` None: ``selected-<id>``."""

    count: int
    strategies: tuple[tuple[str, float], ...]
    filter: Filter = field(default_factory=Filter)
    space: str | None = None
    exclude_tags: tuple[str, ...] = ()
    exclude_labelled: bool = False
    tag: str | None = None
    seed: int = 0
    version: int | None = None
    balance_field: str = "class"
    balance_target: Mapping[str, float] | None = None
    models: tuple[str, ...] = ()
    reference_tag: str | None = None

    @property
    def needs_vectors(self) -> bool:
        """Whether a strategy reads the embedding space."""
        return any(word in VECTOR_WORDS for word, _ in self.strategies)

    def words(self) -> list[str]:
        """The strategies as the words that name them (``diversity:2``)."""
        return [f"{w}:{weight:g}" if weight != 1 else w for w, weight in self.strategies]


def parse_strategies(value: str | Sequence[str] | None) -> tuple[tuple[str, float], ...]:
    """``"diversity,uncertainty:2"`` (or a list of words) as ``(word, weight)`` pairs."""
    raw = DEFAULT_STRATEGIES if value is None or value == "" else value
    if not isinstance(raw, str | list | tuple):  # a number or an object (the notebook's)
        raise SelectionError(
            f"'strategies' must be words name[:weight] (a string or a list), got {raw!r}"
        )
    items = raw.split(",") if isinstance(raw, str) else list(raw)
    out: dict[str, float] = {}
    for item in items:
        if not isinstance(item, str) or not item.strip():
            raise SelectionError(f"a strategy must be a word name[:weight], got {item!r}")
        name, _, weight_text = item.strip().partition(":")
        if name not in WORDS:
            raise SelectionError(
                f"unknown strategy {item.strip()!r} (known: {', '.join(sorted(WORDS))})"
            )
        try:
            weight = float(weight_text) if weight_text else 1.0
        except ValueError:
            raise SelectionError(
                f"strategy {item.strip()!r}: the weight after ':' must be a number"
            ) from None
        if not weight > 0 or weight == float("inf"):
            raise SelectionError(f"strategy {item.strip()!r}: the weight must be above 0")
        if name in out:
            raise SelectionError(f"strategy {name!r} is given twice")
        out[name] = weight
    return tuple(out.items())


def _storable(text: str) -> bool:
    """Whether the catalog can store ``text``: a lone surrogate (which a JSON ``\\uXXXX``
    escape can carry) failed the job at its first write, with DuckDB's encoding message."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _strings(value: Any, what: str) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else (value or [])
    if not isinstance(items, list | tuple) or not all(
        isinstance(t, str) and t and _storable(t) for t in items
    ):
        raise SelectionError(f"{what} must be a list of non-empty strings (valid Unicode)")
    return tuple(items)


def _name(body: Mapping[str, Any], key: str) -> str | None:
    """The optional name ``body[key]`` (empty: absent); a number or a list was used as it
    was (a balance field of 5 failed the job with an AttributeError)."""
    value = body.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not _storable(value):
        raise SelectionError(f"{key!r} must be a string (valid Unicode), got {value!r}")
    return value


def parse_request(body: Mapping[str, Any]) -> SelectionRequest:
    """The request of a JSON body (the REST request's keys; the CLI and the notebook build
    the same); :class:`SelectionError` (or the filter's :class:`FilterError`) for the first
    problem."""
    count = body.get("count")
    if isinstance(count, bool) or not isinstance(count, int) or not 0 < count <= MAX_COUNT:
        raise SelectionError(f"'count' must be a whole number from 1 to {MAX_COUNT:,}")
    seed = body.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise SelectionError(f"'seed' must be a whole number from 0 to {MAX_SEED:,}")
    target = body.get("balance_target")
    if target is not None and (
        not isinstance(target, Mapping)
        or not target
        # a key no column can store (a lone surrogate) failed the run at its record's write
        or not all(isinstance(k, str) and _storable(k) for k in target)
        # an infinite share (JSON's Infinity parses) made every share inf/inf = NaN: nothing chosen
        or not all(isinstance(v, int | float) and 0 <= v < math.inf for v in target.values())
        or not any(v > 0 for v in target.values())
    ):
        raise SelectionError(
            "'balance_target' must map values to finite shares >= 0 (some above 0)"
        )
    tag = body.get("tag")
    if tag is not None and (
        not isinstance(tag, str) or not 0 < len(tag) <= 200 or not _storable(tag)
    ):
        raise SelectionError("'tag' must be a string of 1 to 200 characters (valid Unicode)")
    models = _strings(body.get("models"), "'models'")
    exclude_labelled = body.get("exclude_labelled", False)
    if not isinstance(exclude_labelled, bool | None):  # "no" read as true: nothing to choose
        raise SelectionError(f"'exclude_labelled' must be true or false, got {exclude_labelled!r}")
    try:
        version = parse_version(body.get("version"))
    except CatalogError as exc:
        raise SelectionError(str(exc)) from exc
    request = SelectionRequest(
        count=count,
        strategies=parse_strategies(body.get("strategies")),
        filter=parse_filter(body.get("filter")),
        space=_name(body, "space"),
        exclude_tags=_strings(body.get("exclude_tags"), "'exclude_tags'"),
        exclude_labelled=bool(exclude_labelled),
        tag=tag,
        seed=seed,
        version=version,
        balance_field=_name(body, "balance_field") or "class",
        balance_target=dict(target) if target is not None else None,
        models=models,
        reference_tag=_name(body, "reference_tag"),
    )
    words = {w for w, _ in request.strategies}
    if "disagreement" in words and len(models) not in (0, 2):
        raise SelectionError("'disagreement' compares two models: give 'models' two names")
    if "disagreement" in words and len(models) == 2 and models[0] == models[1]:
        # a model agrees with itself everywhere: every score 0, the choice was id order
        raise SelectionError(f"'disagreement' compares two models: {models[0]!r} is named twice")
    if "balance" in words and request.balance_field != "class":
        # an unknown field (a typo, or text posing as SQL) is a 400 here, not a failed job
        sample_field_kind(request.balance_field)
    if words & {"similar", "unlike"} and request.reference_tag is None:
        raise SelectionError("'similar' and 'unlike' need 'reference_tag': the tag of the set")
    return request
