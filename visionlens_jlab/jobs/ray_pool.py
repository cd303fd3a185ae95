"""A connection to a Ray cluster and its warm pool of model actors, kept between jobs.

Starting a Ray job is costly: the driver connects, Ray starts worker processes, and each
model actor loads its model (seconds to tens of seconds). A :class:`RaySession` is one
driver's connection, made once; its :class:`ModelPool` is the model actors of the last
model used (one per GPU, else one pinned to each node), kept loaded between jobs. A job of
the same model and settings reuses them; another model replaces them (the old actors are killed
first, freeing their GPUs). The server keeps one session per cluster address in a
long-lived driver process (:mod:`.ray_driver`), released after an idle timeout and when the
server stops; the CLI makes one for its single job (:func:`run_once`).

The actors are :class:`ModelActor`: a job's model class (``EmbedModel``, ``PredictModel``)
constructed once, then called on whole blocks, which it cuts into the job's batches. An
actor is never restarted by Ray (``max_restarts=0``): one lost with its node is dropped
from the pool, its blocks go to the others, and the pool is refilled on the nodes alive.

Ray is imported only inside these functions (it is an optional extra).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable, Iterator
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import numpy as np

from .ray_pipeline import (
    RayRunnerError,
    Stage,
    actor_lost,
    connect,
    disconnect,
    model_actors,
)


def package_version() -> str:
    """This installation's visionlens_jlab version (the cluster's must be the same)."""
    try:
        return version("visionlens_jlab")
    except PackageNotFoundError:  # run from a source tree that is not installed
        return "unknown"


class BlockCancelled(Exception):
    """A model actor's call stopped part-way: its job was cancelled."""


class ModelActor:
    """On the cluster (one actor per GPU): a model class constructed once, called on blocks.

    ``model_class(**kwargs)`` must be callable on a batch (numpy columns, returning numpy
    columns of the same rows) and have ``describe()`` (what the job's ``meta`` says)."""

    def __init__(self, model_class: type, kwargs: dict[str, Any]) -> None:
        self.model = model_class(**kwargs)

    def describe(self) -> dict[str, Any]:
        """The model's description, with this process and the version installed here."""
        import ray

        return {
            **self.model.describe(),
            "visionlens_version": package_version(),
            "ray_version": ray.__version__,
            "actor_pid": os.getpid(),
            "node": ray.util.get_node_ip_address(),
        }

    def run(self, block: dict[str, np.ndarray], batch_size: int) -> dict[str, np.ndarray]:
        """The model's output for a block, computed ``batch_size`` rows at a time.

        A call cancelled while it runs (the job was cancelled) stops after the batch in
        hand: Ray only flags a running actor call, and a block of a large model on the CPU
        takes minutes."""
        import ray

        context = ray.get_runtime_context()
        n = len(block["sample_id"])
        step = max(1, batch_size)
        parts = []
        for start in range(0, n, step):
            if context.is_canceled():
                raise BlockCancelled(f"cancelled after {start} of {n} rows")
            parts.append(self.model({k: v[start : start + step] for k, v in block.items()}))
        if len(parts) == 1:
            return parts[0]
        return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


