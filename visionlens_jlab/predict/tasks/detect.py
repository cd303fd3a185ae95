"""``--task detect``: an object detector's boxes, as a prediction set named after the run."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .model import ModelTask
from .protocol import PREDICTIONS, BatchArgs

if TYPE_CHECKING:
    from ...catalog import Catalog
    from ..base import PredictOptions
    from ..writers import ResultWriter


class Detect(ModelTask):
    """A transformers detector (open-vocabulary ones prompted with the class names) or a
    torchvision one: ``(sample_id, label, x, y, w, h, score)`` rows."""

    name = "detect"
    effects = frozenset({PREDICTIONS})
    min_score = 0.3
    result_kind = "boxes"

    def load(self, request: dict[str, Any], device: str) -> Any:
        """:func:`~..loading.load_detector`."""
        from ..loading import load_detector

        dtype = request.get("dtype") or "auto"
        return load_detector(request["model"], device, request.get("classes"), dtype)

    def batch(self, model: Any, prepared: Any, args: BatchArgs) -> list[Any]:
        """:func:`~..stream.detect`."""
        from ..stream import detect

        return detect(model, prepared, args.prompts, args.min_score)

    def writer(self, catalog: Catalog, dataset_id: int, options: PredictOptions) -> ResultWriter:
        """Boxes into a prediction set."""
        from ..writers import PredictionSetWriter

        return PredictionSetWriter(catalog, dataset_id, options, labels=False)


DETECT = Detect()
