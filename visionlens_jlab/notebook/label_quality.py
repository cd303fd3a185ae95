"""Kernel side of label quality: run it through the server, the objects and images as frames."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .progress import job_result

if TYPE_CHECKING:
    import pandas as pd

    from ..rest_client import RestClient

BOX_COLUMNS = ["annotation_id", "sample_id", "source", "issue", "score"]


def label_quality_frames(
    client: RestClient,
    path: str,
    model: str,
    thresholds: dict[str, float] | None,
    *,
    iou: str = "auto",
    timeout: float = 3600.0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """POST the label-quality job at ``path``, wait, and read the stored result back:
    ``(boxes, images)``, worst first; both frames' ``attrs`` hold the run's summary."""
    import pandas as pd

    job = client.post_json(path, {"model": model, "thresholds": thresholds or {}, "iou": iou})[
        "job"
    ]
    job_result(client, job, "label-quality", poll=0.2, timeout=timeout)
    result: dict[str, Any] = client.get_json(path, model=model)
    boxes = pd.DataFrame(result["boxes"], columns=BOX_COLUMNS)
    images = pd.DataFrame(result["images"], columns=["sample_id", "score"])
    for frame in (boxes, images):
        frame.attrs.update(model=model, summary=result["summary"])
    return boxes, images
