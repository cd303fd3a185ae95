"""``--task caption``: an image-text-to-text model's caption per image, ``computed.caption``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .model import ModelTask
from .protocol import FIELDS, BatchArgs

if TYPE_CHECKING:
    from ...catalog import Catalog
    from ..base import PredictOptions
    from ..writers import ResultWriter


class Caption(ModelTask):
    """Greedy-decoded captions; background work that makes way for other model jobs."""

    name = "caption"
    effects = frozenset({FIELDS})
    yields = True
    result_kind = "captions"

    def load(self, request: dict[str, Any], device: str) -> Any:
        """:func:`~..loading.load_image_text` as a captioner."""
        from ..loading import load_image_text

        return load_image_text(
            request["model"], "captioner", device, request.get("dtype") or "auto"
        )

    def batch(self, model: Any, prepared: Any, args: BatchArgs) -> list[Any]:
        """:func:`~..stream.caption`."""
        from ..stream import caption

        return caption(model, prepared)

    def writer(self, catalog: Catalog, dataset_id: int, options: PredictOptions) -> ResultWriter:
        """Captions into ``computed.caption``."""
        from ..writers import TextWriter

        return TextWriter(catalog, dataset_id, options)


CAPTION = Caption()
