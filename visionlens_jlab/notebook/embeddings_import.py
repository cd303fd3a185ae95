"""``ds.import_embeddings(...)``: a DataFrame or an array of vectors, imported by the server.

The notebook writes them to a temporary file (Parquet for a DataFrame, ``.npy`` plus a JSON
list of keys for an array) and asks the server to import that file, the way
``visionlens embeddings-import`` does: one import, one report, whichever side starts it. The
server reads the file on this machine (inside its ``allowed_roots`` when those are set:
``tmp_dir`` picks the folder), and the file is deleted when the job ends.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from ..rest_client import RestClient, VisionLensError, dataset_path
from .progress import job_result


def import_embeddings(
    client: RestClient,
    dataset: str,
    data: pd.DataFrame | np.ndarray,
    *,
    space: str,
    ids: Iterable[Any] | None = None,
    key: str | None = None,
    vector_column: str | None = None,
    id_column: str | None = None,
    tmp_dir: str | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Import ``data`` into ``dataset``'s space ``space``; the job's report (see
    :meth:`~.dataset.Dataset.import_embeddings`)."""
    with tempfile.TemporaryDirectory(prefix="visionlens-import-", dir=tmp_dir) as folder:
        body: dict[str, Any] = {"space": space, "key": key, "vector_column": vector_column,
                                "id_column": id_column}  # fmt: skip
        if isinstance(data, pd.DataFrame):
            if ids is not None:
                raise VisionLensError("ids= goes with an array; a DataFrame holds its keys")
            import pyarrow as pa
            import pyarrow.parquet as pq

            body["source"] = os.path.join(folder, "vectors.parquet")
            pq.write_table(pa.Table.from_pandas(data, preserve_index=False), body["source"])
        else:
            matrix = np.asarray(data)
            if ids is None:
                raise VisionLensError("an array holds no keys: give ids= (sample ids or names)")
            body["source"] = os.path.join(folder, "vectors.npy")
            body["ids"] = os.path.join(folder, "ids.json")
            np.save(body["source"], matrix)
            keys = [k.item() if isinstance(k, np.generic) else k for k in ids]
            with open(body["ids"], "w", encoding="utf-8") as f:
                json.dump(keys, f)
        answer = client.post_json(
            dataset_path(dataset, "embeddings", "import"),
            {k: v for k, v in body.items() if v is not None},
        )
        return dict(job_result(client, answer["job"], "embeddings import", show=progress))
