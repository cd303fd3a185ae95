"""The notebook call that reproduces a view of the grid (every view as code).

The samples page answers with this text in ``code``; the grid shows it with a copy button.
Run in a notebook, the call returns the page's rows: the same filter compiles to the same
SQL, and :func:`~.export_queries.export_samples` sorts as
:func:`~.queries.samples_page` does (same key, NULLs last, ties by sample id).
``POST .../selection-code`` answers :func:`select_code`: the grid's selection as code.
"""

from __future__ import annotations

from .filter_model import Filter
from .sample_sort import SampleSort

MAX_CODE_IDS = 1000
"""Past this many ``ids`` in the filter or the selection there is no code: the call would
be a wall of numbers, and every page of the view would carry it."""


def samples_code(dataset: str, flt: Filter, sort: SampleSort) -> str | None:
    """``vl.dataset(...).samples(filter=..., sort=..., order=...)`` for this view
    (arguments at their default are left out; the filter as the request wrote it, the sort
    by its word); None for a filter of over :data:`MAX_CODE_IDS` ids."""
    if flt.ids_list is not None and len(flt.ids_list) > MAX_CODE_IDS:
        return None
    args: list[str] = []
    if flt.raw:
        args.append(f"filter={flt.raw!r}")
    word, order = sort.words
    if word is not None:
        args.append(f"sort={word!r}")
        if order == "desc":
            args.append("order='desc'")
    return f"vl.dataset({dataset!r}).samples({', '.join(args)})"


def select_code(
    dataset: str, ids: list[int] | None = None, flt: Filter | None = None
) -> str | None:
    """``session = vl.open(...)`` then ``session.select(...)``: the call that selects in
    the panels what they have selected now. ``ids`` (an explicit selection) become a sorted
    list; else ``flt`` (the selection "all matching the filter") is passed as the filter
    dict the request wrote. None for no selection or over :data:`MAX_CODE_IDS` ids."""
    if ids is not None:
        if not ids or len(ids) > MAX_CODE_IDS:
            return None
        what = repr(sorted(int(i) for i in ids))
    else:
        what = repr(flt.raw if flt is not None else {})
    return f"session = vl.open({dataset!r})\nsession.select({what})"
