"""Kernel side of similarity search and duplicates: REST calls, answers as DataFrames."""

from __future__ import annotations

import base64
import io
import os
from typing import Any

import pandas as pd

from ..rest_client import RestClient, VisionLensError, dataset_path
from .progress import job_result

JOB_POLL_SECONDS = 0.25


def image_bytes(image: Any) -> bytes:
    """The bytes of an image given as a path or a PIL image (encoded as PNG)."""
    if isinstance(image, str | os.PathLike):
        with open(image, "rb") as f:
            return f.read()
    if hasattr(image, "save") and hasattr(image, "size"):  # a PIL image
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        return buffer.getvalue()
    raise VisionLensError("like= takes a sample id, an image file path or a PIL image")


def search_frame(
    client: RestClient,
    dataset: str,
    *,
    text: str | None,
    like: Any,
    filter: dict[str, Any] | None,
    k: int,
    model: str | None,
) -> pd.DataFrame:
    """POST the search; a DataFrame ``sample_id, score, file_name`` best first, with the
    server's ``model``, ``space``, ``strategy``, ``warning`` (None, or why the space may not
    cover every sample), ``code`` and ``fusion`` in ``DataFrame.attrs``. A text search that
    the server fused with captions (``fusion`` set) adds the columns ``sources`` and
    ``caption``."""
    if (text is None) == (like is None):
        raise VisionLensError("search() needs exactly one of text= or like=")
    body: dict[str, Any] = {"k": k, "filter": filter, "model": model}
    if text is not None:
        body["text"] = text
    elif isinstance(like, int) and not isinstance(like, bool):
        body["like"] = like
    elif hasattr(like, "item") and not isinstance(like, str | os.PathLike):  # numpy int
        body["like"] = int(like.item())
    else:
        body["image"] = base64.b64encode(image_bytes(like)).decode()
    answer = client.post_json(dataset_path(dataset, "search"), body)
    columns = ["sample_id", "score", "file_name"]
    if answer.get("fusion"):
        columns += ["sources", "caption"]
    frame = pd.DataFrame(answer["results"], columns=columns)
    frame = frame.astype({"sample_id": "int64", "score": "float64"})
    frame.attrs.update(
        {k: answer.get(k) for k in ("model", "space", "strategy", "warning", "code", "fusion")}
    )
    return frame


def duplicates_frame(client: RestClient, dataset: str, body: dict[str, Any]) -> pd.DataFrame:
    """Run the duplicates job and return its pairs as a DataFrame
    ``sample_id, duplicate_id, kind, similarity, group``; ``attrs`` holds ``groups``,
    ``counts``, ``leaks`` (a DataFrame), ``notes``, ``code`` and whether the stored result
    is ``stale`` (``stale_reason``: samples deleted, restored or added since)."""
    answer = client.post_json(dataset_path(dataset, "duplicates"), body)
    job_result(client, answer["job"], answer["job"]["kind"], poll=JOB_POLL_SECONDS)
    result = client.get_json(dataset_path(dataset, "duplicates"))
    frame = pd.DataFrame(
        result["pair_list"], columns=["sample_id", "duplicate_id", "kind", "similarity"]
    )
    group_of = {sid: min(group) for group in result["groups"] for sid in group}
    frame["group"] = frame["sample_id"].map(group_of).astype("Int64")
    leak_columns = ["sample_id", "split", "duplicate_id", "duplicate_split", "similarity"]
    leak_columns += ["kind", "kinds"]
    frame.attrs.update(
        {
            "groups": result["groups"],
            "counts": result["counts"],
            "leaks": pd.DataFrame(result["leaks"], columns=leak_columns),
            "notes": result.get("notes", []),
            "code": result.get("code"),
            "stale": result.get("stale"),
            "stale_reason": result.get("stale_reason"),
        }
    )
    return frame
