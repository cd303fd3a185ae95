"""Integer codes as the names they stand for, the form per-object rows store them in."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa


def names_of(codes: np.ndarray, names: Sequence[str]) -> pa.Array:
    """``names[code]`` per code as a dictionary-encoded Arrow string array; a negative
    code is null. Left encoded: the per-object tables' VARCHAR columns take it as it is,
    and DuckDB inserts it faster than one string per row (the cast cost as much again)."""
    indices = pa.array(np.maximum(codes, 0).astype(np.int32), pa.int32(), mask=codes < 0)
    return pa.DictionaryArray.from_arrays(indices, pa.array(list(names), pa.string()))
