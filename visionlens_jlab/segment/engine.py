"""The promptable segmentation model, its cache of image embeddings, and one click.

SAM splits into a heavy image encoder (a ViT: seconds per image on a CPU) and a light
prompt encoder and mask decoder (milliseconds). :class:`SegmentEngine` loads the model once
(:func:`~visionlens_jlab.predict.loading.load_segmenter`: offline, a local checkpoint or
the cache's hub id) and keeps each image's embedding in a byte-bounded LRU
(:class:`EmbeddingCache`), so the first click on an image pays the encoder and every
further click, or a click on an image embedded ahead (:meth:`SegmentEngine.embed`), runs
only the prompt encoder and the decoder. The prompt's pixel coordinates are scaled to the
model's input exactly as ``SamProcessor`` scales them, and the best of SAM's three masks
(by its predicted IoU) is brought back to the image's size by the processor's own
``post_process_masks``: the mask is the one ``SamModel`` called by hand gives.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..predict.loading import LoadedModel, load_segmenter
from ..records.masks import mask_answer
from .encoder_copy import encoder_copy
from .prompts import Prompt, check_inside

DEFAULT_CACHE_BYTES = 512 * 2**20
"""Embeddings held: a SAM ViT-B/L/H embedding is 256 x 64 x 64 float32 (4 MiB), so 128
images, more than a person opens in a labelling session's stretch."""

ImageReader = Callable[[], Any]
"""Gives the image (an RGB PIL image) when its embedding is not cached."""


@dataclass(frozen=True)
class Embedded:
    """One image's embedding and the sizes its prompts and masks are scaled between."""

    tensors: Any
    """What the model's ``get_image_embeddings`` gave (a tensor; SAM-HQ and SAM 2 give
    several), passed back to its forward as is."""
    original_size: tuple[int, int]
    """(height, width) of the image."""
    reshaped_size: tuple[int, int]
    """(height, width) of the image resized to the model's input (before padding)."""
    nbytes: int


def _nbytes(tensors: Any) -> int:
    if isinstance(tensors, list | tuple):
        return sum(_nbytes(t) for t in tensors)
    return int(tensors.numel() * tensors.element_size()) if hasattr(tensors, "numel") else 0


def _row(tensors: Any, i: int) -> Any:
    """Image ``i`` of a batch's encoder output (a tensor, or SAM-HQ's and SAM 2's lists and
    tuples of them), kept as a batch of one: what the decoder takes."""
    if isinstance(tensors, list | tuple):
        return type(tensors)(_row(t, i) for t in tensors)
    return tensors[i : i + 1]


def _cast(tensors: Any, dtype: Any) -> Any:
    """An encoder's output (a tensor, or SAM-HQ's and SAM 2's lists and tuples of them) in
    ``dtype``: floating tensors only."""
    if isinstance(tensors, list | tuple):
        return type(tensors)(_cast(t, dtype) for t in tensors)
    if hasattr(tensors, "is_floating_point") and tensors.is_floating_point():
        return tensors.to(dtype)
    return tensors


