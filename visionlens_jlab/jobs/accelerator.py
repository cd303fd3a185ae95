"""One model on the accelerator at a time, the dtype it runs in, and batches that shrink on
out-of-memory: shared by every model job (embeddings, detectors, captions, VLM answers,
zero-shot classification), wherever its stream runs (a worker process, a kernel, the CLI).

* :func:`lease_model`: a job holds the accelerator for its model while it runs. Before a
  model loads, the one before it is unloaded (the registry's reference dropped, a garbage
  collection, ``torch.cuda.empty_cache()`` when CUDA is there), and a second job in the same
  process waits for the first one's lease to end. The registry is per process: the server's
  GPU lane (:mod:`.manager`) already runs one model job at a time, each in its own worker
  process or kernel; the lease covers what shares a process (the CLI, a notebook kernel).
* :class:`BatchSizer`: a batch that raises torch's out-of-memory error is retried at half
  the size, down to one image, then the job fails with a message saying what to do; the
  smaller size is kept for the rest of the job (and reported as its batch size). With a
  :class:`~.batch_warmup.BatchWarmUp` (``--batch-size auto``) the size also grows on the
  job's first batches while that pays.
* :func:`resolve_dtype`: ``auto`` is bfloat16 on a CUDA GPU that has it, float16 on other
  CUDA GPUs, float32 on the CPU (bf16 matmuls are slower than float32 on most CPUs).
  :data:`DTYPES` is the one vocabulary of every model job's ``dtype`` option (torch's
  spelling), :data:`DEVICES` of its ``device``; :func:`dtype_option` also takes the
  embedding jobs' old ``precision`` values.

Nothing here imports torch unless a model job already did (the built-in embedder runs
without it).
"""

from __future__ import annotations

import gc
import logging
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from .batch_warmup import GROWTH, BatchWarmUp, memory_for

log = logging.getLogger(__name__)

DTYPES = ("auto", "float32", "bfloat16", "float16")

DEVICES = ("auto", "cpu", "cuda")
"""The one vocabulary of every model job's ``device`` option: ``auto`` is CUDA where torch
sees a GPU, else the CPU."""

PRECISION_ALIASES = {"auto": "auto", "fp32": "float32", "bf16": "bfloat16"}
"""The deprecated ``precision`` option of embedding jobs, as :data:`DTYPES` values."""

T = TypeVar("T")
R = TypeVar("R")


class AcceleratorError(RuntimeError):
    """A model job that ran out of accelerator memory even at its smallest batch."""


def check_dtype(dtype: str) -> str:
    """``dtype`` if it is one of :data:`DTYPES`, else a ``ValueError`` naming them."""
    if dtype not in DTYPES:
        raise ValueError(f"unknown dtype {dtype!r}: use {', '.join(DTYPES)}")
    return dtype


def dtype_option(dtype: str | None, precision: str | None) -> tuple[str, str]:
    """``(dtype, notice)`` from a job's ``dtype`` option and the deprecated ``precision``
    one (``auto|fp32|bf16``): the notice says what to write instead when ``precision`` was
    used. Unknown values, or both options given with different meanings, raise a
    ``ValueError`` naming the accepted values."""
    if precision is None:
        return check_dtype(dtype or "auto"), ""
    if precision not in PRECISION_ALIASES:
        raise ValueError(
            f"unknown precision {precision!r}: use auto, fp32 or bf16 (deprecated: prefer "
            f"dtype, one of {', '.join(DTYPES)})"
        )
    mapped = PRECISION_ALIASES[precision]
    if dtype is not None and check_dtype(dtype) != mapped:
        raise ValueError(
            f"precision {precision!r} (dtype {mapped}) contradicts dtype {dtype!r}: give dtype only"
        )
    return mapped, f"precision is deprecated: use dtype {mapped} (precision {precision})"


def resolve_dtype(requested: str, device: str) -> Any:
    """The torch dtype a model runs in on ``device`` (``cpu`` or ``cuda``) for ``requested``
    (one of :data:`DTYPES`)."""
    import torch

    check_dtype(requested)
    if requested != "auto":
        return getattr(torch, requested)
    if device == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.float32


def cpu_has_bf16() -> bool:
    """Whether this CPU multiplies bfloat16 natively (AVX-512 BF16 or AMX, as oneDNN sees
    it): there a bf16 copy of a ViT's weights runs ~1.5-2x float32 (measured on this
    project's 2-core EPYC); elsewhere bf16 is emulated and slower."""
    import torch

    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except Exception:  # older torch builds: no query, so no bf16
        return False


def dtype_name(dtype: Any) -> str:
    """``torch.bfloat16`` → ``bfloat16``."""
    return str(dtype).replace("torch.", "")


def release_cached_memory() -> None:
    """Collect unreachable objects (models in reference cycles) and hand CUDA's cached
    blocks back, so the next model, or a smaller batch, finds the memory free."""
    gc.collect()
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available():
        torch.cuda.empty_cache()


CPU_OUT_OF_MEMORY = "DefaultCPUAllocator: can't allocate memory"
"""How torch's CPU allocator says an allocation failed (a plain ``RuntimeError``): what a
process under an address-space limit (``ulimit -v``) meets when a batch is too big."""


def is_out_of_memory(exc: BaseException) -> bool:
    """Whether ``exc`` is torch's out-of-memory error (``torch.OutOfMemoryError``, of which
    ``torch.cuda.OutOfMemoryError`` is an alias) or its CPU allocator's failure."""
    torch = sys.modules.get("torch")
    if torch is None:
        return False
    kind = getattr(torch, "OutOfMemoryError", None) or torch.cuda.OutOfMemoryError
    return isinstance(exc, kind) or (
        isinstance(exc, RuntimeError) and CPU_OUT_OF_MEMORY in str(exc)
    )


