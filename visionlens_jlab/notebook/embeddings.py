"""The methods of :class:`~.dataset.Dataset` over its embeddings: its vector spaces,
embeddings imported from elsewhere, similarity search, duplicates and 2-D maps, each through
the server's REST API."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..rest_client import RestClient, dataset_path
from .bodies import Filter, filter_body, plain_json
from .progress import job_result
from .similarity import duplicates_frame, search_frame


class EmbeddingsMixin:
    """The embedding methods of :class:`~.dataset.Dataset`."""

    _client: RestClient
    name: str
    ids: Callable[..., np.ndarray]  # the Dataset's: a map's rows are its samples, in order

    def spaces(self) -> pd.DataFrame:
        """The dataset's vector spaces: space, model, version, dim, count, complete."""
        rows = self._client.get_json(dataset_path(self.name, "spaces"))["spaces"]
        columns = ["space", "model", "version", "dim", "count", "complete", "preprocessing"]
        return pd.DataFrame(rows, columns=[*columns, "updated_at"])

    def import_embeddings(
        self,
        data: Any,
        *,
        space: str,
        ids: Iterable[Any] | None = None,
        key: str | None = None,
        vector_column: str | None = None,
        id_column: str | None = None,
        progress: bool = True,
    ) -> dict[str, Any]:
        """Import embeddings computed elsewhere into the vector space ``space``, as a server
        job (what ``visionlens embeddings-import`` does): ``data`` a DataFrame (pandas or
        polars) or pyarrow Table with a ``vector`` (or ``embedding``) column beside ``sample_id``, ``image_id`` or ``file_name`` (a column or the DataFrame's index; or the
        columns ``vector_column`` and ``id_column`` name), or a 2-D array whose rows' keys
        are ``ids``. Returns the report: ``imported``, ``rejected`` (each kind of bad row,
        e.g. ``unknown_key``, ``zero_vector``: ``count`` and example keys), ``space``,
        ``dim``, ``seconds``. Search, maps and duplicates then take ``model=space``."""
        from .embeddings_import import import_embeddings

        return import_embeddings(
            self._client, self.name, data, space=space, ids=ids, key=key,
            vector_column=vector_column, id_column=id_column, progress=progress,
        )  # fmt: skip

    def search(
        self,
        text: str | None = None,
        like: Any = None,
        filter: Filter | None = None,
        k: int = 50,
        model: str | None = None,
    ) -> pd.DataFrame:
        """The ``k`` samples most similar to ``like`` (a sample id, an image path or a PIL
        image) or to ``text``, among those matching ``filter``: a DataFrame ``sample_id,
        score, file_name``, best first. ``.attrs["code"]`` is this call as text."""
        return search_frame(
            self._client, self.name, text=text, like=like, filter=filter_body(filter), k=k,
            model=model,
        )  # fmt: skip

    def duplicates(
        self,
        threshold: float = 0.95,
        *,
        exact: bool = False,
        model: str | None = None,
        hashes: bool = True,
    ) -> pd.DataFrame:
        """Find exact, perceptual and near duplicates (cosine >= ``threshold``) and leaks.

        Runs as a server job and waits for it. Returns the pairs (``sample_id,
        duplicate_id, kind, similarity, group``); ``.attrs`` holds ``groups``, ``counts``,
        ``leaks`` (val/test samples with a duplicate in train, a DataFrame) and ``code``.
        The samples also get the fields ``computed.dup_group``, ``computed.dup_count``,
        ``computed.nearest_similarity`` and ``computed.uniqueness`` for filters.
        """
        body = {"threshold": threshold, "exact": exact, "model": model, "hashes": hashes}
        return duplicates_frame(self._client, self.name, body)

    def maps(self) -> list[dict[str, Any]]:
        """The stored maps of this dataset: id, space, method, params, points, stale..."""
        return list(self._client.get_json(dataset_path(self.name, "maps"))["maps"])

    def map(
        self,
        method: str = "pca",
        *,
        space: str | None = None,
        params: Mapping[str, Any] | None = None,
        recompute: bool = False,
        timeout: float = 3600.0,
    ) -> pd.DataFrame:
        """The 2-D map of this dataset's embeddings as a DataFrame ``sample_id, x, y``.

        ``method``: ``"pca"``, ``"umap"`` or ``"tsne"``; ``params`` e.g.
        ``{"n_neighbors": 30}``. A stored map comes back at once; otherwise the server
        computes it as a job (visible in the jobs list) and this call waits for it.
        ``frame.attrs["map"]`` holds the map's descriptor (id, params, stale...).
        """
        body = {
            "method": method,
            "space": space,
            "params": plain_json(dict(params)) if params is not None else None,
            "recompute": recompute,
        }
        answer = self._client.post_json(dataset_path(self.name, "maps"), body)
        desc = answer.get("map") or job_result(
            self._client, answer["job"], "map", poll=0.2, timeout=timeout
        )
        points = self._client.get_arrow(
            dataset_path(self.name, "maps", desc["id"], "points"), format="arrow"
        )
        index = points.column("index").to_numpy().astype(np.int64)
        frame = pd.DataFrame(
            {
                "sample_id": self.ids()[index],
                "x": points.column("x").to_numpy(),
                "y": points.column("y").to_numpy(),
            }
        )
        frame.attrs["map"] = desc
        return frame
