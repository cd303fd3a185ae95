"""``exclude_labelled`` with the vector strategies when one sample has ground truth: that
one sample is never chosen and counts as chosen already (the first labelled row of the
loop's rows is as labelled as the others), so diversity's first picks are the clusters
without it, whatever the seed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.reads.queries import sample_ids
from visionlens_jlab.catalog.writes.dataset_writer import write_dataset
from visionlens_jlab.embed.imported import import_embeddings
from visionlens_jlab.select.request import parse_request
from visionlens_jlab.select.service import run_selection
from visionlens_jlab.vectors import open_vector_store

from .test_evaluate_classification import CLASSES, LabelsSource


def test_a_single_labelled_sample_counts_as_chosen(tmp_path: Path) -> None:
    cluster = np.repeat(np.arange(3), 10)
    gt = [{"sample_index": 4, "label": CLASSES[0]}]  # one sample of cluster 0
    # cluster 0 lies farthest from the others: were its labelled sample not counted, a
    # pick in cluster 1 or 2 would be followed by one in cluster 0
    centres = np.zeros((3, 16))
    centres[0, :2], centres[1, 0], centres[2, 1] = -1.0, 1.0, 1.0
    rng = np.random.default_rng(3)
    matrix = (centres[cluster] + 0.01 * rng.normal(size=(30, 16))).tolist()
    with Catalog(tmp_path / "data") as catalog, open_vector_store(tmp_path / "data") as store:
        write_dataset(catalog, "pics", LabelsSource(30, gt))
        ids = sample_ids(catalog, "pics", None).to_numpy()
        source = tmp_path / "v.parquet"
        pq.write_table(
            pa.table({"sample_id": ids, "vector": pa.array(matrix, pa.list_(pa.float32()))}), source
        )
        import_embeddings(None, catalog, store, "pics", "mine", str(source))
        for seed in range(5):
            body = {"count": 2, "strategies": "diversity", "exclude_labelled": True, "seed": seed}
            out = run_selection(catalog, store, "pics", parse_request(body))
            assert int(ids[4]) not in out["sample_ids"]
            assert set(cluster[np.searchsorted(ids, out["sample_ids"])]) == {1, 2}
            assert out["options"]["labelled_rows"] == 1 and out["options"]["candidates"] == 29
