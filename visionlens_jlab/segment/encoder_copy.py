"""The image encoder's copy in a reduced dtype, made without a float32 duplicate.

The box-to-mask job runs SAM's image encoder in bf16 (:mod:`.precision`) while the prompt
encoder and the mask decoder stay in the model's own dtype. ``copy.deepcopy(model).to(dtype)``
first duplicates the whole model in float32 (a SAM ViT-H: 2.5 GB on top of the warm model)
and converts the prompt encoder and the decoder, which never run in the copy. Here each
tensor that ``get_image_embeddings`` runs is converted straight into the reduced dtype and
handed to ``copy.deepcopy`` through its memo, every other submodule and tensor memoised as
None: the copy is the model's own class holding the encoder's path alone, the model's own
``get_image_embeddings`` runs on it, and the memory it adds at its peak is that path's size
in the reduced dtype.
"""

from __future__ import annotations

import copy
from typing import Any

ENCODER_PATHS: dict[str, tuple[str, ...]] = {
    "sam": ("vision_encoder",),
    "sam_hq": ("vision_encoder",),
    # SAM 2's get_image_embeddings also projects two levels of the feature pyramid with the
    # decoder's convolutions and adds the no-memory embedding (so that clicks need not)
    "sam2": (
        "vision_encoder",
        "mask_decoder.conv_s0",
        "mask_decoder.conv_s1",
        "no_memory_embedding",
    ),
}
"""Per family (the model's ``config.model_type``), the submodules and parameters (dotted
names in the model) that its ``get_image_embeddings`` runs."""


def _under(name: str, paths: tuple[str, ...]) -> bool:
    """Whether the dotted ``name`` is one of ``paths`` or inside one."""
    return any(name == p or name.startswith(f"{p}.") for p in paths)


def _above(name: str, paths: tuple[str, ...]) -> bool:
    """Whether the module ``name`` contains one of ``paths`` (the model itself, ``""``, does)."""
    return not name or any(p.startswith(f"{name}.") for p in paths)


def encoder_copy(model: Any, family: str, dtype: Any) -> Any:
    """A copy of ``model`` (a transformers ``SamModel``, ``SamHQModel`` or ``Sam2Model`` of
    ``family``) holding only what its ``get_image_embeddings`` runs, its floating tensors in
    torch ``dtype``; the rest of the model is None in the copy, never copied. The copy
    shares no tensor with ``model``, and a tensor the encoder uses in two places is one
    tensor in the copy too."""
    import torch

    paths = ENCODER_PATHS[family]
    modules = list(model.named_modules(remove_duplicate=False))
    tensors = [
        *model.named_parameters(remove_duplicate=False),
        *model.named_buffers(remove_duplicate=False),
    ]
    # by identity, not by name: a module or tensor registered twice is on the path if
    # either name is
    on_path = {id(m) for name, m in modules if _under(name, paths) or _above(name, paths)}
    kept = {id(t) for name, t in tensors if _under(name, paths)}
    memo: dict[int, Any] = {id(m): None for _, m in modules if id(m) not in on_path}
    for _, tensor in tensors:
        if id(tensor) in memo:
            continue
        if id(tensor) not in kept:
            memo[id(tensor)] = None
            continue
        # copy=True: a tensor already in ``dtype`` (or not floating) is copied all the same
        low = tensor.detach().to(dtype if tensor.is_floating_point() else tensor.dtype, copy=True)
        is_parameter = isinstance(tensor, torch.nn.Parameter)
        memo[id(tensor)] = torch.nn.Parameter(low, requires_grad=False) if is_parameter else low
    return copy.deepcopy(model, memo)
