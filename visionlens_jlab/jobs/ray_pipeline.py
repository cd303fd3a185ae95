"""The ``ray`` runner's driver side: a job's work list through a Ray Data pipeline.

Any model job (embeddings, detectors, captions) has the same shape: a list of
``(sample_id, location)`` items, a CPU step that reads and prepares each image, and a model
step that turns a batch of prepared images into results. :func:`run_pipeline` builds that
as Ray Data: the items are split into blocks, the CPU step runs as Ray tasks
(``num_cpus=1``), the model step as an actor pool with one model per GPU (``num_gpus=1``;
one per node on the CPU when the cluster has no GPU, spread over the nodes), and the
result batches stream back to this process, the driver. The driver never opens the catalog:
it runs in the server's job worker process (or the CLI), whose caller alone writes.

Locations, not bytes, travel to the cluster: workers read local paths (a shared file
system) or ``gs://`` objects themselves. A worker lost mid-job is Ray's to recover: tasks
are retried and actors restarted (Ray Data's defaults), so a batch may come back twice:
:class:`Deduplicator` keeps the first result of each sample. Cancelling the job terminates
the driver's process; Ray then ends the job's tasks and actors on every node.

Ray is imported only inside these functions (it is an optional extra).
"""

from __future__ import annotations

import ipaddress
import math
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

BLOCK_ROWS = 256
"""Items per Ray Data block: one CPU task reads and prepares this many images."""
RAY_ADDRESS_ENV = "RAY_ADDRESS"


class RayRunnerError(Exception):
    """The Ray cluster cannot run the job (not installed, unreachable, mismatched)."""


def connect(address: str) -> dict[str, Any]:
    """Connect this process to the cluster at ``address``; returns what it offers.

    ``host:port`` is a cluster this machine is a node of (the driver attaches to the
    local raylet); on a loopback host that host is also the driver's node address, since
    Ray would otherwise advertise the machine's network address. ``ray://host:port`` goes
    through Ray Client.
    """
    try:
        import ray
        from ray.data import DataContext
    except ImportError as exc:
        raise RayRunnerError(
            "the ray runner needs Ray in the server's environment: pip install "
            "'visionlens_jlab[ray]' (the same Ray version as the cluster)"
        ) from exc
    kwargs: dict[str, Any] = {
        "address": address,
        "log_to_driver": False,
        "logging_level": "WARNING",
        "configure_logging": False,
    }
    host = address.rsplit(":", 1)[0]
    if not address.startswith("ray://") and _is_loopback(host):
        kwargs["_node_ip_address"] = host
    try:
        ray.init(**kwargs)
    except Exception as exc:  # ConnectionError, timeouts, version mismatches
        raise RayRunnerError(f"cannot connect to the Ray cluster at {address}: {exc}") from exc
    context = DataContext.get_current()
    context.enable_progress_bars = False
    context.print_on_execution_start = False
    resources = ray.cluster_resources()
    nodes = sorted(n["NodeManagerAddress"] for n in ray.nodes() if n.get("Alive"))
    return {
        "address": address,
        "nodes": nodes,
        "cpus": float(resources.get("CPU", 0)),
        "gpus": float(resources.get("GPU", 0)),
        "ray_version": ray.__version__,
    }


def resolve_address(address: str | None, setting: str | None) -> str:
    """The cluster of a ray job: the runner's ``ray:ADDRESS``, else the server's setting,
    else ``$RAY_ADDRESS``; :class:`RayRunnerError` when Ray is not installed here or no
    address is known."""
    import importlib.util

    if importlib.util.find_spec("ray") is None:
        raise RayRunnerError(
            "the ray runner needs Ray in the server's environment: pip install "
            "'visionlens_jlab[ray]' (the same Ray version as the cluster)"
        )
    found = address or setting or os.environ.get(RAY_ADDRESS_ENV)
    if not found:
        raise RayRunnerError(
            "no Ray cluster address: use the runner ray:HOST:PORT (or ray:ray://HOST:PORT), "
            "set $RAY_ADDRESS, or (a server) set VisionLensApp.ray_address"
        )
    return found


