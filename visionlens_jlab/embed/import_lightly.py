"""Lightly's ``embeddings.csv`` as a :class:`~.import_sources.Source`: the export of
``lightly-embed`` and ``lightly.utils.io.save_embeddings``, a header ``filenames,
embedding_0, ..., embedding_<d-1>, labels`` and one image a row (LightlyTrain's ``csv``
format: ``filename`` and no ``labels``). It is read in blocks (never
whole), the ``embedding_*`` columns of each block stacked into one vector a row; the
``filenames`` are file names, matched as any file's are."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from .base import EmbedError
from .import_sources import Chunk, Source

KEY_COLUMNS = ("filenames", "filename")
BLOCK_BYTES = 16 << 20
"""Bytes of CSV per block: ~4000 rows of 512 numbers written as text."""


def open_lightly_csv(path: str) -> Source:
    """The :class:`Source` of Lightly's embeddings CSV ``path``; an :class:`EmbedError`
    saying what a CSV needs when its header is not Lightly's."""
    with open(path, encoding="utf-8-sig", newline="") as f:
        header = [h.strip() for h in next(csv.reader(f), [])]
    dims = [h for h in header if re.fullmatch(r"embedding_[0-9]+", h)]
    key = next((k for k in KEY_COLUMNS if k in header), None)
    if key is None or not dims:
        raise EmbedError(
            f"{path} is a CSV file without Lightly's columns (its header: "
            f"{', '.join(header[:8]) or 'none'}): a CSV of embeddings holds 'filenames' (or "
            "'filename') and 'embedding_0' ... 'embedding_<d-1>'; write others as Parquet, a 'vector' column "
            "beside a sample_id, image_id or file_name column"
        )
    if dims != [f"embedding_{i}" for i in range(len(dims))]:
        raise EmbedError(f"the embedding columns of {path} must run embedding_0 ... "
                         f"embedding_{len(dims) - 1} in order, not {', '.join(dims[:8])}")  # fmt: skip
    types = {key: pa.string(), **{d: pa.float64() for d in dims}}
    convert = pacsv.ConvertOptions(column_types=types, include_columns=[key, *dims],
                                   strings_can_be_null=True)  # fmt: skip
    try:  # the first block is read here: a bad cell in it is found now
        reader = pacsv.open_csv(path, pacsv.ReadOptions(block_size=BLOCK_BYTES),
                                convert_options=convert)  # fmt: skip
    except pa.ArrowInvalid as exc:
        raise EmbedError(f"{path} could not be read ({exc}): nothing was imported; each "
                         "embedding_* cell must be a number") from exc  # fmt: skip

    def chunks() -> Iterator[Chunk]:
        for batch in reader:
            if not batch.num_rows:
                continue
            # an empty cell is null: NaN here, so the row is reported as not finite
            matrix = np.column_stack(
                [batch.column(d).to_numpy(zero_copy_only=False) for d in dims]
            ).astype(np.float64)
            vectors = pa.FixedSizeListArray.from_arrays(pa.array(matrix.reshape(-1)), len(dims))
            yield Chunk(batch.column(key), vectors)

    return Source("file_name", chunks(), None)
