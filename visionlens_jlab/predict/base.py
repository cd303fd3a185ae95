"""What a model job is asked to do (:class:`PredictOptions`), what it works on
(:class:`WorkItem`) and the errors users see."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from ..embed.base import EmbedError
from ..embed.stream import check_batch_size
from ..jobs.accelerator import DEVICES, DTYPES
from ..jobs.runners import RunnerError, parse_runner
from ..media.frame_sampling import FrameSamplingError, parse_frames
from .tasks import REGISTRY, task_of

TRUST_REMOTE_CODE_ENV = "VISIONLENS_TRUST_REMOTE_CODE"
"""Set to 1 to let models that ship their own Python code load (off by default: that code
runs with the user's rights, and most such checkpoints fail offline under transformers 5)."""


class PredictError(EmbedError):
    """A model job that cannot be done, with a message meant for the user (an
    :class:`EmbedError`, so every entry point reports it as a bad request)."""


class WorkItem(NamedTuple):
    """One image of a model job's work list, as every runner gets it: pickled to worker
    processes, as JSON to a kernel (:mod:`.wire`), as columns to a Ray cluster."""

    sample_id: int
    location: str
    """Where the image is read from (resolved, inside the media root)."""
    width: int
    """The catalog's stored size, the one boxes are scaled to (0: unknown, the decoded
    image's size is used)."""
    height: int


DECODES = ("full", "reduced")
"""The ``decode`` option's values (:class:`PredictOptions`)."""

TORCHVISION_PREFIX = "torchvision:"
"""``--model torchvision:BUILDER[=PATH]``: a torchvision detector (:mod:`.torchvision_detect`)."""


def is_torchvision(model: str) -> bool:
    """Whether ``--model`` names a torchvision detector."""
    return model.startswith(TORCHVISION_PREFIX)


def parse_spec(model: str) -> tuple[str, str | None]:
    """``torchvision:BUILDER[=PATH]`` → ``(BUILDER, PATH or None)``."""
    builder, _, path = model[len(TORCHVISION_PREFIX) :].partition("=")
    builder = builder.strip()
    if not builder:
        raise PredictError(
            "no torchvision builder named: use --model torchvision:fasterrcnn_resnet50_fpn "
            "(cached COCO weights) or torchvision:NAME=/path/weights.pth"
        )
    return builder, path.strip() or None


def with_absolute_path(model: str) -> str:
    """The spec with its weights path made absolute (the server may run elsewhere)."""
    builder, path = parse_spec(model)
    if path is None:
        return model
    return f"{TORCHVISION_PREFIX}{builder}={Path(path).expanduser().resolve()}"


def with_local_path(model: str, locate: Callable[[str], str | None]) -> str:
    """``model`` with the local path it names (a torchvision spec's weights, else the whole
    string) replaced by ``locate(path)``: an absolute, checked path, or None for a hub id
    (``model`` kept as given)."""
    builder, path = parse_spec(model) if is_torchvision(model) else ("", model)
    found = locate(path) if path is not None else None
    if found is None:
        return model
    return f"{TORCHVISION_PREFIX}{builder}={found}" if builder else found


def default_run_name(model: str) -> str:
    """The model name the predictions get when the user gives none: the checkpoint folder's
    or the hub id's last part (``facebook/detr-resnet-50`` → ``detr-resnet-50``), cleaned
    to the catalog's name rule; a torchvision model's builder name."""
    if is_torchvision(model):
        last = parse_spec(model)[0]
    else:
        last = Path(model.rstrip("/\\")).name or "model"
    if last.endswith((".pt", ".bin", ".safetensors")):
        last = Path(last).stem
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", last).strip("-._") or "model"
    return name[:128]


@dataclass(frozen=True)
class PredictOptions:
    """What the user asked for (CLI flags, REST body, notebook arguments)."""

    dataset: str
    model: str
    task: str = "detect"
    name: str | None = None
    classes: tuple[str, ...] | None = None
    filter: dict | None = None
    runner: str = "process"
    device: str = "auto"
    dtype: str = "auto"
    """What the model computes in (:data:`~visionlens_jlab.jobs.accelerator.DTYPES`)."""
    batch_size: int | str | None = None
    """Images per forward pass; ``auto`` or None: found on the first batches
    (:mod:`~visionlens_jlab.jobs.batch_warmup`)."""
    min_score: float | None = None
    questions: tuple[dict[str, Any], ...] | None = None
    """A VLM's questions (``{"key", "question", "answers"}``); None: the default list."""
    workers: int | None = None
    """Worker processes on a CPU (:mod:`.workers`); None: as many as the compute threads."""
    decode: str = "full"
    """How JPEGs decode (:data:`DECODES`): ``reduced``, at the smallest DCT scale that still
    covers the model's input (:mod:`.input_size`); ``full``, at their full size."""
    frames: str = "all"
    """Which frames of the videos (:mod:`~visionlens_jlab.media.frame_sampling`)."""

    def __post_init__(self) -> None:
        try:
            parse_frames(self.frames)
        except FrameSamplingError as exc:
            raise PredictError(str(exc)) from exc
        if not self.model:
            raise PredictError("no model given: pass --model HUB_ID or /path/to/checkpoint")
        if is_torchvision(self.model):
            parse_spec(self.model)  # a spec with no builder fails here, not in the job
        task = task_of(self.task)  # an unknown task fails here, naming the tasks
        if self.device not in DEVICES:
            raise PredictError(f"unknown device {self.device!r}: use {', '.join(DEVICES)}")
        if self.dtype not in DTYPES:
            raise PredictError(f"unknown dtype {self.dtype!r}: use {', '.join(DTYPES)}")
        try:
            check_batch_size(self.batch_size)  # a number, or auto (the warm-up)
        except EmbedError as exc:
            raise PredictError(str(exc)) from exc
        if self.decode not in DECODES:
            raise PredictError(f"unknown decode {self.decode!r}: use {' or '.join(DECODES)}")
        if self.workers is not None and (isinstance(self.workers, bool) or self.workers < 1):
            raise PredictError(f"workers must be a positive integer, got {self.workers!r}")
        if self.min_score is not None and not 0.0 <= float(self.min_score) <= 1.0:
            raise PredictError(f"min score must be in 0..1, got {self.min_score}")
        if self.classes is not None and not all(c.strip() for c in self.classes):
            raise PredictError("class names must not be empty")
        if self.questions is not None:
            if not task.takes_questions:
                asking = [t.name for t in REGISTRY.values() if t.takes_questions]
                raise PredictError(f"questions are for --task {' or '.join(asking)} only")
            from .vlm import parse_questions  # checks them: PredictError naming the fault

            parse_questions(list(self.questions))
        try:  # an unknown runner fails here, not in the job
            parse_runner(self.runner)
        except RunnerError as exc:
            raise PredictError(str(exc)) from exc

    @property
    def run_name(self) -> str:
        """The model name the predictions are stored under."""
        return self.name or default_run_name(self.model)

    @property
    def score_threshold(self) -> float:
        """The score below which a prediction is dropped."""
        if self.min_score is not None:
            return float(self.min_score)
        return float(task_of(self.task).min_score)
