"""Kernel side of the patches view: the objects of a view as a DataFrame."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from ..rest_client import RestClient

PAGE = 1000
"""Objects per request (the server's largest page)."""


def patches_frame(client: RestClient, path: str, body: dict[str, Any]) -> pd.DataFrame:
    """POST ``body`` to the patches route at ``path`` and return its objects as a frame;
    with no ``limit`` every object from ``offset`` on, a page of :data:`PAGE` at a time.
    ``attrs``: the exact ``total``, ``kind``, ``source``, ``lq_model``, the ``version`` read
    and the ``evaluation`` key of the rows' statuses."""
    import pandas as pd

    limit = body.pop("limit", None)
    offset = int(body.get("offset") or 0)
    rows: list[dict[str, Any]] = []
    while True:
        size = PAGE if limit is None else min(PAGE, limit - len(rows))
        page = client.post_json(path, {**body, "offset": offset + len(rows), "limit": size})
        rows.extend(page["objects"])
        if len(page["objects"]) < size or (limit is not None and len(rows) >= limit) or not size:
            break
    frame = pd.DataFrame(rows)
    keys = ("total", "kind", "source", "lq_model", "version", "evaluation")
    frame.attrs.update({k: page.get(k) for k in keys})
    return frame
