"""The embedder interface every model implements, and the errors users see.

An embedder turns decoded RGB images into L2-normalised float32 vectors of a fixed
dimension. It describes itself (name, version, dimension, preprocessing) so a vector space
can record exactly what made its vectors, and says which input size it wants so the input
pipeline can decode JPEGs at reduced size (:mod:`.decode`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from ..jobs.accelerator import BatchSizer
from ..jobs.stages import StageTimer
from .decode import InputSpec


class EmbedError(Exception):
    """An embedding request that cannot be done, with a message meant for the user."""


class TextNotSupportedError(EmbedError):
    """The model has no text tower (text search needs a CLIP-like model)."""


@dataclass(frozen=True)
class EmbedderInfo:
    """What made a space's vectors: recorded with the space."""

    name: str
    version: str
    dim: int
    preprocessing: str
    text: bool
    device: str = "cpu"
    dtype: str = "float32"

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


class Embedder(ABC):
    """A loaded model: images (and maybe text) in, normalised float32 vectors out."""

    name: str
    version: str
    dim: int
    preprocessing: str
    input_size: int
    """Side (pixels) of the square input the model wants."""
    input_spec: InputSpec
    """How the input pipeline decodes images for this model (size, crop or squash)."""
    device: str = "cpu"
    dtype: str = "float32"
    notice: str = ""
    """A sentence the user should see about how it runs (e.g. no GPU, so the CPU), or ''."""
    timer: StageTimer | None = None
    """The running job's stage timer (:mod:`visionlens_jlab.jobs.stages`), set by the job;
    an embedder that splits its call into stages times them on it."""
    sizer: BatchSizer | None = None
    """The running job's batch size, set by the job, for an embedder that runs its batches
    through it (``batches_itself``: its out-of-memory back-off and warm-up)."""
    batches_itself: bool = False
    """Whether :meth:`embed_images` runs through :attr:`sizer` (open_clip's model)."""

    @property
    def has_text(self) -> bool:
        """Whether :meth:`embed_text` works."""
        return False

    def info(self) -> EmbedderInfo:
        """Name, version, dimension, preprocessing, device and dtype."""
        return EmbedderInfo(
            name=self.name,
            version=self.version,
            dim=self.dim,
            preprocessing=self.preprocessing,
            text=self.has_text,
            device=self.device,
            dtype=self.dtype,
        )

    @abstractmethod
    def embed_images(self, images: Sequence[Any] | np.ndarray) -> np.ndarray:
        """Embed a batch of images (PIL images or uint8 ``HxWx3`` arrays): float32 ``[n, dim]``."""

    def embed_text(self, texts: Sequence[str]) -> np.ndarray:
        """Embed text queries into the image space: float32 ``[n, dim]``."""
        raise TextNotSupportedError(
            f"the model {self.name!r} has no text tower, so it cannot search by text: embed "
            "the dataset with a CLIP model on this machine (`visionlens models` marks them "
            "'text'; one is listed once its weights are in the open_clip cache or given with "
            "--checkpoint) and search that space"
        )


def l2_normalise(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (all-zero rows stay zero), as float32."""
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return np.divide(x, norms, out=np.zeros_like(x), where=norms > 0)
