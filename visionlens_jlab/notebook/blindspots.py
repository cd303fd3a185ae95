"""Kernel side of the blind-spot finder: run it through the server, findings as a DataFrame."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .progress import job_result

if TYPE_CHECKING:
    import pandas as pd

    from ..rest_client import RestClient

COLUMNS = ["summary", "metric", "value", "baseline", "effect", "ci_low", "ci_high", "q", "n",
           "images", "filter", "evidence", "python"]  # fmt: skip


def run_blind_spots(
    client: RestClient, path: str, body: dict[str, Any], *, timeout: float = 3600.0
) -> dict[str, Any]:
    """POST the blind-spot job at ``path`` and wait for its result."""
    job = client.post_json(path, body)["job"]
    return dict(job_result(client, job, "blind-spot", poll=0.2, timeout=timeout))


def findings_frame(result: dict[str, Any]) -> pd.DataFrame:
    """One row per finding, indexed by finding id; ``attrs`` keeps tested/rejected counts."""
    import pandas as pd

    rows = [
        {**{k: f.get(k) for k in COLUMNS if k in f}, "ci_low": f["ci"][0], "ci_high": f["ci"][1]}
        for f in result["findings"]
    ]
    frame = pd.DataFrame(rows, columns=COLUMNS, index=[f["id"] for f in result["findings"]])
    frame.index.name = "id"
    frame.attrs.update(
        tested=result["tested"], rejected=result.get("rejected", []), model=result["model"]
    )
    return frame
