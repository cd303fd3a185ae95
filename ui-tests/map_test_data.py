"""Embeddings for the map's UI and client tests, written before the server opens the store.

Until the embedding jobs are on this branch, nothing computes vectors through the
server, and only the process that owns a data directory may write its vector store.
So this runs before the Jupyter server starts (from ``jupyter_server_test_config.py``,
or from the jest test before it starts its server):

* ``demo DATA_DIR``: the demo dataset (``visionlens demo``, 300 images, made locally if
  missing) plus vectors where each sample sits in the blob of its most frequent
  ground-truth class, so the map shows class clusters;
* ``blobs DATA_DIR N``: a dataset ``blobs`` of N samples (no images) with clustered
  vectors (``tests/map_fixtures.py``).

Both do nothing when the dataset already has vectors.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from visionlens_jlab import cli  # noqa: E402
from visionlens_jlab.catalog import Catalog, NotFoundError  # noqa: E402
from visionlens_jlab.features import load as load_features  # noqa: E402
from visionlens_jlab.vectors import open_vector_store  # noqa: E402

MODEL, VERSION, DIM = "ui-test-embedder", "v1", 32


def _has_vectors(data_dir: Path, name: str) -> bool:
    load_features()  # the features' tables, before the catalog opens
    catalog = Catalog(data_dir)
    try:
        with catalog.cursor() as cur:
            dataset_id = catalog.dataset_id(cur, name)
    except NotFoundError:
        return False
    finally:
        catalog.close()
    store = open_vector_store(data_dir)
    try:
        return any(store.count(s.name, dataset_id) > 0 for s in store.spaces())
    finally:
        store.close()


def demo(data_dir: Path) -> None:
    """The 300-image demo with class-clustered vectors."""
    if _has_vectors(data_dir, "demo"):
        return
    code = cli.main(["demo", "--images", "300", "--name", "demo", "--data-dir", str(data_dir)])
    if code != 0:
        raise SystemExit(f"visionlens demo failed with exit code {code}")
    load_features()  # the features' tables, before the catalog opens
    catalog = Catalog(data_dir)
    try:
        with catalog.cursor() as cur:
            dataset_id = catalog.dataset_id(cur, "demo")
            rows = cur.execute(
                """SELECT s.sample_id, (SELECT first(a.label ORDER BY a.label) FROM annotations a
                       WHERE a.dataset_id = s.dataset_id AND a.sample_id = s.sample_id
                       AND a.source = 'ground_truth')
                   FROM samples s WHERE s.dataset_id = ? ORDER BY s.sample_id""",
                [dataset_id],
            ).fetchall()
    finally:
        catalog.close()
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    labels = sorted({str(r[1]) for r in rows})
    rng = np.random.default_rng(7)
    centres = rng.normal(size=(len(labels), DIM)) * 2.0
    which = np.array([labels.index(str(r[1])) for r in rows])
    vectors = (centres[which] + 0.5 * rng.normal(size=(len(ids), DIM))).astype(np.float32)
    store = open_vector_store(data_dir)
    try:
        space = store.ensure_space(MODEL, VERSION, DIM, "cosine")
        store.upsert(space.name, ids, vectors, dataset_id)
    finally:
        store.close()


def blobs(data_dir: Path, n: int) -> None:
    """Dataset ``blobs``: n samples, clustered vectors, no images."""
    if _has_vectors(data_dir, "blobs"):
        return
    from tests.map_fixtures import write_map_dataset

    load_features()  # the features' tables, before the catalog opens
    catalog = Catalog(data_dir)
    store = open_vector_store(data_dir)
    try:
        write_map_dataset(catalog, store, "blobs", n, dim=DIM)
    finally:
        store.close()
        catalog.close()


if __name__ == "__main__":
    what, target = sys.argv[1], Path(sys.argv[2])
    target.mkdir(parents=True, exist_ok=True)
    if what == "demo":
        demo(target)
    elif what == "blobs":
        blobs(target, int(sys.argv[3]))
    else:
        raise SystemExit(f"unknown data set {what!r}: use demo or blobs")
