"""``ds.import_embeddings(...)``: a DataFrame or an array of vectors, imported by the server.

The notebook writes them to a temporary file (Parquet for a table: a pandas or polars
DataFrame, a pyarrow Table; ``.npy`` plus a JSON list of keys for an array) and asks the server to import that file, the way
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
    data: Any,
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
        table = _as_table(data)
        if table is not None:
            if ids is not None:
                raise VisionLensError("ids= goes with an array; a DataFrame holds its keys")
            import pyarrow.parquet as pq

            body["source"] = os.path.join(folder, "vectors.parquet")
            pq.write_table(table, body["source"])
        else:
            try:
                matrix = np.asarray(data)
            except ValueError as exc:  # rows of several lengths: numpy's words, not ours
                raise VisionLensError(
                    f"the vectors are not one 2-D array ({exc}): give rows of one length, or "
                    "a DataFrame with a 'vector' column (a row of another length is then "
                    "reported, not imported)"
                ) from exc
            if ids is None:
                raise VisionLensError("an array holds no keys: give ids= (sample ids or names)")
            keys = [k.item() if isinstance(k, np.generic) else k for k in ids]
            if matrix.ndim >= 1 and len(keys) != len(matrix):  # the server would name temp files
                raise VisionLensError(
                    f"ids= has {len(keys)} keys for the {len(matrix)} rows of the array: give "
                    "one key a row, in the rows' order"
                )
            body["source"] = os.path.join(folder, "vectors.npy")
            body["ids"] = os.path.join(folder, "ids.json")
            np.save(body["source"], matrix)
            with open(body["ids"], "w", encoding="utf-8") as f:
                json.dump(keys, f)
        answer = client.post_json(
            dataset_path(dataset, "embeddings", "import"),
            {k: v for k, v in body.items() if v is not None},
        )
        return dict(job_result(client, answer["job"], "embeddings import", show=progress))


def _as_table(data: Any) -> Any:
    """``data`` as a pyarrow Table when it is a table (a pandas or polars DataFrame, a
    pyarrow Table), else None (an array)."""
    import pyarrow as pa

    if isinstance(data, pd.DataFrame):
        # None keeps a named index (df.set_index("file_name")): it can be the key column; a
        # RangeIndex goes to the file's pandas metadata, where the server reads it too
        return pa.Table.from_pandas(data, preserve_index=None)
    if isinstance(data, pa.Table):
        return data
    to_arrow = getattr(data, "to_arrow", None)  # polars' DataFrame (its Series gives an Array)
    table = to_arrow() if callable(to_arrow) and not isinstance(data, np.ndarray) else None
    return table if isinstance(table, pa.Table) else None