class EmbeddingCache:
    """Embeddings by key, least recently used dropped first past ``max_bytes``."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[Hashable, Embedded] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Embedded | None:
        """The embedding of ``key`` (now the most recently used), or None."""
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None:
                self._entries.move_to_end(key)
            return hit

    def put(self, key: Hashable, value: Embedded) -> None:
        """Keep ``value`` (one larger than the whole budget is not kept)."""
        with self._lock:
            old = self._entries.pop(key, None)
            self._bytes -= old.nbytes if old is not None else 0
            if value.nbytes > self.max_bytes:
                return
            self._entries[key] = value
            self._bytes += value.nbytes
            while self._bytes > self.max_bytes:
                _, dropped = self._entries.popitem(last=False)
                self._bytes -= dropped.nbytes

    def clear(self) -> None:
        """Drop every embedding."""
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._entries

    @property
    def nbytes(self) -> int:
        """Bytes held now."""
        return self._bytes


class Segmenter:
    """One loaded promptable model: an image's embedding, and a prompt's best mask.

    SAM and SAM-HQ resize the longer side to the model's input and pad (their prompts are
    scaled by the resized size, as ``SamProcessor`` does); SAM 2 resizes to a square and
    its processor scales the prompt from the original size alone, so it is asked to."""

    def __init__(self, loaded: LoadedModel) -> None:
        self.loaded = loaded
        self.model = loaded.model
        self.processor = loaded.processor
        self.family = str(getattr(loaded.model.config, "model_type", "sam"))
        self._copies: dict[Any, Any] = {}
        self._copies_lock = threading.Lock()

    def copy_in(self, dtype: Any) -> Any:
        """The model's image encoder with its weights in torch ``dtype``, to call
        ``get_image_embeddings`` on (:func:`~.encoder_copy.encoder_copy`: the encoder's part
        of the model alone, made once and kept; the model itself when it is in ``dtype``
        already): the box-to-mask job's encoder in bf16 on a CPU that multiplies bf16
        natively (:mod:`.precision`)."""
        if dtype == self.model.dtype:
            return self.model
        with self._copies_lock:
            if dtype not in self._copies:
                self._copies[dtype] = encoder_copy(self.model, self.family, dtype)
            return self._copies[dtype]

    def drop_copies(self) -> None:
        """Free the copies :meth:`copy_in` made (a job's, once it ends: the warm model stays
        for clicks, its bf16 copy need not)."""
        with self._copies_lock:
            self._copies.clear()

    def embed(self, image: Any) -> Embedded:
        """The image encoder's output for an RGB PIL ``image``."""
        return self.embed_prepared(self.preprocess([image]))[0]

    def preprocess(self, images: list[Any]) -> Any:
        """The processor's batch of RGB PIL ``images`` (resized, normalised, padded to the
        model's square input, so images of any sizes stack): what :meth:`embed_prepared`
        takes, made on the job's producer threads while the encoder runs."""
        return self.processor.image_processor(images=images, return_tensors="pt")

    def embed_prepared(self, inputs: Any, dtype: Any = None) -> list[Embedded]:
        """The image encoder's output for each image of a :meth:`preprocess` batch, in one
        forward pass; ``dtype``: run the encoder in this torch dtype (:meth:`copy_in`), its
        output handed back in the model's own (the decoder's) dtype."""
        import torch

        encoder = self.model if dtype is None else self.copy_in(dtype)
        pixels = inputs["pixel_values"].to(self.loaded.device, encoder.dtype)
        with torch.inference_mode():
            tensors = _cast(encoder.get_image_embeddings(pixels), self.model.dtype)
        resized = inputs.get("reshaped_input_sizes")
        out = []
        for i in range(len(pixels)):
            original = tuple(int(v) for v in inputs["original_sizes"][i])
            reshaped = tuple(int(v) for v in resized[i]) if resized is not None else original
            row = _row(tensors, i)
            out.append(Embedded(row, original, reshaped, _nbytes(row)))  # type: ignore[arg-type]
        return out

    def decode(self, embedded: Embedded, prompt: Prompt) -> tuple[np.ndarray, float]:
        """The best mask (boolean, the image's size) of ``prompt`` and its predicted IoU."""
        import torch

        if self.family == "sam2":
            kwargs = self._sam2_prompt(embedded, prompt)
            kwargs["image_embeddings"] = embedded.tensors
        else:
            kwargs = self._sam_prompt(embedded, prompt)
            if self.family == "sam_hq":  # the encoder's intermediate layers feed the HQ token
                kwargs["image_embeddings"], kwargs["intermediate_embeddings"] = embedded.tensors
            else:
                kwargs["image_embeddings"] = embedded.tensors
        with torch.inference_mode():
            out = self.model(multimask_output=True, **kwargs)
        scores = out.iou_scores[0, 0].float().cpu()
        best = int(torch.argmax(scores))
        # only the chosen mask is brought to the image's size: each mask is upscaled on
        # its own, so this is the same pixels for a third of the interpolation
        low = out.pred_masks[:, :, best : best + 1].float().cpu()
        original = [list(embedded.original_size)]
        if self.family == "sam2":
            masks = self.processor.post_process_masks(low, original)[0][0]
        else:
            reshaped = [list(embedded.reshaped_size)]
            masks = self.processor.image_processor.post_process_masks(low, original, reshaped)[0][0]
        return masks[0].numpy().astype(bool), float(scores[best])

    def decode_boxes(
        self, embedded: Embedded, boxes: list[tuple[float, float, float, float]]
    ) -> list[tuple[np.ndarray, float]]:
        """The best mask and predicted IoU of each box ``(x, y, w, h)`` alone as a prompt,
        all boxes in one decoder call (SAM prompts each box on its own: the masks are those
        of one call per box)."""
        import torch

        if not boxes:
            return []
        corners = [(x, y, x + w, y + h) for x, y, w, h in boxes]
        if self.family == "sam2":
            encoded = self.processor(
                original_sizes=[list(embedded.original_size)],
                input_boxes=[[list(c) for c in corners]],
                return_tensors="pt",
            )
            kwargs: dict[str, Any] = {"input_boxes": encoded["input_boxes"].to(self.loaded.device)}
            kwargs["image_embeddings"] = embedded.tensors
        else:
            (old_h, old_w), (new_h, new_w) = embedded.original_size, embedded.reshaped_size
            scale = np.array([new_w / old_w, new_h / old_h] * 2)
            scaled = np.asarray(corners, dtype=np.float64) * scale
            kwargs = {"input_boxes": torch.from_numpy(scaled[None]).to(self.loaded.device)}
            if self.family == "sam_hq":
                kwargs["image_embeddings"], kwargs["intermediate_embeddings"] = embedded.tensors
            else:
                kwargs["image_embeddings"] = embedded.tensors
        with torch.inference_mode():
            out = self.model(multimask_output=True, **kwargs)
        scores = out.iou_scores[0].float().cpu()  # (boxes, 3)
        best = torch.argmax(scores, dim=1)
        rows = torch.arange(len(boxes))
        low = out.pred_masks[0][rows, best].float().cpu()[None, :, None]  # (1, boxes, 1, h, w)
        original = [list(embedded.original_size)]
        if self.family == "sam2":
            masks = self.processor.post_process_masks(low, original)[0]
        else:
            reshaped = [list(embedded.reshaped_size)]
            masks = self.processor.image_processor.post_process_masks(low, original, reshaped)[0]
        chosen = scores[rows, best].tolist()
        return [(masks[i, 0].numpy().astype(bool), float(chosen[i])) for i in range(len(boxes))]

    def _sam_prompt(self, embedded: Embedded, prompt: Prompt) -> dict[str, Any]:
        """SAM's prompt tensors: pixels scaled to the resized image (``SamProcessor``'s
        ``_normalize_coordinates``, in float64 as it computes them)."""
        import torch

        (old_h, old_w), (new_h, new_w) = embedded.original_size, embedded.reshaped_size
        scale = np.array([new_w / old_w, new_h / old_h])
        device, out = self.loaded.device, {}
        if prompt.points:
            xy = np.asarray(prompt.points, dtype=np.float64) * scale
            out["input_points"] = torch.from_numpy(xy[None, None]).to(device)
            out["input_labels"] = torch.tensor([[list(prompt.labels)]], device=device)
        corners = prompt.corners()
        if corners is not None:
            box = (np.asarray(corners, dtype=np.float64).reshape(2, 2) * scale).reshape(4)
            out["input_boxes"] = torch.from_numpy(box[None, None]).to(device)
        return out

    def _sam2_prompt(self, embedded: Embedded, prompt: Prompt) -> dict[str, Any]:
        """SAM 2's prompt tensors, from its processor (the image's original size only)."""
        given: dict[str, Any] = {}
        if prompt.points:
            given["input_points"] = [[[list(p) for p in prompt.points]]]
            given["input_labels"] = [[list(prompt.labels)]]
        corners = prompt.corners()
        if corners is not None:
            given["input_boxes"] = [[list(corners)]]
        encoded = self.processor(
            original_sizes=[list(embedded.original_size)], return_tensors="pt", **given
        )
        return {k: encoded[k].to(self.loaded.device) for k in given}


