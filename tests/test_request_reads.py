"""Reads made once per request (catalog/store/request_reads.py): made once within a scope,
again outside or after ``forget``; and a path that reads less because of them (the eval
facets without the box index's mask) still answers as the SQL join."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pytest

import visionlens_jlab.catalog.store.token_cache as token_cache
import visionlens_jlab.evaluate.store as eval_store
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.reads import queries
from visionlens_jlab.catalog.store.request_reads import forget, read_once, reads_once
from visionlens_jlab.evaluate.eval_facet_index import current
from visionlens_jlab.evaluate.store import eval_facet_entries

from .test_facet_index import catalog  # noqa: F401 - the fixture
from .test_result_cache import plain


def test_a_read_is_made_once_per_scope(catalog: Catalog) -> None:  # noqa: F811
    made = []

    def read() -> int:
        made.append(1)
        return len(made)

    with catalog.cursor() as cur:
        assert [read_once(cur, "k", read) for _ in range(2)] == [1, 2]  # no scope: each
        with reads_once(cur):
            assert [read_once(cur, "k", read) for _ in range(3)] == [3, 3, 3]
            forget(cur, "k")
            assert read_once(cur, "k", read) == 4
        with reads_once(cur):  # a new request: read again
            assert read_once(cur, "k", read) == 5


@pytest.mark.parametrize("name", ["rich", "bare"])
def test_eval_facets_without_the_mask_after_the_label_was_read(
    catalog: Catalog,  # noqa: F811
    name: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The eval facets given only the table of filtered ids (no mask: the box index did
    not answer), in a request that read the latest evaluations already (the ``eval``
    filter's mask did): the same rows as the SQL join."""
    with catalog.cursor() as cur, reads_once(cur):
        ds = catalog.dataset_id(cur, name)
        assert current(cur, ds).evaluated  # the label, read once for the request
        ids = cur.execute("SELECT sample_id FROM samples WHERE dataset_id = ?", [ds]).fetchnumpy()
        cur.register("_picked", pa.table({"sample_id": np.asarray(ids["sample_id"])[::3]}))
        fast = eval_facet_entries(cur, ds, "_picked")
        with monkeypatch.context() as m:
            m.setattr(eval_store, "indexed_eval_rows", lambda *a: None)
            slow = eval_facet_entries(cur, ds, "_picked")
    assert fast == slow
    assert fast


def test_a_filtered_page_reads_the_tokens_once(
    catalog: Catalog,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A page from the box index's mask (catalog/plan/sorted_pages.py) asks for the row tokens
    for the box index, the field columns and the tag lists: one statement reads them."""
    made: list[object] = []
    real = token_cache.read_once

    def counting(cur: object, key: object, read: Callable[[], object]) -> object:
        def counted() -> object:
            made.append(key)
            return read()

        return real(cur, key, counted)  # type: ignore[arg-type]

    spec = {"tags": {"any": ["t1"]}, "sample": {"fields.weather": {"in": ["rain", "fog"]}}}
    with plain(catalog):
        first = queries.samples_page(catalog, "rich", spec, sort="width", limit=5)  # builds
        monkeypatch.setattr(token_cache, "read_once", counting)
        again = queries.samples_page(catalog, "rich", spec, sort="width", limit=5)
    assert again == first and again["total"] > 0
    assert len(made) == 1, made