class ModelPool:
    """The model actors of one model and its settings (``key``)."""

    def __init__(self, model: Stage) -> None:
        self.model = model
        self.key = pool_key(model)
        self.actors: list[Any] = []
        self._node: dict[int, str | None] = {}  # id(actor) -> the node it is pinned to
        self.started = 0
        """Actors started (models loaded) since :meth:`begin_job`."""

    def begin_job(self) -> None:
        """Count the actors started from now on as this job's."""
        self.started = 0

    def fill(self, cluster: dict[str, Any]) -> None:
        """Start the actors :func:`model_actors` places on ``cluster`` that the pool lacks
        (a pinned one where its node has none)."""
        import ray
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        held = Counter(self._node.get(id(actor)) for actor in self.actors)
        remote: Any = ray.remote(ModelActor)
        for place in model_actors(cluster):
            if held[place.node_id] > 0:
                held[place.node_id] -= 1
                continue
            strategy: Any = (
                "SPREAD"
                if place.node_id is None
                else NodeAffinitySchedulingStrategy(place.node_id, soft=False)
            )
            actor = remote.options(
                max_restarts=0, scheduling_strategy=strategy, **place.resources
            ).remote(self.model.fn, self.model.kwargs)
            self.actors.append(actor)
            self._node[id(actor)] = place.node_id
            self.started += 1

    def ready(self, cluster: dict[str, Any]) -> dict[str, Any]:
        """Fill the pool, drop actors that died (their node lost), and return the model's
        description as soon as one actor has loaded it (the job's blocks queue on the
        others meanwhile); :class:`RayRunnerError` when the model cannot be loaded there."""
        import ray

        for _ in range(2):  # a warm pool may have lost every actor with its node
            self.fill(cluster)
            asked = {actor.describe.remote(): actor for actor in self.actors}
            while asked:
                done, _ = ray.wait(list(asked), num_returns=1)
                actor = asked.pop(done[0])
                try:
                    described = ray.get(done[0])
                except ray.exceptions.RayError as exc:
                    if not actor_lost(exc):
                        raise
                    self.drop(actor)
                    if getattr(exc, "actor_init_failed", False):  # the constructor raised
                        self.release()
                        lines = [line for line in str(exc).splitlines() if line.strip()]
                        raise RayRunnerError(
                            f"the model cannot be loaded on the cluster: {lines[-1].strip()}"
                        ) from exc
                    continue
                if described["visionlens_version"] != package_version():
                    self.release()
                    raise RayRunnerError(
                        f"the cluster runs visionlens_jlab {described['visionlens_version']}, "
                        f"this server {package_version()}: install the same version on both"
                    )
                return described
        raise RayRunnerError("no model actor could start on the cluster")

    def wait_loaded(self) -> None:
        """Wait until every actor has loaded its model or died (a warm-up, which no job
        waits for, waits for all of them; a job starts with the first)."""
        import ray

        asked = [actor.describe.remote() for actor in self.actors]
        ray.wait(asked, num_returns=len(asked))

    def drop(self, actor: Any) -> None:
        """Forget an actor that died."""
        self.actors = [a for a in self.actors if a is not actor]
        self._node.pop(id(actor), None)

    def release(self) -> None:
        """Kill the actors (their models and GPUs are freed)."""
        import ray

        for actor in self.actors:
            try:
                ray.kill(actor)
            except Exception:  # already dead, or the connection is gone: nothing to free
                continue
        self.actors = []
        self._node = {}


def pool_key(model: Stage) -> str:
    """What makes two jobs' actors interchangeable: the model class and its arguments."""
    name = f"{model.fn.__module__}.{model.fn.__qualname__}"
    return json.dumps([name, model.kwargs], sort_keys=True, default=str)


class RaySession:
    """One driver's connection to the cluster at ``address`` and its warm model pool."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.connected = False
        self.pool: ModelPool | None = None

    def cluster(self) -> dict[str, Any]:
        """What the cluster offers now (connecting on first use)."""
        info = connect(self.address, already=self.connected)
        self.connected = True
        return info

    def pool_for(self, model: Stage) -> ModelPool:
        """The pool of ``model``: the warm one when it is the same model and settings (it
        takes this job's batch size), else a new one (the previous model's actors are
        killed first)."""
        if self.pool is not None and self.pool.key != pool_key(model):
            self.pool.release()
            self.pool = None
        if self.pool is None:
            self.pool = ModelPool(model)
        self.pool.model = model
        self.pool.begin_job()
        return self.pool

    def close(self) -> None:
        """Release the pool and leave the cluster."""
        if self.pool is not None and self.connected:
            self.pool.release()
        self.pool = None
        if self.connected:
            disconnect()
            self.connected = False


def never() -> bool:
    """The cancel check of a job that cannot be cancelled (the CLI's: Ctrl-C ends it)."""
    return False


def run_once(address: str, func: Callable[..., Iterator[Any]], *args: Any) -> Iterator[Any]:
    """``func(session, *args)`` with a session made for it and closed after (the CLI)."""
    session = RaySession(address)
    try:
        yield from func(session, *args)
    finally:
        session.close()
