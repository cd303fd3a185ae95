"""Datasets as pandas DataFrames, read from the server's REST API (Arrow for tables)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..rest_client import RestClient, VisionLensError, dataset_path
from .bodies import Filter, filter_body
from .connection import client
from .edits import EditsMixin
from .embeddings import EmbeddingsMixin
from .frames import annotations_frame, classifications_frame, samples_frame
from .progress import job_result
from .server_jobs import ServerJobsMixin
from .videos import VideosMixin

COMPRESSION = "lz4"
"""Arrow buffer compression asked of the export endpoints (box tables shrink ~5x)."""


def datasets() -> pd.DataFrame:
    """One row per dataset: name, format, counts, model names, media root, creation time."""
    rows = client().get_json("datasets")["datasets"]
    columns = [
        "name",
        "format",
        "num_samples",
        "num_annotations",
        "num_categories",
        "models",
        "source",
        "media_root",
        "created_at",
    ]
    frame = pd.DataFrame(
        [{**r, "models": [m["name"] for m in r.get("models", [])]} for r in rows],
        columns=columns,
    )
    frame["created_at"] = pd.to_datetime(frame["created_at"])
    return frame


def dataset(name: str) -> Dataset:
    """The dataset called ``name`` (see :func:`datasets` for the names)."""
    if not isinstance(name, str) or not name:
        raise VisionLensError("dataset(name) needs a dataset name such as 'coco-val'")
    return Dataset(name)


class Dataset(EditsMixin, EmbeddingsMixin, ServerJobsMixin, VideosMixin):
    """A dataset on the server. Tables come back as DataFrames; nothing is cached locally."""

    def __init__(self, name: str, *, _client: RestClient | None = None) -> None:
        self._client = _client or client()
        self.name = name
        self._info = self._client.get_json(dataset_path(name))

    def __repr__(self) -> str:
        return (
            f"<Dataset {self.name!r}: {self.num_samples} samples, "
            f"{self._info.get('num_annotations', 0)} labels, models {self.models}>"
        )

    def __len__(self) -> int:
        return self.num_samples

    @property
    def info(self) -> dict[str, Any]:
        """The dataset record: counts, categories, models and the ingest report."""
        return self._info

    @property
    def num_samples(self) -> int:
        return int(self._info.get("num_samples", 0))

    @property
    def classes(self) -> list[str]:
        """Class names in the source's order."""
        return list(self._info.get("categories", []))

    @property
    def models(self) -> list[str]:
        """Names of the prediction models loaded on this dataset."""
        return [m["name"] for m in self._info.get("models", [])]

    def reload(self) -> Dataset:
        """Fetch the dataset record again (after new predictions, tags...)."""
        self._info = self._client.get_json(dataset_path(self.name))
        return self

    def samples(
        self, filter: Filter | None = None, sort: str | None = None, order: str = "asc"
    ) -> pd.DataFrame:
        """The samples matching ``filter`` (the REST filter JSON), in id order, or sorted by
        ``sort`` (any sample field, ``box_count.<source>``, ``box_max.score.<model>``...;
        ``order`` ``'asc'`` or ``'desc'``) exactly as the grid sorts them.

        Columns: sample_id, file_name, location, width, height, split, source_image_id,
        tags (list), fields (dict) and ``box_count.<source>`` for ground truth and each model.
        """
        table = self._client.post_arrow(
            dataset_path(self.name, "export", "samples"),
            {
                "filter": filter_body(filter),
                "sort": sort,
                "order": order,
                "compression": COMPRESSION,
            },
        )
        return samples_frame(table)

    def annotations(
        self,
        filter: Filter | None = None,
        source: str | None = None,
        evaluation: str | None = None,
    ) -> pd.DataFrame:
        """The boxes of the samples matching ``filter``, with their evaluation status.

        ``source``: ``None`` (all), ``"ground_truth"``, ``"predictions"`` (every model) or a
        model name. Every annotation column comes back, plus ``eval_status`` (tp, fp, fn,
        ignored), ``eval_iou``, ``eval_matched_ann_id``, ``eval_error_type`` and
        ``eval_confused_with`` from the latest evaluation (null when not evaluated): a
        prediction's own model's, a ground-truth box's from ``evaluation`` (a model name)
        or from the only evaluated model. Labels beyond the box: ``mask`` (COCO compressed
        RLE ``{"size": [h, w], "counts": str}`` for ``pycocotools.mask.decode``, None without
        a mask), ``keypoints`` (flat x, y, v), ``num_keypoints``, ``mask_area``, and the
        image's ``image_width`` / ``image_height``.
        """
        for name, value in (("source", source), ("evaluation", evaluation)):
            if value is not None and not isinstance(value, str):
                raise VisionLensError(f"{name} must be a string such as a model name")
        table = self._client.post_arrow(
            dataset_path(self.name, "export", "annotations"),
            {
                "filter": filter_body(filter),
                "source": source,
                "evaluation": evaluation,
                "compression": COMPRESSION,
            },
        )
        return annotations_frame(table)

    def classifications(
        self, filter: Filter | None = None, source: str | None = None
    ) -> pd.DataFrame:
        """The image-level labels of the samples matching ``filter``: sample_id, source,
        label, score (None for ground truth) and scores (per-class scores, or None).

        ``source``: ``None`` (all), ``"ground_truth"``, ``"predictions"`` or a model name.
        """
        if source is not None and not isinstance(source, str):
            raise VisionLensError("source must be a string such as a model name")
        table = self._client.post_arrow(
            dataset_path(self.name, "export", "classifications"),
            {"filter": filter_body(filter), "source": source, "compression": COMPRESSION},
        )
        return classifications_frame(table)

    def ids(self, filter: Filter | None = None) -> np.ndarray:
        """The sample ids matching ``filter`` (sorted int64 array)."""
        table = self._client.post_arrow(
            dataset_path(self.name, "ids"), {"filter": filter_body(filter)}
        )
        if table.num_columns == 0:
            return np.empty(0, dtype=np.int64)
        return table.column(0).to_numpy().astype(np.int64, copy=False)

    def count(self, filter: Filter | None = None) -> int:
        """How many samples match ``filter``."""
        body = self._client.post_json(
            dataset_path(self.name, "samples", "query"), {"filter": filter_body(filter), "limit": 0}
        )
        return int(body["total"])

    def tag(
        self, tags: Iterable[str], filter: Filter | None = None, *, remove: Iterable[str] = ()
    ) -> int:
        """Add (and remove) tags on the samples matching ``filter``; returns how many."""
        body = self._client.post_json(
            dataset_path(self.name, "tags"),
            {"filter": filter_body(filter), "add": list(tags), "remove": list(remove)},
        )
        return int(body["updated"])

    def select(
        self, count: int, strategies: str | list[str] | None = None, *,
        filter: Filter | None = None, progress: bool = True, **options: Any,
    ) -> pd.DataFrame:  # fmt: skip
        """Choose ``count`` samples to label next inside ``filter`` by ``strategies``
        (``"diversity,uncertainty:2"``), tag them and store the run, as a server job (what
        ``visionlens select`` does). ``options``: ``space``, ``exclude_tags``,
        ``exclude_labelled``, ``tag``, ``seed``, ``version``, ``balance_field``,
        ``balance_target``, ``models``, ``reference_tag``. Returns sample_id, rank, score
        and a column per strategy, in the order chosen; ``.attrs`` the record (id, tag...)."""
        from .selection import select_frame

        return select_frame(self._client, self.name, count, strategies, filter=filter,
                            progress=progress, **options)  # fmt: skip

    def image_quality(self) -> pd.DataFrame:
        """Score every image for cleanvision's issue types (dark, light, blurry,
        low_information, odd_aspect_ratio, odd_size, grayscale); runs as a server job and
        waits for it. Returns one row per issue type: ``issue, count, threshold,
        score_field, flag_field``; ``.attrs`` holds the full ``thresholds`` and ``code``.
        The samples get ``computed.quality_<issue>_score`` and ``computed.is_<issue>_issue``
        (filter with ``{"computed.is_dark_issue": {"eq": "true"}}``, sort by the score)."""
        answer = self._client.post_json(dataset_path(self.name, "image-quality"), {})
        result = job_result(self._client, answer["job"], "image quality", poll=0.25)
        rows = [
            (e["issue"], e["count"], e["thresholds"].get("threshold"), e["score_field"],
             e["flag_field"])
            for e in result["issues"]
        ]  # fmt: skip
        frame = pd.DataFrame(
            rows, columns=["issue", "count", "threshold", "score_field", "flag_field"]
        )
        frame.attrs.update(
            {"thresholds": {e["issue"]: e["thresholds"] for e in result["issues"]},
             "code": result["code"]}
        )  # fmt: skip
        return frame

    def blind_spots(
        self, model: str, *, min_n: int = 50, fdr: float = 0.05, agent: bool = False
    ) -> pd.DataFrame:
        """Run the blind-spot finder on ``model`` (a server job) and return its findings.

        One row per finding (index: finding id): summary, metric, value vs baseline, effect
        with its bootstrap CI, q, n, the grid filter, evidence sample ids, the Python call.
        """
        from .blindspots import findings_frame, run_blind_spots

        body = {"model": model, "min_n": min_n, "fdr": fdr, "agent": agent}
        return findings_frame(
            run_blind_spots(self._client, dataset_path(self.name, "blindspots"), body)
        )

    def label_quality(
        self,
        model: str,
        *,
        thresholds: Mapping[str, float] | None = None,
        iou: str = "auto",
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Score every label against ``model``'s predictions (a server job) and return
        ``(boxes, images)``: one row per ground-truth and predicted object (annotation_id,
        sample_id, source, issue: overlooked / swapped / badly_located / spurious, score;
        lower = more likely wrong) and one per image (sample_id, score), worst first. The
        samples also get the fields ``computed.lq_score`` and ``computed.lq_<issue>``.
        ``iou``: ``mask``, ``box`` or ``auto`` (mask IoU when both sides have masks).
        """
        from .label_quality import label_quality_frames

        path = dataset_path(self.name, "label-quality")
        return label_quality_frames(self._client, path, model, dict(thresholds or {}), iou=iou)

    def patches(
        self,
        filter: Filter | None = None,
        *,
        kind: str = "objects",
        source: str = "ground_truth",
        model: str | None = None,
        statuses: Iterable[str] | None = None,
        sort: str | None = None,
        order: str | None = None,
        offset: int = 0,
        limit: int | None = None,
        lq_model: str | None = None,
        evaluation: str | None = None,
    ) -> pd.DataFrame:
        """The objects of the view ``filter`` as a DataFrame, one row per object (the patches
        view): ``kind='objects'`` the boxes of ``source`` (ground truth or a model),
        ``kind='evaluation'`` the latest evaluation of ``model`` (``statuses`` of tp / fp /
        fn, with iou and the matched box). ``sort``: a box field, ``iou``, ``lq_score``,
        ``lq_<issue>`` or ``attributes.<key>``; ``limit`` None reads every object.
        ``evaluation``: an evaluation's key or a model (its latest): of evaluation patches,
        the evaluation they are of; of objects, each row's ``status`` in it.
        ``attrs['total']``: how many objects the view has."""
        from .patches import patches_frame

        body: dict[str, Any] = {
            "filter": filter_body(filter), "kind": kind, "source": source, "model": model,
            "statuses": None if statuses is None else list(statuses), "sort": sort,
            "order": order, "offset": offset, "limit": limit, "lq_model": lq_model,
            "evaluation": evaluation,
        }  # fmt: skip
        return patches_frame(self._client, dataset_path(self.name, "patches"), body)
