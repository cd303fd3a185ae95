"""``--task vlm``: a VLM's closed answers to fixed questions, ``computed.vlm_<key>`` fields."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .model import ModelTask
from .protocol import FIELDS, BatchArgs

if TYPE_CHECKING:
    from ...catalog import Catalog
    from ..base import PredictOptions
    from ..writers import ResultWriter


class Vlm(ModelTask):
    """Per image, one of each question's answers (or ``unknown``), :mod:`..vlm`."""

    name = "vlm"
    effects = frozenset({FIELDS})
    result_kind = "answers"
    takes_questions = True

    def load(self, request: dict[str, Any], device: str) -> Any:
        """:func:`~..loading.load_image_text` as a VLM."""
        from ..loading import load_image_text

        return load_image_text(request["model"], "vlm", device, request.get("dtype") or "auto")

    def batch(self, model: Any, prepared: Any, args: BatchArgs) -> list[Any]:
        """:func:`~..stream.answer`."""
        from ..stream import answer

        return answer(model, prepared, args.questions)

    def writer(self, catalog: Catalog, dataset_id: int, options: PredictOptions) -> ResultWriter:
        """Answers into one computed field per question."""
        from ..writers import AnswersWriter

        return AnswersWriter(catalog, dataset_id, options)


VLM = Vlm()
