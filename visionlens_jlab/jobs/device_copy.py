"""Host-to-device copies that overlap the model's compute: pinned memory, non-blocking
copies on a CUDA stream of their own.

A batch's tensors are copied to the GPU by the thread that prepared it
(:class:`~.feed.Feed`'s producers), on a side stream, while the model computes the batch
before on the default stream: :meth:`DeviceCopy.send` pins each tensor (page-locked host
memory is what lets a copy run asynchronously) and queues its copy, recording an event
after the last one; :meth:`DeviceCopy.wait`, on the model's thread, makes the default
stream wait for that event (the GPU waits, not the host) and tells the caching allocator
the tensors are used there (``record_stream``), so their memory is not reused too early.

:meth:`DeviceCopy.processed` goes one step further for the processors that run on tensors
(transformers' fast image processors): the decoded images are copied as they are (uint8)
and the processor runs on the side stream too, so resizing, normalising and padding happen
on the GPU instead of the host's cores, still while the model computes the batch before.

On a CPU (or with no CUDA) both are no-ops: the tensors stay where they are and the model's
own ``.to(device)`` does what it did before. Nothing imports torch unless a copy is made.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .stages import StageTimer, timed


class DeviceCopy:
    """Copies to ``device`` (``cuda``: on a side stream; anything else: none)."""

    def __init__(self, device: str) -> None:
        self.device = device
        self._stream: Any = None
        if device == "cuda":
            import torch

            if torch.cuda.is_available():
                self._stream = torch.cuda.Stream()

    @property
    def active(self) -> bool:
        """Whether copies are made (a CUDA device), else ``send`` hands values back."""
        return self._stream is not None

    def send(self, value: Any) -> tuple[Any, Any]:
        """``(value with its tensors on the device, the copies' event)``: the tensors in
        ``value`` (in dicts, lists and tuples) pinned and copied without blocking on the
        side stream. Unchanged, with no event, where copies are not :attr:`active`."""
        if self._stream is None:
            return value, None
        import torch

        with torch.cuda.stream(self._stream):
            moved = _mapped(value, lambda t: t.pin_memory().to(self.device, non_blocking=True))
            event = torch.cuda.Event()
            event.record(self._stream)
        return moved, event

    def processed(
        self, value: Any, process: Callable[[Any], Any], timer: StageTimer | None = None
    ) -> tuple[Any, Any]:
        """``(process(value with its tensors on the device), its event)``: on CUDA the
        tensors are pinned and copied on the side stream (timed as ``transfer``) and
        ``process`` runs there too. Both are waited for on this (producer) thread before
        it returns, so the stages that time them (``transfer``; the caller's around this)
        count the GPU's work, not only its queueing; the model's stream is not held up.
        Where copies are not :attr:`active`: ``process(value)`` where the tensors are, no
        event."""
        if self._stream is None:
            return process(value), None
        import torch

        with torch.cuda.stream(self._stream):
            with timed(timer, "transfer"):
                moved = _mapped(value, lambda t: t.pin_memory().to(self.device, non_blocking=True))
                copied = torch.cuda.Event()
                copied.record(self._stream)
                copied.synchronize()
            out = process(moved)
            event = torch.cuda.Event()
            event.record(self._stream)
            event.synchronize()
        return out, event

    def wait(self, value: Any, event: Any) -> None:
        """Make the current stream wait for ``event`` (the copies of ``value``) and mark
        its tensors used there; nothing when ``event`` is None."""
        if event is None:
            return
        import torch

        current = torch.cuda.current_stream()
        current.wait_event(event)
        _mapped(value, lambda t: t.record_stream(current) or t)


def _mapped(value: Any, move: Callable[[Any], Any]) -> Any:
    """``value`` with ``move`` applied to each torch tensor in it (dicts, lists, tuples and
    transformers' ``BatchFeature``, a dict, are walked; anything else is kept)."""
    if hasattr(value, "pin_memory") and hasattr(value, "record_stream"):
        return move(value)
    if isinstance(value, dict):
        out = {key: _mapped(item, move) for key, item in value.items()}
        return value.__class__(out) if type(value) is not dict else out
    if isinstance(value, list):
        return [_mapped(item, move) for item in value]
    if isinstance(value, tuple):
        return tuple(_mapped(item, move) for item in value)
    return value
