"""The memo of where samples' images are is kept per dataset: a tag write (or any write to
another dataset) keeps it; deleting or ingesting a dataset again drops that dataset's
entries. Real catalog, real writers."""

from __future__ import annotations

from pathlib import Path

import pytest

from visionlens_jlab.catalog import Catalog, NotFoundError
from visionlens_jlab.catalog.writes.dataset_writer import write_dataset
from visionlens_jlab.catalog.writes.sample_tags import update_tags
from visionlens_jlab.media.lookup import NEIGHBOURS, SampleMediaCache

from .catalog_fixtures import RowsSource

N = 4 * NEIGHBOURS  # more samples than one miss loads, so two windows do not overlap


def ingest(catalog: Catalog, name: str, root: str, n: int = N) -> list[int]:
    """Write ``n`` samples under ``root``; return their ids in file order."""
    samples = [
        {"file_name": f"{i}.jpg", "location": f"{root}/{i}.jpg", "width": 8, "height": 8}
        for i in range(n)
    ]
    source = RowsSource(samples, [], ["cat"], batch_size=n)
    source.media_root = root
    write_dataset(catalog, name, source)
    with catalog.cursor() as cur:
        rows = cur.execute(
            "SELECT sample_id FROM samples WHERE dataset_id = ? ORDER BY sample_id",
            [catalog.dataset_id(cur, name)],
        ).fetchall()
    return [int(r[0]) for r in rows]


def test_a_tag_write_keeps_the_locations_a_delete_and_a_new_ingest_drop_them(
    tmp_path: Path,
) -> None:
    with Catalog(tmp_path) as catalog:
        ids = ingest(catalog, "a", "/data/a")
        first, last = ids[0], ids[-1]  # more than one window apart
        memo = SampleMediaCache(catalog)
        assert memo.get("a", first).location == "/data/a/0.jpg"
        assert memo.get("a", last).location == f"/data/a/{N - 1}.jpg"
        assert memo.peek("a", last) is not None

        update_tags(catalog, "a", {}, add=["seen"])
        ingest(catalog, "b", "/data/b", n=3)  # a write to another dataset
        assert memo.peek("a", last) is None  # unconfirmed until the catalog is asked once
        assert memo.get("a", first).location == "/data/a/0.jpg"
        # ``last`` was loaded before the writes, by another window: it survived them
        assert memo.peek("a", last) == memo.get("a", last)

        catalog.delete_dataset("a")
        assert memo.peek("a", first) is None
        with pytest.raises(NotFoundError):
            memo.get("a", first)
        with pytest.raises(NotFoundError):
            memo.get("a", last)

        catalog.delete_dataset("b")  # the catalog is empty: a new ingest reuses the ids
        again = ingest(catalog, "a", "/other/a")
        assert again == ids
        assert memo.get("a", first).location == "/other/a/0.jpg"
        assert memo.get("a", last).location == f"/other/a/{N - 1}.jpg"
        assert memo.get("a", last).media_root == "/other/a"


def test_an_id_of_another_dataset_is_not_found(tmp_path: Path) -> None:
    with Catalog(tmp_path) as catalog:
        a = ingest(catalog, "a", "/data/a", n=5)
        b = ingest(catalog, "b", "/data/b", n=5)
        memo = SampleMediaCache(catalog)
        assert memo.get("a", a[0]).location == "/data/a/0.jpg"
        with pytest.raises(NotFoundError):
            memo.get("a", b[0])
        with pytest.raises(NotFoundError):
            memo.get("missing", a[0])


def test_a_jobs_samples_come_in_id_order_and_confined_to_the_media_root(tmp_path: Path) -> None:
    from visionlens_jlab.media.lookup import dataset_samples

    root = tmp_path / "media"
    root.mkdir()
    with Catalog(tmp_path / "data") as catalog:
        ids = ingest(catalog, "a", str(root), n=3)
        with catalog.write() as cur:  # one location that climbs out of the media root
            cur.execute(
                "UPDATE samples SET location = ? WHERE sample_id = ?", ["../elsewhere.jpg", ids[1]]
            )
        read = dataset_samples(catalog, "a", ("width", "split"))
        assert read.media_root == str(root)
        assert read.samples.column_names == ["sample_id", "location", "width", "split"]
        assert read.samples["sample_id"].to_pylist() == ids
        assert read.samples["width"].to_pylist() == [8, 8, 8]
        confined = read.confine()
        assert [i for i, _ in confined.items] == [ids[0], ids[2]]
        assert (confined.refused, confined.refused_examples) == (1, [ids[1]])
        with pytest.raises(ValueError, match="not a samples column to read: dataset_id"):
            dataset_samples(catalog, "a", ("dataset_id",))
        with pytest.raises(NotFoundError):
            dataset_samples(catalog, "nope")
