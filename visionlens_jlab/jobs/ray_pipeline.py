"""The ``ray`` runner's driver side: a job's work list through the cluster.

Any model job (embeddings, detectors, captions) has the same shape: a list of
``(sample_id, location)`` items, a CPU step that reads and prepares each image, and a model
step that turns a batch of prepared images into results. :func:`run_pipeline` runs that on
the cluster: the items are split into blocks, the CPU step runs as Ray tasks
(``num_cpus=1``), the model step on a warm pool of model actors (:mod:`.ray_pool`: one
model per GPU, ``num_gpus=1``; one pinned to each node on the CPU when the cluster has no
GPU, :func:`model_actors`), and the result blocks stream back to this process, the driver. The driver
never opens the catalog: it runs in the server's long-lived driver process
(:mod:`.ray_driver`) or the CLI, whose caller alone writes.

Locations, not bytes, travel to the cluster: workers read local paths (a shared file
system) or ``gs://`` objects themselves. A worker lost mid-job is recovered here: a block
whose task or actor was lost is sent again, so a block may come back twice:
:class:`Deduplicator` keeps the first result of each sample. Cancelling the job cancels
its queued actor calls; a call already running stops after the batch in hand, the CPU
tasks already sent finish, and the actors stay, warm.

Ray is imported only inside these functions (it is an optional extra).
"""

from __future__ import annotations

import ipaddress
import os
from collections import Counter, deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .ray_pool import ModelPool

BLOCK_ROWS = 256
"""Items per block: one CPU task reads and prepares this many images."""
IN_FLIGHT = 3
"""Blocks sent to one model actor at a time: one computed while the next are decoded."""
BLOCK_TRIES = 4
"""Sends of one block (its task or actor lost with a node) before the job fails."""
POLL_SECONDS = 0.2
RAY_ADDRESS_ENV = "RAY_ADDRESS"


class RayRunnerError(Exception):
    """The Ray cluster cannot run the job (not installed, unreachable, mismatched)."""


class RunnerNotAllowedError(Exception):
    """A request names a Ray cluster other than the server's configured one (HTTP 403)."""


def connect(address: str, already: bool = False) -> dict[str, Any]:
    """Connect this process to the cluster at ``address`` (unless ``already``); returns
    what it offers now (nodes alive, CPUs, GPUs).

    ``host:port`` is a cluster this machine is a node of (the driver attaches to the
    local raylet); on a loopback host that host is also the driver's node address, since
    Ray would otherwise advertise the machine's network address. ``ray://host:port`` goes
    through Ray Client.
    """
    try:
        import ray
    except ImportError as exc:
        raise RayRunnerError(
            "the ray runner needs Ray in the server's environment: pip install "
            "'visionlens_jlab[ray]' (the same Ray version as the cluster)"
        ) from exc
    if not already:
        _init(ray, address)
    resources = ray.cluster_resources()
    alive = [n for n in ray.nodes() if n.get("Alive")]
    return {
        "address": address,
        "nodes": sorted(n["NodeManagerAddress"] for n in alive),
        "node_cpus": {n["NodeID"]: float(n.get("Resources", {}).get("CPU", 0)) for n in alive},
        "cpus": float(resources.get("CPU", 0)),
        "gpus": float(resources.get("GPU", 0)),
        "ray_version": ray.__version__,
    }


def _init(ray: Any, address: str) -> None:
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


def server_address(requested: str | None, setting: str | None) -> str:
    """The cluster of a ray job a server runs: the one its administrator configured
    (``setting``, else the server's ``$RAY_ADDRESS``), through :func:`resolve_address`.

    A request may name that cluster (``ray:ADDRESS``) but no other:
    :class:`RunnerNotAllowedError` before anything connects, since the server's driver
    would otherwise join, and run code on, whatever cluster a request names.
    """
    configured = setting or os.environ.get(RAY_ADDRESS_ENV) or None
    if requested is not None and requested.strip() != configured:
        where = (
            "its configured cluster: use the runner 'ray'"
            if configured
            else "none configured: ask the administrator to set c.VisionLensApp.ray_address"
        )
        raise RunnerNotAllowedError(
            f"the runner 'ray:{requested}' names a Ray cluster this server may not use: a "
            f"request may run Ray jobs only on the cluster the administrator set ({where}), "
            "or use the runner 'process' or 'kernel'"
        )
    return resolve_address(None, configured)


def disconnect() -> None:
    """Leave the cluster (the job's tasks and actors end with the driver)."""
    import ray

    ray.shutdown()


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


@dataclass(frozen=True)
class Stage:
    """One step of the pipeline: a function (CPU tasks) or a class (the model actors)."""

    fn: Callable[..., Any]
    kwargs: dict[str, Any] = field(default_factory=dict)
    batch_size: int | None = None


@dataclass(frozen=True)
class Placement:
    """Where one model actor goes (``node_id``: that node only; None: anywhere, spread)
    and the resources it holds."""

    resources: dict[str, float]
    node_id: str | None = None


