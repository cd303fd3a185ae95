"""What each export format writes of each kind of label, declared per kind.

A format declares a :class:`KindHooks`: for every object kind of
``records/label_kinds.json`` (:data:`~visionlens_jlab.records.label_kinds.OBJECT_KINDS`)
either a hook (the function, or the value, the format writes an object of that kind with)
or that it leaves the kind out. The declaration is checked when the format's module is
imported: a kind it does not mention, or a name that is no kind, is a :class:`ValueError`
naming them, so a new label kind cannot reach an exporter that says nothing about it.
Image-level kinds (classifications) are written by :mod:`.classification`, not here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from ..records.label_kinds import OBJECT_KINDS

H = TypeVar("H")


@dataclass(frozen=True)
class KindHooks(Generic[H]):
    """Format ``format``'s hook per object kind (by kind name), and the kinds it leaves out
    (those its files cannot hold; an object of such a kind is written without them)."""

    format: str
    hooks: Mapping[str, H]
    left_out: tuple[str, ...] = ()
    _order: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        kinds = [k.name for k in OBJECT_KINDS]
        named = [*self.hooks, *self.left_out]
        unknown = sorted(set(named) - set(kinds))
        if unknown:
            raise ValueError(
                f"the {self.format} export names label kinds that do not exist: "
                f"{', '.join(unknown)} (the kinds: {', '.join(kinds)})"
            )
        twice = sorted(set(self.hooks) & set(self.left_out))
        if twice:
            raise ValueError(
                f"the {self.format} export both writes and leaves out {', '.join(twice)}"
            )
        silent = [k for k in kinds if k not in named]
        if silent:
            raise ValueError(
                f"the {self.format} export does not say how it writes label kinds "
                f"{', '.join(silent)}: give each a hook or leave it out"
            )
        object.__setattr__(self, "_order", tuple(k for k in kinds if k in self.hooks))

    def hook(self, kind: str) -> H:
        """The hook of ``kind``; a :class:`KeyError` naming the kinds this format cannot
        write when it leaves ``kind`` out."""
        if kind not in self.hooks:
            raise KeyError(
                f"the {self.format} export cannot write {kind}: it leaves out "
                f"{', '.join(self.left_out)}"
            )
        return self.hooks[kind]

    def in_order(self) -> list[H]:
        """The hooks in the kinds' declared order (``label_kinds.json``)."""
        return [self.hooks[name] for name in self._order]

    def items(self) -> list[tuple[str, H]]:
        """``(kind name, hook)`` in the kinds' declared order."""
        return [(name, self.hooks[name]) for name in self._order]
