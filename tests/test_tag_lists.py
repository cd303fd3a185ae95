"""Tag lists held in memory across tag writes (catalog/indexes/tag_lists.py): after random
sequences of tag writes and of every other kind of write, the lists a request uses are
exactly a fresh read's; a tag write patches them (no read by the next request); a request
never uses lists of other tokens than the ones its own statement read; the facets with
tags equal the SQL path's."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

import visionlens_jlab.catalog.indexes.tag_lists as tag_lists_module
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.indexes.box_index import box_index
from visionlens_jlab.catalog.indexes.tag_lists import TagLists, tag_lists
from visionlens_jlab.catalog.store.request_reads import reads_once
from visionlens_jlab.catalog.writes.dataset_writer import write_dataset, write_predictions
from visionlens_jlab.catalog.writes.sample_tags import update_tags

from .catalog_fixtures import PredictionRowsSource, RowsSource
from .random_rows import random_predictions, random_rows
from .test_facet_index import both

N = 300
CLASSES = [f"c{k}" for k in range(12)]
TAGS = ["a", "b", "c", "ñ", "B", "review"]
NAMES = ("one", "two", "three")


@pytest.fixture
def catalog(tmp_path: Any) -> Iterator[Catalog]:
    rnd = random.Random(3)
    cat = Catalog(tmp_path)
    for name in NAMES:
        samples, boxes = random_rows(rnd, N)
        write_dataset(cat, name, RowsSource(samples, boxes, CLASSES))
    yield cat
    cat.close()


def fresh(cat: Catalog, name: str) -> dict[int, Counter[str | None]]:
    """Every tagged sample's tags, read from the table now."""
    with cat.cursor() as cur:
        rows = cur.execute(
            "SELECT s.sample_id, s.tags FROM samples s JOIN datasets d USING (dataset_id) "
            "WHERE d.name = ? AND len(s.tags) > 0",
            [name],
        ).fetchall()
    return {int(i): Counter(tags) for i, tags in rows}


def as_read(lists: TagLists) -> dict[int, Counter[str | None]]:
    """The held lists in the same shape as :func:`fresh`."""
    out: dict[int, Counter[str | None]] = {}
    ids = lists.samples.ids[lists.positions]
    for sample_id, code in zip(ids.tolist(), lists.codes.tolist(), strict=True):
        out.setdefault(int(sample_id), Counter())[lists.values[code]] += 1
    return out


def request_lists(cat: Catalog, name: str) -> TagLists:
    """The lists a facets request of ``name`` uses now."""
    with cat.cursor() as cur, reads_once(cur):
        ds = cat.dataset_id(cur, name)
        boxes = box_index(cat, cur, ds)
        assert boxes is not None
        found = tag_lists(cat, cur, ds, boxes.samples)
    assert found is not None  # nothing writes while this test reads
    return found


def random_spec(rnd: random.Random) -> dict[str, Any] | None:
    """Which samples a random tag write touches."""
    return rnd.choice(
        [
            None,  # every sample
            {"ids": rnd.sample(range(1, 3 * N + 1), rnd.randint(0, 80))},  # some elsewhere
            {"ids": []},  # none: the benchmark's touch
            {"sample": {"split": {"in": [rnd.choice(["train", "val", "test"])]}}},
            {"tags": {"any": rnd.sample(TAGS, 2)}},
            {"labels": {"source": "ground_truth", "classes": rnd.sample(CLASSES, 2)}},
        ]
    )


