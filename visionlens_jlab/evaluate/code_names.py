"""Integer codes as the names they stand for, the form per-object rows store them in."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa


def names_of(codes: np.ndarray, names: Sequence[str]) -> pa.Array:
    """``names[code]`` per code as an Arrow string array; a negative code is null."""
    indices = pa.array(np.maximum(codes, 0).astype(np.int32), pa.int32(), mask=codes < 0)
    return pa.DictionaryArray.from_arrays(indices, pa.array(list(names), pa.string())).cast(
        pa.string()
    )
