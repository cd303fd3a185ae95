"""Job kinds and the data each changes when it ends well: declared once, where the kind's
jobs are started, and told with each finished job (its event, ``GET /jobs``), so the lab
reads what to refresh from the server instead of keeping a table of kinds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, get_args

DataChange = Literal["samples", "predictions", "evaluation", "fields"]
"""What a job writes that a panel shows: new samples (an ingest), a prediction set (or
captions), an evaluation, computed sample fields (``computed.*``) or vectors."""

DatasetChange = Literal["created", "changed"]
"""How a job's end changes the datasets list: a new dataset, or new models, evaluations or
embedding spaces of one (the dataset event's ``change``)."""


@dataclass(frozen=True)
class JobEffects:
    """What a job of a kind changes when it ends ``done``; the defaults: nothing shown."""

    data: tuple[DataChange, ...] = ()
    datasets: DatasetChange | None = None

    def to_dict(self) -> dict[str, Any]:
        """As the job event and ``GET /jobs`` show it."""
        return {"data": list(self.data), "datasets": self.datasets}

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> JobEffects:
        """The effects :meth:`to_dict` wrote (a journal's record of an earlier run)."""
        data = tuple(d for d in record.get("data", ()) if d in _DATA_CHANGES)
        datasets = record.get("datasets")
        return cls(data, datasets if datasets in _DATASET_CHANGES else None)


_DATA_CHANGES: frozenset[str] = frozenset(get_args(DataChange))
_DATASET_CHANGES: frozenset[str] = frozenset(get_args(DatasetChange))


@dataclass(frozen=True)
class JobKind:
    """A kind of job (``ingest``, ``evaluate``...) and its :class:`JobEffects`: what
    :meth:`~.manager.JobManager.submit` takes, so no kind is started without saying what
    it changes."""

    name: str
    effects: JobEffects
