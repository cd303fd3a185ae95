"""The shared part of the tasks whose model loads through :mod:`..loading` (transformers
checkpoints, torchvision detectors) and whose batches go through :mod:`..stream`'s pipeline.

Imports of the machinery happen in the methods: the CLI and the options' checks read the
declarations without loading PIL, pyarrow or the catalog.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from .protocol import GPU_LANE, BatchArgs

if TYPE_CHECKING:
    from ...catalog import Catalog
    from ..base import PredictOptions, WorkItem
    from ..writers import ResultWriter


class ModelTask:
    """A task run by a loaded model over :class:`~..prepare.Prepared` batches; a subclass
    declares the rest of :class:`~.protocol.Task` and its :meth:`load` and :meth:`batch`."""

    name: str
    effects: frozenset[str]
    result_kind: str
    yields = False
    lane = GPU_LANE
    min_score = 0.0
    batch_sizes: Mapping[str, int] = MappingProxyType({"cpu": 4, "cuda": 32})
    takes_questions = False

    def stream(
        self, request: dict[str, Any], items: Sequence[WorkItem]
    ) -> Iterator[tuple[Any, ...]]:
        """The model held through the accelerator lease, run over ``items`` in batches."""
        from ..stream import model_stream

        yield from model_stream(self, request, items)

    def on_cluster(self, request: dict[str, Any], device: str) -> Any:
        """The loaded model, computing decoded images' batches (:mod:`..ray_runner`)."""
        from ..ray_runner import ModelBatches

        return ModelBatches(self, request, device)

    def load(self, request: dict[str, Any], device: str) -> Any:
        """Subclasses load their model (:mod:`..loading`)."""
        raise NotImplementedError

    def batch(self, model: Any, prepared: Any, args: BatchArgs) -> list[Any]:
        """Subclasses compute one batch (:mod:`..stream`)."""
        raise NotImplementedError

    def writer(self, catalog: Catalog, dataset_id: int, options: PredictOptions) -> ResultWriter:
        """Subclasses name their writer (:mod:`..writers`)."""
        raise NotImplementedError