def disconnect() -> None:
    """Leave the cluster (the job's tasks and actors end with the driver)."""
    import ray

    ray.shutdown()


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def run_remote(func: Callable[..., Any], *args: Any, num_cpus: float = 1) -> Any:
    """``func(*args)`` computed once on the cluster (e.g. to describe the model)."""
    import ray

    try:
        return ray.get(ray.remote(num_cpus=num_cpus, max_retries=3)(func).remote(*args))
    except ray.exceptions.RayTaskError as exc:
        raise RayRunnerError(f"on the cluster: {exc.cause}") from exc


@dataclass(frozen=True)
class Stage:
    """One step of the pipeline: a function (CPU tasks) or a class (the model actors)."""

    fn: Callable[..., Any]
    kwargs: dict[str, Any] = field(default_factory=dict)
    batch_size: int | None = None


def model_actors(cluster: dict[str, Any]) -> tuple[int, dict[str, float]]:
    """How many model actors, and what each asks for: one per GPU, else one per node."""
    if cluster["gpus"] >= 1:
        return int(cluster["gpus"]), {"num_gpus": 1}
    return max(1, min(len(cluster["nodes"]), int(cluster["cpus"]) // 2)), {"num_cpus": 1}


def run_pipeline(
    items: Sequence[tuple[int, str]],
    cluster: dict[str, Any],
    prepare: Stage,
    model: Stage,
    *,
    columns: Mapping[str, Sequence[Any]] | None = None,
    block_rows: int = BLOCK_ROWS,
) -> Iterator[dict[str, np.ndarray]]:
    """Yield the model's output batches (numpy columns) for ``items``.

    ``prepare.fn(batch, **kwargs)`` gets numpy columns ``sample_id`` and ``location`` (and
    ``columns``: more values per item, in the items' order) and runs as CPU tasks; ``model.fn`` is a class constructed with ``model.kwargs`` once per
    actor and called on batches of ``model.batch_size`` prepared rows. Its output is
    whatever columns it returns; it must keep ``sample_id``.
    """
    import ray

    if not items:  # Ray Data has no empty dataset of these columns: nothing to run
        return
    rows = [{"sample_id": int(i), "location": str(loc)} for i, loc in items]
    for name, values in (columns or {}).items():
        for row, value in zip(rows, values, strict=True):
            row[name] = value
    blocks = max(1, math.ceil(len(rows) / block_rows))
    count, resources = model_actors(cluster)
    model_resources: dict[str, Any] = dict(resources)
    ds: Any = ray.data.from_items(rows, override_num_blocks=blocks)
    ds = ds.map_batches(
        prepare.fn, fn_kwargs=prepare.kwargs, batch_size=None, batch_format="numpy", num_cpus=1
    )
    ds = ds.map_batches(
        model.fn,
        fn_constructor_kwargs=model.kwargs,
        batch_size=model.batch_size,
        batch_format="numpy",
        compute=ray.data.ActorPoolStrategy(size=count),
        ray_remote_args_fn=_spread,  # one model per node before two on one
        **model_resources,
    )
    yield from ds.iter_batches(batch_size=None, batch_format="numpy", prefetch_batches=1)


def _spread() -> dict[str, Any]:
    return {"scheduling_strategy": "SPREAD"}


def worker_label() -> str:
    """This Ray worker as ``node-address:pid`` (what the job result lists)."""
    import ray

    return f"{ray.util.get_node_ip_address()}:{os.getpid()}"


class Deduplicator:
    """The first result of each sample; a retried batch's repeats are dropped and counted."""

    def __init__(self, expected: Sequence[int]) -> None:
        self._pending = set(map(int, expected))
        self.dropped = 0

    def keep(self, sample_ids: np.ndarray) -> np.ndarray:
        """A boolean mask of the rows of ``sample_ids`` seen for the first time."""
        mask = np.zeros(len(sample_ids), bool)
        for row, sample_id in enumerate(sample_ids.tolist()):
            if sample_id in self._pending:
                self._pending.remove(sample_id)
                mask[row] = True
        self.dropped += int(len(sample_ids) - mask.sum())
        return mask

    @property
    def missing(self) -> int:
        """Samples sent that have not come back (yet)."""
        return len(self._pending)
