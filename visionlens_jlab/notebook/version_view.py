"""A saved version of a dataset's labels, read-only, from a notebook: ``ds.version(2)``.

Its reads are the grid's (``version=N`` on the samples page, counts, facets, one sample and
the patches view's objects): the objects and their tags as they were at that version, through the same REST
routes and the server's one planner. It has no edit method; the server refuses an edit
that names a version.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..rest_client import RestClient, dataset_path
from .bodies import Filter, filter_body

PAGE_COLUMNS = ["sample_id", "file_name", "width", "height", "split", "tags", "annotations"]


class VersionView:
    """The labels of ``dataset`` at saved ``version`` (read-only)."""

    def __init__(self, client: RestClient, dataset: str, version: int) -> None:
        self._client = client
        self.dataset = dataset
        self.version = int(version)
        self.count()  # an unknown version is an error here, not at the first read

    def __repr__(self) -> str:
        return f"<VisionLens version {self.version} of {self.dataset!r} (read-only)>"

    def count(self, filter: Filter | None = None) -> int:
        """How many samples match ``filter`` on this version's labels."""
        return int(self._page(filter, 0, 0)["total"])

    def page(
        self,
        filter: Filter | None = None,
        offset: int = 0,
        limit: int = 100,
        sort: str | None = None,
        order: str = "asc",
    ) -> pd.DataFrame:
        """One page of the samples matching ``filter`` (sorted as the grid sorts), with
        their objects at this version (``annotations``: a list of dicts per sample)."""
        rows = self._page(filter, offset, limit, sort=sort, order=order)["samples"]
        return pd.DataFrame(rows, columns=PAGE_COLUMNS)

    def facets(self, filter: Filter | None = None) -> dict[str, Any]:
        """The facets (value counts, histograms) of the samples matching ``filter``."""
        body = {"filter": filter_body(filter), "version": self.version}
        return dict(self._client.post_json(dataset_path(self.dataset, "facets"), body))

    def sample(self, sample_id: int) -> dict[str, Any]:
        """One sample with its objects as they were at this version."""
        path = dataset_path(self.dataset, "samples", str(int(sample_id)))
        return dict(self._client.get_json(path, version=str(self.version)))

    def patches(
        self,
        filter: Filter | None = None,
        *,
        source: str = "ground_truth",
        sort: str | None = None,
        order: str | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> pd.DataFrame:
        """The objects of ``source`` in the view ``filter`` as they were at this version, one
        row per object (the patches view; ``limit`` None reads every object). Evaluation
        patches and label-quality scores judged the current labels: not here."""
        from .patches import patches_frame

        body: dict[str, Any] = {
            "filter": filter_body(filter), "kind": "objects", "source": source, "sort": sort,
            "order": order, "offset": offset, "limit": limit, "version": self.version,
        }  # fmt: skip
        return patches_frame(self._client, dataset_path(self.dataset, "patches"), body)

    def _page(self, filter: Filter | None, offset: int, limit: int, **sort: Any) -> Any:
        body = {"filter": filter_body(filter), "offset": offset, "limit": limit, **sort}
        body["version"] = self.version
        return self._client.post_json(dataset_path(self.dataset, "samples", "query"), body)
