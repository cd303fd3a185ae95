"""Image hashes for duplicates: a content hash of the bytes and a perceptual hash of the pixels.

* content hash: BLAKE2b (16 bytes) of the file's bytes: equal hashes are byte-identical
  copies.
* perceptual hash (pHash): the image is decoded at reduced size (JPEG DCT scaling through
  PIL's ``draft``, so a 4000 px photo costs about as much as its 500 px thumbnail), made
  grey, resized to 32x32; the 8x8 lowest frequencies of its 2-D DCT (DC term excluded) are
  compared with their median, giving 64 bits. Re-encoded (JPEG quality 60) or resized
  copies land within a few bits of the original; :func:`hamming_pairs` finds pairs within
  a distance without comparing every pair (pigeonhole on bit chunks).
* thumbnail: the same 32x32 grey image averaged down to 16x16 (256 bytes), the second look
  that confirms a hash match (:mod:`.confirm`): flat images share hashes, not pixels.

Runs where the image bytes are (worker processes): nothing here touches the catalog.
"""

from __future__ import annotations

import hashlib
import io
import math
from collections.abc import Iterable, Iterator, Sequence

import numpy as np
from PIL import Image, ImageOps

from ..int_unique import unique_ints
from .confirm import THUMB_SIZE

PHASH_SIZE = 32
PHASH_BITS = 8
DEFAULT_MAX_DISTANCE = 6
"""Hamming distance (of 64 bits) up to which two pHashes are perceptual duplicates."""


def _dct_matrix(n: int) -> np.ndarray:
    k = np.arange(n)[:, None]
    i = np.arange(n)[None, :]
    m = np.cos(np.pi * (2 * i + 1) * k / (2 * n)) * math.sqrt(2 / n)
    m[0] /= math.sqrt(2)
    return m


_DCT = _dct_matrix(PHASH_SIZE)


def content_hash(data: bytes) -> bytes:
    """16-byte BLAKE2b digest of the image file's bytes."""
    return hashlib.blake2b(data, digest_size=16).digest()


def perceptual_hash(data: bytes) -> int:
    """The 64-bit pHash of an encoded image (EXIF orientation applied); raises on bad data."""
    return image_signature(data)[0]


def image_signature(data: bytes) -> tuple[int, bytes]:
    """The pHash of an encoded image and its 16x16 grey thumbnail (uint8, row-major)."""
    with Image.open(io.BytesIO(data)) as im:
        im.draft("L", (PHASH_SIZE * 4, PHASH_SIZE * 4))  # JPEG: decode at 1/2..1/8 scale
        grey = ImageOps.exif_transpose(im).convert("L")
    small = grey.resize((PHASH_SIZE, PHASH_SIZE), Image.Resampling.BOX)
    pixels = np.asarray(small, dtype=np.float64)
    freq = (_DCT @ pixels @ _DCT.T)[:PHASH_BITS, :PHASH_BITS].ravel()[1:]
    bits = np.concatenate([[False], freq > np.median(freq)])
    half = PHASH_SIZE // THUMB_SIZE
    thumb = pixels.reshape(THUMB_SIZE, half, THUMB_SIZE, half).mean(axis=(1, 3))
    return (
        int.from_bytes(np.packbits(bits).tobytes(), "big"),
        np.rint(thumb).astype(np.uint8).tobytes(),
    )


Signature = tuple[int, bytes | None, int | None, bytes | None]
"""``(sample_id, content hash, pHash, thumbnail)``."""


def hash_images(items: Sequence[tuple[int, str]]) -> Iterator[Signature]:
    """``(sample_id, content hash, pHash, thumbnail)`` of each ``(sample_id, location)``;
    ``None``s for an image that cannot be read or decoded (it is simply nobody's
    duplicate)."""
    from ..media.sources import read_bytes

    for sample_id, location in items:
        try:
            data = read_bytes(location)
        except Exception:
            yield sample_id, None, None, None
            continue
        try:
            phash, thumb = image_signature(data)
        except Exception:
            yield sample_id, content_hash(data), None, None
            continue
        yield sample_id, content_hash(data), phash, thumb


def hash_chunks(items: Sequence[tuple[int, str]], chunk: int = 256) -> Iterator[list[Signature]]:
    """:func:`hash_images` in lists of ``chunk`` (what a worker process streams back)."""
    out: list[Signature] = []
    for row in hash_images(items):
        out.append(row)
        if len(out) >= chunk:
            yield out
            out = []
    if out:
        yield out


def equal_pairs(keys: Sequence[bytes | None]) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs ``i < j`` with equal, non-null keys (every pair within a run of equals)."""
    groups: dict[bytes, list[int]] = {}
    for index, key in enumerate(keys):
        if key is not None:
            groups.setdefault(key, []).append(index)
    return _pairs_within(g for g in groups.values() if len(g) > 1)


def hamming_pairs(
    hashes: np.ndarray, max_distance: int = DEFAULT_MAX_DISTANCE
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Index pairs ``i < j`` of uint64 ``hashes`` within ``max_distance`` bits, and the distance.

    Pigeonhole: split the 64 bits into ``max_distance + 1`` chunks; two hashes within the
    distance agree on at least one chunk, so only hashes sharing a chunk value are compared.
    """
    if not 0 <= max_distance < 64:
        raise ValueError("max_distance must be in 0..63")
    hashes = np.asarray(hashes, dtype=np.uint64)
    chunks = max_distance + 1
    bounds = np.linspace(0, 64, chunks + 1).astype(int)
    cand_i: list[np.ndarray] = []
    cand_j: list[np.ndarray] = []
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
        key = (hashes >> np.uint64(lo)) & np.uint64((1 << int(hi - lo)) - 1)
        order = np.argsort(key, kind="stable")
        sorted_key = key[order]
        starts = np.flatnonzero(np.r_[True, sorted_key[1:] != sorted_key[:-1]])
        ends = np.r_[starts[1:], len(order)]
        runs = [order[s:e] for s, e in zip(starts, ends, strict=True) if e - s > 1]
        i, j = _pairs_within(runs)
        cand_i.append(i)
        cand_j.append(j)
    i = np.concatenate(cand_i) if cand_i else np.empty(0, np.int64)
    j = np.concatenate(cand_j) if cand_j else np.empty(0, np.int64)
    if len(i) == 0:
        return i, j, np.empty(0, np.int64)
    key = unique_ints(i * len(hashes) + j)
    i, j = key // len(hashes), key % len(hashes)
    distance = popcount(hashes[i] ^ hashes[j])
    keep = distance <= max_distance
    return i[keep], j[keep], distance[keep]


def _pairs_within(groups: Iterable[Sequence[int] | np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    out_i: list[np.ndarray] = []
    out_j: list[np.ndarray] = []
    for members in groups:
        arr = np.sort(np.asarray(members, dtype=np.int64))
        a, b = np.triu_indices(len(arr), 1)
        out_i.append(arr[a])
        out_j.append(arr[b])
    if not out_i:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    return np.concatenate(out_i), np.concatenate(out_j)


def popcount(x: np.ndarray) -> np.ndarray:
    """The number of set bits of each 64-bit hash in ``x`` (the Hamming weight, whose value
    on ``a ^ b`` is the hashes' distance)."""
    as_bytes = x.astype(">u8").view(np.uint8).reshape(-1, 8)
    return np.unpackbits(as_bytes, axis=1).sum(axis=1).astype(np.int64)
