"""The JSON bodies of notebook calls: a filter as the REST API takes it, a class subset,
and numpy / pandas values turned into JSON types."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..rest_client import VisionLensError

Filter = Mapping[str, Any]


def filter_body(spec: Filter | None) -> dict[str, Any] | None:
    """The JSON body of a filter given in a notebook (a mapping, or None for every sample)."""
    if spec is None:
        return None
    if not isinstance(spec, Mapping):
        raise VisionLensError(
            "a filter is a dict such as {'labels': {'classes': ['cat']}}; "
            "see help(visionlens_jlab.catalog.query.filters)"
        )
    return plain_json(dict(spec))


def class_names(classes: Iterable[str] | None) -> list[str] | None:
    """A class subset as a JSON list (one name given as a string is one class)."""
    if classes is None:
        return None
    return [classes] if isinstance(classes, str) else [str(c) for c in classes]


def plain_json(value: Any) -> Any:
    """Numpy scalars/arrays and sets → JSON types, so ``{'ids': df.sample_id}`` just works."""
    if isinstance(value, Mapping):
        return {str(k): plain_json(v) for k, v in value.items()}
    if isinstance(value, pd.Series | pd.Index | np.ndarray):
        return [plain_json(v) for v in value.tolist()]
    if isinstance(value, list | tuple | set | frozenset):
        return [plain_json(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value