def model_actors(cluster: dict[str, Any]) -> list[Placement]:
    """The model actors a cluster gets: one per GPU, else one per node that has CPUs.

    A CPU actor holds one of its node's CPUs only where the node keeps another for the
    decode tasks, and is pinned to its node: actors holding every CPU of the nodes alive
    would wait for ever on decode tasks that cannot start (seen when a node was lost and
    both actors landed on the other), a dead lock Ray does not report."""
    if cluster["gpus"] >= 1:
        return [Placement({"num_gpus": 1})] * int(cluster["gpus"])
    return [
        Placement({"num_cpus": 1 if cpus >= 2 else 0}, node)
        for node, cpus in sorted(cluster["node_cpus"].items())
        if cpus >= 1
    ]


def start_task_workers(cluster: dict[str, Any], fn: Callable[..., Any]) -> None:
    """Have the cluster start, without waiting, a worker process per node for this
    driver's CPU tasks, with ``fn``'s module imported there: Ray starts a driver's task
    workers on its first tasks, which then wait for them (~4 s on the 2-core test cluster,
    benchmarks/results/ray.md); started with the model actors, the two overlap."""
    import ray

    touch: Any = ray.remote(import_only).options(num_cpus=1, scheduling_strategy="SPREAD")
    for _ in cluster["nodes"]:
        touch.remote(fn)


def import_only(fn: Callable[..., Any]) -> str:
    """A CPU task whose work is receiving ``fn``: pickled by reference, it is unpickled
    by importing its module."""
    return fn.__qualname__


class PipelineCancelled(Exception):
    """The job was cancelled: its queued work on the cluster was cancelled too."""


def run_pipeline(
    items: Sequence[tuple[int, str]],
    pool: ModelPool,
    cluster: Callable[[], dict[str, Any]],
    prepare: Stage,
    *,
    columns: Mapping[str, Sequence[Any]] | None = None,
    block_rows: int = BLOCK_ROWS,
    cancelled: Callable[[], bool],
) -> Iterator[dict[str, np.ndarray]]:
    """Yield the model's output blocks (numpy columns) for ``items``, as they come back.

    The items are cut into blocks of ``block_rows`` rows: numpy columns ``sample_id`` and
    ``location`` (and ``columns``: more values per item, in the items' order). Each block
    is prepared by ``prepare.fn(block, **prepare.kwargs)`` as a CPU task, whose result goes
    straight (on the cluster) to one of the pool's model actors, at most
    :data:`IN_FLIGHT` blocks per actor at a time. A block whose task or actor was lost with
    its node is sent again (the pool refilled on the nodes alive); the caller drops repeats
    (:class:`Deduplicator`). ``cancelled()`` true: the queued work is cancelled, and
    :class:`PipelineCancelled` raised.
    """
    import ray

    rows = {"sample_id": np.asarray([int(i) for i, _ in items], np.int64)}
    rows["location"] = np.asarray([str(loc) for _, loc in items], object)
    for name, values in (columns or {}).items():
        rows[name] = np.asarray(list(values))
    blocks = [
        {k: v[start : start + block_rows] for k, v in rows.items()}
        for start in range(0, len(items), block_rows)
    ]
    decode: Any = ray.remote(prepare.fn).options(num_cpus=1, max_retries=3)
    queue = deque((index, 0) for index in range(len(blocks)))
    pending: dict[Any, tuple[int, int, Any]] = {}  # result -> block, try, actor
    try:
        while queue or pending:
            if cancelled():
                raise PipelineCancelled()
            if not pool.actors:
                pool.fill(cluster())
            busy = Counter(id(actor) for _, _, actor in pending.values())
            while queue:
                actor = min(pool.actors, key=lambda a: busy[id(a)])
                if busy[id(actor)] >= IN_FLIGHT:
                    break
                index, tries = queue.popleft()
                task = decode.remote(blocks[index], **prepare.kwargs)
                pending[actor.run.remote(task, pool.model.batch_size or block_rows)] = (
                    index, tries, actor,
                )  # fmt: skip
                busy[id(actor)] += 1
            done, _ = ray.wait(list(pending), num_returns=1, timeout=POLL_SECONDS)
            for ref in done:
                index, tries, actor = pending.pop(ref)
                try:
                    yield ray.get(ref)
                except ray.exceptions.RayTaskError as exc:  # the code failed: no retry helps
                    raise RayRunnerError(f"on the cluster: {exc.cause}") from exc
                except ray.exceptions.RayError as exc:  # a task, actor or object lost
                    if actor_lost(exc):
                        pool.drop(actor)
                    if tries + 1 >= BLOCK_TRIES:
                        raise RayRunnerError(f"a block failed {BLOCK_TRIES} times: {exc}") from exc
                    queue.append((index, tries + 1))
    finally:  # cancelled, failed, or the reader stopped: no more work of this job starts
        for ref in pending:
            ray.cancel(ref)  # queued: never run; running: stops after its batch (ModelActor)
        # The blocks' CPU tasks are left to finish (a few seconds each): ray.cancel raises
        # KeyboardInterrupt in a running task, which can land inside its thread pool's lock
        # bookkeeping and leave that worker hung for good, holding its CPU (seen under load:
        # the pool's threads waiting on a lock the interrupted main thread never released).


def actor_lost(exc: BaseException) -> bool:
    """Whether ``exc`` says the actor called is gone: it died, or its node was (an actor
    pinned to a node lost before it started cannot be scheduled)."""
    import ray

    return isinstance(exc, (ray.exceptions.RayActorError, ray.exceptions.ActorUnschedulableError))


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