class ModelRegistry:
    """The model this process holds on its accelerator, and who holds it."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._key: str | None = None
        self._model: Any = None
        self._token = 0  # the current lease's; 0 when none is held
        self._owner: int | None = None  # the thread holding it
        self.keep_between_leases = False
        """Keep the model after its lease for the next lease of the same key (a warm
        worker, :mod:`.warm_workers`); else a lease's end unloads it."""

    def resident(self) -> list[str]:
        """The keys of the models held: none, or one."""
        with self._cond:
            return [] if self._key is None else [self._key]

    def model(self) -> Any:
        """The model held, or ``None``."""
        with self._cond:
            return self._model

    def _drop(self) -> None:
        """Forget the model held (call with the lock held)."""
        self._key, self._model = None, None

    @contextmanager
    def lease(self, key: str, load: Callable[[], T]) -> Iterator[T]:
        """Hold the accelerator for the model ``load()`` returns (named ``key``) while the
        block runs; the model before it is unloaded first, and the lease ends unloading it
        (unless :attr:`keep_between_leases`: then a next lease of the same key takes the
        model held without loading it again).

        A lease held by another thread is waited for. One held by this same thread can only
        belong to a job left unfinished (a stream nobody reads any more): it is taken over.
        """
        me = threading.get_ident()
        with self._cond:
            while self._token and self._owner != me:
                self._cond.wait()
            kept = self._model if self.keep_between_leases and self._key == key else None
            self._drop()
            self._token += 1
            token, self._owner = self._token, me
        if kept is None:
            release_cached_memory()  # the previous job's model, now unreferenced
        try:
            model = kept if kept is not None else load()
            with self._cond:
                if self._token == token:
                    self._key, self._model = key, model
            yield model
        finally:
            with self._cond:
                if self._token == token:  # not taken over meanwhile
                    if not self.keep_between_leases:
                        self._drop()
                    self._token, self._owner = 0, None
                    self._cond.notify_all()


MODELS = ModelRegistry()
"""This process's registry: every model job's stream loads its model through it."""


def lease_model(key: str, load: Callable[[], T]) -> Any:
    """:meth:`ModelRegistry.lease` on :data:`MODELS` (a context manager giving the model)."""
    return MODELS.lease(key, load)


class BatchSizer:
    """The batch size of one job: what was asked (or the device default) at first, halved
    on each out-of-memory error, never grown back; with ``warm_up`` (``--batch-size
    auto``) grown on the first batches while that pays (:mod:`.batch_warmup`)."""

    def __init__(self, size: int, what: str, *, warm_up: BatchWarmUp | None = None) -> None:
        self.initial = self.size = max(1, int(size))
        self.what = what
        self.warm_up = warm_up

    def report(self) -> dict[str, Any]:
        """The batch size now and, with a warm-up, its state (the job's progress)."""
        out: dict[str, Any] = {"batch_size": self.size}
        if self.warm_up is not None:
            out["warm_up"] = self.warm_up.state()
        return out

    @property
    def halved(self) -> bool:
        """Whether an out-of-memory error made the batches smaller."""
        return self.size < self.initial

    def halve(self, reason: str) -> None:
        """Halve the batch size after an out-of-memory error (``reason``: its message); at
        one image already, fail with a message saying what to do."""
        if self.warm_up is not None:
            self.warm_up.stop()
        if self.size == 1:
            raise AcceleratorError(
                f"{self.what} ran out of accelerator memory even one image at a time (the "
                f"batch started at {self.initial}): free the GPU of other processes, pick a "
                f"smaller model, or run with --device cpu ({reason.splitlines()[0][:200]})"
            )
        self.size = max(1, self.size // 2)
        log.warning("%s: out of memory, batch size halved to %d", self.what, self.size)
        release_cached_memory()

    def run(self, items: Any, compute: Callable[[Any], R]) -> list[R]:
        """``compute`` over ``items`` (a list, a tensor: anything with ``len`` and slices) in
        slices of at most :attr:`size`, in order; a slice that runs out of memory is done
        again at half the size. A warm-up's new size applies from the next slice on."""
        out: list[R] = []
        start = 0
        while start < len(items):
            chunk = items[start : start + self.size]
            reason = ""
            try:
                if self.warm_up is None:
                    out.append(compute(chunk))
                else:
                    started = self.warm_up.before()
                    out.append(compute(chunk))
                    self.size = self.warm_up.after(self.size, len(chunk), started)
            except Exception as exc:
                if not is_out_of_memory(exc):
                    raise
                reason = str(exc) or type(exc).__name__
            if reason:
                # outside the except block: its traceback (and the tensors its frames hold)
                # is gone, so the cache can really be emptied
                self.halve(reason)
                continue
            start += len(chunk)
        return out


def warmed_sizer(option: int | str | None, default: int, device: str, what: str) -> BatchSizer:
    """The :class:`BatchSizer` of a job: ``option`` a number, that size (halved on
    out-of-memory, never grown); ``auto`` or none, a warm-up from the device's ``default``
    up to :data:`~.batch_warmup.GROWTH` times it (:mod:`.batch_warmup`)."""
    if isinstance(option, int) and not isinstance(option, bool):
        return BatchSizer(option, what)
    warm_up = BatchWarmUp(default * GROWTH, memory=memory_for(device))
    return BatchSizer(default, what, warm_up=warm_up)