Loader = Callable[[str], LoadedModel]


class SegmentEngine:
    """The warm model (one at a time: a SAM ViT-H holds 2.5 GB) and the embedding cache."""

    def __init__(
        self,
        cache_bytes: int = DEFAULT_CACHE_BYTES,
        loader: Loader | None = None,
    ) -> None:
        self.cache = EmbeddingCache(cache_bytes)
        self._loader = loader or load_segmenter
        self._model: tuple[str, Segmenter] | None = None
        self._lock = threading.Lock()

    def segmenter(self, model: str) -> Segmenter:
        """The loaded ``model`` (loaded on first use; another model replaces it and its
        embeddings, which no other model can read)."""
        with self._lock:
            if self._model is None or self._model[0] != model:
                self._model = None  # the old model's memory goes before the new one loads
                self.cache.clear()
                self._model = (model, Segmenter(self._loader(model)))
            return self._model[1]

    def embed(self, model: str, key: Hashable, read_image: ImageReader) -> bool:
        """Make sure the embedding of the image ``key`` is cached; True when it was
        computed now (False: it was there)."""
        return self._embedded(model, key, read_image)[1] > 0

    def _embedded(
        self, model: str, key: Hashable, read_image: ImageReader
    ) -> tuple[Embedded, float]:
        segmenter = self.segmenter(model)
        full = (model, key)
        hit = self.cache.get(full)
        if hit is not None:
            return hit, 0.0
        start = time.perf_counter()
        embedded = segmenter.embed(read_image())
        self.cache.put(full, embedded)
        return embedded, time.perf_counter() - start

    def segment(
        self, model: str, key: Hashable, read_image: ImageReader, prompt: Prompt
    ) -> dict[str, Any]:
        """The best mask of ``prompt`` on the image ``key``: ``{"mask": RLE, "area", "bbox",
        "score", "width", "height", "embedding": "cached" | "computed", "seconds":
        {"embed", "decode"}}``; a prompt outside the image is refused."""
        embedded, embed_s = self._embedded(model, key, read_image)
        height, width = embedded.original_size
        check_inside(prompt, width, height)
        start = time.perf_counter()
        mask, score = self.segmenter(model).decode(embedded, prompt)
        decode_s = time.perf_counter() - start
        return {
            **mask_answer(mask),
            "score": score,
            "width": width,
            "height": height,
            "embedding": "computed" if embed_s else "cached",
            "seconds": {"embed": embed_s, "decode": decode_s},
        }
