"""Where each facet filters and what it counts, declared once by the facet's definition.

A facet of ``POST /facets`` carries ``"filter": {"path", "key"?}`` (the place in the filter
JSON its values or range go: ``"sample"`` conditions, ``"tags"`` (``any``), a ``labels``
entry's ``classes`` / ``score`` / ``where`` / ``type`` / ``track`` (a tracking evaluation's
condition: the facet's ``model``), the ``box_count`` list, a ``classifications`` entry's
``classes`` / ``score``; ``key``: the column, attribute or condition key inside that place) and ``"unit"`` (what its counts are numbers of). The lab reads them
instead of knowing facets by name. Whoever defines a facet declares its
:class:`FacetPlace` (:func:`register_facet_places`): the built-in facets beside their plan
(:mod:`..sql.facet_compute`), extensions with their facet provider. A facet nobody
declared answers ``"filter": null`` (counted, not filterable from the panel).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# The places of the filter JSON a facet can name (the filter parser's keys).
PATHS = (
    "sample",
    "tags",
    "labels.classes",
    "labels.score",
    "labels.where",
    "labels.type",
    "labels.track",
    "box_count",
    "classifications.classes",
    "classifications.score",
)
# The places that hold many conditions, one per key (a column or an attribute).
KEYED_PATHS = ("sample", "labels.where", "labels.track")
UNITS = ("samples", "objects", "image labels", "labels")


@dataclass(frozen=True)
class FacetPlace:
    """A facet kind's place in the filter and unit of its counts.

    ``name``: the facet's name, or a family's prefix ending in ``.`` (``fields.``);
    ``path``: one of :data:`PATHS`, None for a facet the filter has no place for (in a
    keyed place, :data:`KEYED_PATHS`, the facet's name is its key: a column or attribute)."""

    name: str
    path: str | None
    unit: str

    def __post_init__(self) -> None:
        if self.path is not None and self.path not in PATHS:
            raise ValueError(f"not a filter place: {self.path!r}")
        if self.unit not in UNITS:
            raise ValueError(f"not a facet unit: {self.unit!r}")


_PLACES: dict[str, FacetPlace] = {}


def register_facet_places(*places: FacetPlace) -> None:
    """Declare the places of a definer's facets (again with an equal place: a no-op)."""
    for place in places:
        _PLACES[place.name] = place


def place_of(name: str) -> FacetPlace | None:
    """The declared place of facet ``name``: its own, else its family's (``fields.``)."""
    found = _PLACES.get(name)
    if found is None and "." in name:
        found = _PLACES.get(name.split(".", 1)[0] + ".")
    return found


def described(entry: dict[str, Any]) -> dict[str, Any]:
    """A copy of facet ``entry`` with its ``filter`` and ``unit``."""
    place = place_of(entry["name"])
    if place is None or place.path is None:
        where = None
    else:
        where = {
            "path": place.path,
            **({"key": _key_of(entry["name"], place)} if place.path in KEYED_PATHS else {}),
        }
    return {**entry, "filter": where, "unit": place.unit if place else "samples"}


def _key_of(name: str, place: FacetPlace) -> str:
    """The key of facet ``name`` in its keyed place: its name, or in a family's place of
    a condition of its own (``labels.track``) the name after the family's prefix."""
    if place.path == "labels.track" and name.startswith(place.name):
        return name[len(place.name) :]
    return name
