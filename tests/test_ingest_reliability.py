"""Crash consistency (kill -9 mid-ingest) and concurrent ingests/reads on one catalog."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from tests.ingest_fixtures import count, ingest, write_coco
from visionlens_jlab.catalog import Catalog

REPO = Path(__file__).resolve().parents[1]

CHILD = textwrap.dedent(
    """
    import sys
    from visionlens_jlab.catalog import Catalog
    from visionlens_jlab.features import load
    from visionlens_jlab.ingest.open import open_dataset
    from visionlens_jlab.catalog.writes.dataset_writer import write_dataset

    def progress(fraction, message):
        print("progress", message, flush=True)

    load()  # as every entry point, before the catalog opens
    catalog = Catalog(sys.argv[1])
    write_dataset(catalog, "big", open_dataset(sys.argv[2]), progress=progress)
    print("done", flush=True)
    """
)


@pytest.fixture(scope="module")
def big_coco(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    path = tmp_path_factory.mktemp("coco") / "big.json"
    n = write_coco(path, 8_000, 7, polygon_points=4)
    return path, n


def test_kill_9_mid_ingest_leaves_nothing_and_reingest_works(
    tmp_path: Path, big_coco: tuple[Path, int]
) -> None:
    path, n_boxes = big_coco
    data = tmp_path / "data"
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(data), str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    assert proc.stdout is not None
    seen = 0
    for line in proc.stdout:  # wait until batches are being appended
        if (
            line.startswith("progress")
            and "objects" in line
            and not line.strip().endswith(" 0 objects")
        ):
            seen += 1  # a batch transaction has committed
            break
    assert seen, proc.stderr.read() if proc.stderr else ""
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    with Catalog(data, read_only=True) as catalog:  # read-only: no orphan cleanup
        assert catalog.list_datasets() == []
        assert count(catalog, "SELECT COUNT(*) FROM samples") > 0  # committed, invisible
    with Catalog(data) as catalog:
        assert catalog.list_datasets() == []
        assert count(catalog, "SELECT COUNT(*) FROM samples") == 0
        assert count(catalog, "SELECT COUNT(*) FROM annotations") == 0
        summary = ingest(catalog, "big", path)
        assert (summary.samples, summary.annotations) == (8_000, n_boxes)
        assert count(catalog, "SELECT MIN(sample_id) FROM samples") == 1


def test_two_ingests_at_once_and_reads_during_ingest(
    tmp_path: Path, big_coco: tuple[Path, int]
) -> None:
    path, n_boxes = big_coco
    small = tmp_path / "small.json"
    n_small = write_coco(small, 3_000, 5, seed=1)
    with Catalog(tmp_path / "data") as catalog:
        results: dict[str, object] = {}
        observed: list[tuple[int, int]] = []
        done = threading.Event()

        def run(name: str, source: Path) -> None:
            try:
                results[name] = ingest(catalog, name, source)
            except Exception as exc:
                results[name] = exc

        def read() -> None:
            while not done.is_set():
                with catalog.cursor() as cur:
                    # what read paths see: rows of datasets that have a datasets row
                    row = cur.execute(
                        "SELECT (SELECT COUNT(*) FROM samples WHERE dataset_id IN "
                        "(SELECT dataset_id FROM datasets)), (SELECT COUNT(*) FROM annotations "
                        "WHERE dataset_id IN (SELECT dataset_id FROM datasets))"
                    ).fetchone()
                assert row is not None
                observed.append((int(row[0]), int(row[1])))
                catalog.list_datasets()
                time.sleep(0.02)

        threads = [
            threading.Thread(target=run, args=("big", path)),
            threading.Thread(target=run, args=("small", small)),
        ]
        reader = threading.Thread(target=read)
        reader.start()
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
        done.set()
        reader.join(timeout=30)
        assert not isinstance(results["big"], Exception), results["big"]
        assert not isinstance(results["small"], Exception), results["small"]
        names = {d["name"]: d for d in catalog.list_datasets()}
        assert names["big"]["num_annotations"] == n_boxes
        assert names["small"]["num_annotations"] == n_small
        # a reader only ever saw whole datasets
        allowed = {(0, 0), (8_000, n_boxes), (3_000, n_small), (11_000, n_boxes + n_small)}
        assert observed and set(observed) <= allowed, set(observed) - allowed
        # ids never collide across the two datasets
        assert count(catalog, "SELECT COUNT(DISTINCT sample_id) FROM samples") == 11_000
        assert count(catalog, "SELECT COUNT(DISTINCT ann_id) FROM annotations") == n_boxes + n_small
        bad = count(
            catalog,
            "SELECT COUNT(*) FROM annotations a JOIN samples s USING (sample_id) WHERE a.dataset_id <> s.dataset_id",
        )
        assert bad == 0