def random_tag_write(rnd: random.Random, cat: Catalog, name: str) -> None:
    add = rnd.sample(TAGS, rnd.randint(0, 3))
    remove = rnd.sample(TAGS, rnd.randint(0, 2))
    update_tags(cat, name, random_spec(rnd), add=add, remove=remove)


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times the lists were read from the table."""
    count = [0]
    real = tag_lists_module._read

    def counting(*args: Any) -> Any:
        count[0] += 1
        return real(*args)

    monkeypatch.setattr(tag_lists_module, "_read", counting)
    return count


def test_random_tag_writes_patch_the_held_lists(catalog: Catalog, reads: list[int]) -> None:
    rnd = random.Random(7)
    for name in NAMES:
        assert as_read(request_lists(catalog, name)) == fresh(catalog, name)
    assert reads[0] == len(NAMES)
    for _ in range(60):
        name = rnd.choice(NAMES)
        random_tag_write(rnd, catalog, name)
        for other in NAMES:
            assert as_read(request_lists(catalog, other)) == fresh(catalog, other)
    assert reads[0] == len(NAMES)  # every write patched them: no request read them again


def new_model(cat: Catalog) -> None:
    rows = random_predictions(random.Random(3), N, 2, False)
    write_predictions(cat, "two", "m2", PredictionRowsSource(rows))


def unscoped_tags(cat: Catalog) -> None:  # no module's writer: repeated and NULL tags
    with cat.write() as cur:
        cur.execute("UPDATE samples SET tags = ['a', 'a', NULL, 'z'] WHERE sample_id % 7 = 0")


def recreated(cat: Catalog) -> None:  # the last dataset's id again, other rows
    cat.delete_dataset("three")
    samples, boxes = random_rows(random.Random(9), N // 2)
    write_dataset(cat, "three", RowsSource(samples, boxes, CLASSES))


def deleted_other(cat: Catalog) -> None:
    cat.delete_dataset("one")


@pytest.mark.parametrize("write", [new_model, unscoped_tags, recreated, deleted_other])
def test_other_writes_make_the_next_request_read(
    catalog: Catalog, reads: list[int], write: Any
) -> None:
    rnd = random.Random(13)
    for name in NAMES:
        random_tag_write(rnd, catalog, name)
        request_lists(catalog, name)
    read_before = reads[0]
    write(catalog)
    left = [n for n in NAMES if n != "one"] if write is deleted_other else list(NAMES)
    for name in left:
        assert as_read(request_lists(catalog, name)) == fresh(catalog, name)
    assert reads[0] > read_before or write is deleted_other
    for _ in range(20):  # and tag writes patch what was read after such a write
        name = rnd.choice(left)
        random_tag_write(rnd, catalog, name)
        assert as_read(request_lists(catalog, name)) == fresh(catalog, name)


def test_a_request_uses_only_the_lists_of_its_own_tokens(catalog: Catalog) -> None:
    held = request_lists(catalog, "one")
    with catalog.cursor() as cur, reads_once(cur):
        ds = catalog.dataset_id(cur, "one")
        boxes = box_index(catalog, cur, ds)
        assert boxes is not None
        mine = tag_lists(catalog, cur, ds, boxes.samples)  # its tokens read here, once
        assert mine is held
        before = fresh(catalog, "one")
        update_tags(catalog, "one", None, add=["new"])  # committed, held patched
        again = tag_lists(catalog, cur, ds, boxes.samples)
        assert again is None or as_read(again) == before  # never the newer lists
    after = request_lists(catalog, "one")
    assert after.label != held.label
    assert as_read(after) == fresh(catalog, "one") != before


def test_a_read_between_commit_and_patch_is_kept(
    catalog: Catalog, reads: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    request_lists(catalog, "one")
    real = tag_lists_module.patch_held

    def late(*args: Any) -> None:  # a request comes between the commit and the patch
        assert as_read(request_lists(catalog, "one")) == fresh(catalog, "one")
        real(*args)

    monkeypatch.setattr(tag_lists_module, "patch_held", late)
    update_tags(catalog, "one", {"ids": list(range(1, 50))}, add=["x"])
    monkeypatch.undo()
    read_before = reads[0]
    assert as_read(request_lists(catalog, "one")) == fresh(catalog, "one")
    assert reads[0] == read_before  # the writer kept what that request read


def test_facets_with_tags_answer_as_the_sql_path(
    catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    rnd = random.Random(17)
    specs: list[dict[str, Any]] = [
        {"tags": {"any": ["a", "ñ"]}},
        {"tags": {"all": ["a", "b"]}},
        {"tags": {"none": ["a"]}},
        {"sample": {"split": {"in": ["val"]}}},
        {"tags": {"any": ["review"]}, "labels": {"source": "ground_truth", "classes": ["c1"]}},
    ]
    for step in range(12):
        random_tag_write(rnd, catalog, "two")
        if step == 6:
            unscoped_tags(catalog)
        for spec in specs:
            fast, slow = both(catalog, "two", spec, monkeypatch)
            assert fast == slow, spec
