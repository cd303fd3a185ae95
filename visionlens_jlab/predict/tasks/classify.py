"""``--task classify``: zero-shot classification with an open_clip model, the class names
as prompts (:mod:`..zero_shot`), as a prediction set of image labels."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from .protocol import GPU_LANE, PREDICTIONS, BatchArgs

if TYPE_CHECKING:
    from ...catalog import Catalog
    from ..base import PredictOptions, WorkItem
    from ..writers import ResultWriter


class Classify:
    """``(sample_id, label, score, scores JSON)`` rows; the images are decoded at the
    model's input size, as for embeddings."""

    name = "classify"
    effects = frozenset({PREDICTIONS})
    yields = False
    lane = GPU_LANE
    min_score = 0.0
    batch_sizes: Mapping[str, int] = MappingProxyType({"cpu": 32, "cuda": 256})
    result_kind = "labels"
    takes_questions = False

    def load(self, request: dict[str, Any], device: str) -> Any:
        """The open_clip embedder (:func:`~visionlens_jlab.embed.registry.load_embedder`)."""
        from ...embed.registry import load_embedder
        from ..zero_shot import clip_spec

        spec = clip_spec(request["model"])
        return load_embedder(spec, device=device, dtype=request.get("dtype") or "auto")

    def batch(self, model: Any, prepared: Any, args: BatchArgs) -> list[Any]:
        """``model`` a :class:`~..zero_shot.ZeroShot`, ``prepared`` ``(ids, pixels)``."""
        ids, pixels = prepared
        return model.rows(ids, pixels)

    def stream(
        self, request: dict[str, Any], items: Sequence[WorkItem]
    ) -> Iterator[tuple[Any, ...]]:
        """:func:`~..zero_shot.classify_stream`."""
        from ..zero_shot import classify_stream

        yield from classify_stream(self, request, items)

    def on_cluster(self, request: dict[str, Any], device: str) -> Any:
        """:class:`~..ray_runner.ZeroShotBatches`."""
        from ..ray_runner import ZeroShotBatches

        return ZeroShotBatches(self, request, device)

    def writer(self, catalog: Catalog, dataset_id: int, options: PredictOptions) -> ResultWriter:
        """Image labels into a prediction set."""
        from ..writers import PredictionSetWriter

        return PredictionSetWriter(catalog, dataset_id, options, labels=True)


CLASSIFY = Classify()
