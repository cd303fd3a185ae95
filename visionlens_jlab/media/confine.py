"""Which of a dataset's files a job may read: the media route's rule, applied to a list.

Every job, runner, plugin hook and export that reads a dataset's files (embeddings, in a
worker or a kernel; plugin sample fields; duplicate hashing; blind-spot attributes;
thumbnails) passes its ``(sample_id, location)`` items through :func:`confine` first and
reads only what comes out. The rule itself is :func:`.sources.resolve_within`, the function
the image route uses: no second copy. What is left out is counted, never opened, so a
refused file's existence is never revealed (no "missing" or "cannot identify" message).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from . import sources
from .errors import MediaAccessError, MediaNameError

MAX_EXAMPLES = 5


@dataclass
class Confined:
    """The items a job may read, and the sample ids it must skip (with counts)."""

    items: list[tuple[int, str]] = field(default_factory=list)
    """``(sample_id, location to read)``: resolved, inside the dataset's media root."""
    refused: int = 0
    """Outside the media root (``..``, an absolute path elsewhere, a symlink out of it)."""
    bad_names: int = 0
    """Names no file system can hold (a NUL byte, too long)."""
    refused_examples: list[int] = field(default_factory=list)
    bad_name_examples: list[int] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """The counts and example sample ids every job result carries, under fixed keys."""
        return {
            "refused": self.refused,
            "refused_examples": list(self.refused_examples),
            "bad_names": self.bad_names,
            "bad_name_examples": list(self.bad_name_examples),
        }


def confine(
    items: Iterable[tuple[int, str]],
    media_root: str,
    tick: Callable[[int], None] | None = None,
) -> Confined:
    """Split ``(sample_id, location)`` items into those a job may read and those it skips.

    ``tick(n)`` is called every 1,024 items (a job checks for cancellation there).
    """
    out = Confined()
    for n, (sample_id, location) in enumerate(items):
        if tick is not None and n % 1024 == 0:
            tick(n)
        try:
            out.items.append((int(sample_id), sources.resolve_within(location, media_root)))
        except MediaNameError:
            out.bad_names += 1
            if len(out.bad_name_examples) < MAX_EXAMPLES:
                out.bad_name_examples.append(int(sample_id))
        except MediaAccessError:
            out.refused += 1
            if len(out.refused_examples) < MAX_EXAMPLES:
                out.refused_examples.append(int(sample_id))
    return out
