"""A model job's batch size found on its first batches (``--batch-size auto``).

:class:`BatchWarmUp` watches the full batches a :class:`~.accelerator.BatchSizer` computes:
once a size's images/s is measured (two batches at the starting size, whose first pays
one-off costs such as lazy kernel set-up; one at each later size), the size doubles while
the rate improves by at least :data:`MARGIN` over the size before, the next size stays
within :attr:`BatchWarmUp.largest`, and memory allows it (:class:`CudaMemory`: the batch's
peak allocation, scaled to the doubled size, within a share of the GPU's memory). A size
that did not pay goes back to the best one before it; an out-of-memory error (torch's, or
the CPU allocator's under an address-space limit, :func:`~.accelerator.is_out_of_memory`)
halves the batch as always and ends the warm-up there. Batches are never repeated or
dropped: a size change only cuts the batches not cut yet (:class:`~.feed.Feed`).

The decision reads a clock (``time.perf_counter`` by default; tests pass a clock their
fake slow model advances, so which size wins does not hang on the machine's load).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

MARGIN = 0.1
"""A doubled batch is kept only if its images/s beat the size before by 10%: a bigger
batch holds more memory and delays the first results, so a gain within noise is not one."""
GROWTH = 8
"""``auto`` tries sizes up to 8x the device's default (4 → 32 on a CPU, 32 → 256 on CUDA)."""
CUDA_SHARE = 0.85
"""The share of the GPU's memory a doubled batch's projected peak may take."""


class CudaMemory:
    """Whether a doubled batch fits the GPU: the peak allocation of the batch just computed
    (``torch.cuda.max_memory_allocated``, reset before it), its growth over what was
    allocated before scaled to the next size, within :data:`CUDA_SHARE` of the device."""

    def __init__(self) -> None:
        import torch

        self._cuda = torch.cuda
        self._total = torch.cuda.get_device_properties(torch.cuda.current_device()).total_memory
        self._base = 0

    def before(self) -> None:
        """Start measuring a batch."""
        self._cuda.reset_peak_memory_stats()
        self._base = self._cuda.memory_allocated()

    def fits(self, size: int, next_size: int) -> bool:
        """Whether ``next_size`` images fit, from the peak of the ``size`` just computed."""
        grown = max(0, self._cuda.max_memory_allocated() - self._base)
        return self._base + grown * next_size / max(1, size) <= CUDA_SHARE * self._total


def memory_for(device: str) -> CudaMemory | None:
    """The memory check of ``device``: CUDA's where torch sees a GPU; none on a CPU, where
    the growth stops at :attr:`BatchWarmUp.largest`, a slower rate, or the allocator's
    out-of-memory error under an address-space limit (``ulimit -v``; a cgroup limit kills
    the process instead of failing the allocation, so it cannot be backed off from)."""
    torch = sys.modules.get("torch")
    if device == "cuda" and torch is not None and torch.cuda.is_available():
        return CudaMemory()
    return None


class BatchWarmUp:
    """The growth of one job's batch size (see the module docstring)."""

    def __init__(
        self,
        largest: int,
        *,
        margin: float = MARGIN,
        memory: CudaMemory | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.largest = max(1, int(largest))
        self.margin = margin
        self.memory = memory
        self.clock = clock
        self.settled = False
        self.rates: dict[int, float] = {}
        """Images/s measured at each size tried."""
        self._seen: dict[int, int] = {}
        self._first: int | None = None

    def state(self) -> dict[str, Any]:
        """What the progress shows: the sizes tried with their images/s, and whether the
        size is settled."""
        rates = {str(k): round(v, 3) for k, v in sorted(self.rates.items())}
        return {"settled": self.settled, "images_per_second": rates}

    def before(self) -> float:
        """Start timing a batch; the clock's reading."""
        if self.memory is not None and not self.settled:
            self.memory.before()
        return self.clock()

    def after(self, size: int, n: int, started: float) -> int:
        """The batch size to cut next, after a batch of ``n`` images computed at batch size
        ``size`` since ``started``: a short last batch, or one cut before the size changed,
        is not measured."""
        if self.settled or n != size:
            return size
        seconds = max(self.clock() - started, 1e-9)
        if self._first is None:
            self._first = size
        self._seen[size] = self._seen.get(size, 0) + 1
        if self._seen[size] < (2 if size == self._first else 1):
            return size
        self.rates[size] = n / seconds
        smaller = size // 2
        if smaller in self.rates and self.rates[size] < self.rates[smaller] * (1 + self.margin):
            self.settled = True
            return smaller
        bigger = size * 2
        fits = self.memory is None or self.memory.fits(size, bigger)
        if bigger > self.largest or not fits:
            self.settled = True
            return size
        return bigger

    def stop(self) -> None:
        """End the warm-up at the current size (an out-of-memory error halved it)."""
        self.settled = True


AUTO = "auto"
"""The batch-size option that asks for a warm-up (also what no batch size means)."""


def fixed_batch_size(option: int | str | None, default: int) -> int:
    """The batch size of a runner that does not warm up (the Ray runner, zero-shot
    classification): the one asked, else the device's ``default``."""
    return option if isinstance(option, int) and not isinstance(option, bool) else default
