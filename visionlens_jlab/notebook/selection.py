"""``ds.select(...)``: choose what to label next, as a server job, returned as a DataFrame.

The same request as ``visionlens select`` and ``POST /datasets/{name}/selections``: the
server tags the chosen samples and stores the record; the frame has one row per chosen
sample in the order chosen, with its total score and one column per strategy (why it was
chosen). ``.attrs`` carries the record (``id``, ``tag``, ``strategies``, ``seconds``...).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from ..rest_client import RestClient, dataset_path
from .bodies import Filter, filter_body
from .progress import job_result


def select_frame(
    client: RestClient,
    dataset: str,
    count: int,
    strategies: str | Sequence[str] | None = None,
    *,
    filter: Filter | None = None,
    progress: bool = True,
    **options: Any,
) -> pd.DataFrame:
    """Run a selection on the server and read its record (see
    :meth:`~.dataset.Dataset.select`)."""
    body: dict[str, Any] = {"count": count, **{k: v for k, v in options.items() if v is not None}}
    if strategies is not None:
        body["strategies"] = (
            strategies.split(",") if isinstance(strategies, str) else list(strategies)
        )
    if filter is not None:
        body["filter"] = filter_body(filter)
    answer = client.post_json(dataset_path(dataset, "selections"), body)
    result = job_result(client, answer["job"], "selection", show=progress)
    record = client.get_json(dataset_path(dataset, "selections", str(result["id"])))
    return selection_frame(record)


def selection_frame(record: Mapping[str, Any]) -> pd.DataFrame:
    """A stored selection's rows as a frame: sample_id, rank, score and a column per
    strategy; the record without its rows in ``.attrs``."""
    names = [s["name"] for s in record["strategies"]]
    columns = ["sample_id", "rank", "score", *names]
    frame = pd.DataFrame(
        [[r["sample_id"], r["rank"], r["score"], *(r["scores"][n] for n in names)]
         for r in record["rows"]],
        columns=columns,
    )  # fmt: skip
    frame.attrs.update({k: v for k, v in record.items() if k != "rows"})
    return frame
