"""Masks as Label Studio's brush regions: its run-length packing of an RGBA image, both ways.

Label Studio keeps a ``BrushLabels`` region's mask as ``value.rle``: a list of bytes that
pack the image's RGBA values (``4 * width * height`` of them, row by row) in the format of
thi.ng's ``rle-pack``, which its editor reads and writes. A bit stream, most significant
bit first: the value count (32 bits), the word size less one (5 bits), four run-length
field sizes less one (4 bits each), then records until the count is reached: a flag bit
(1: one word repeated, 0: words given one by one), a 2-bit index into the field sizes, the
record's length less one in that many bits, then the repeated word or each word.

VisionLens writes a mask as every channel 255 inside, 0 outside (what Label Studio's own
``mask2rle`` writes); it reads a pixel as inside where its alpha is not 0, as Label
Studio's COCO export does (its editor paints in the label's colour, opaque).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

RUN_BITS = (3, 4, 8, 16)
"""The record-length field sizes written: runs of up to 8, 16, 256 and 65,536 words."""
WORD_BITS = 8
LONG_RECORD = 64
"""Words given one by one from this many on are read in one NumPy step, fewer one at a time."""
MAX_VALUES = 2**32 - 1
"""The 32-bit value count bounds an image at about a billion pixels."""


def encode_brush(mask: np.ndarray) -> list[int]:
    """The ``rle`` bytes of a boolean ``height`` x ``width`` mask (vectorised: a 1080p mask
    is a few runs per row, each one record)."""
    flat = np.ascontiguousarray(mask, dtype=bool).reshape(-1)
    if 4 * flat.size > MAX_VALUES:
        raise ValueError(f"a {mask.shape} mask is past Label Studio's 32-bit value count")
    if flat.size == 0:
        raise ValueError("an empty image has no brush mask")
    starts = np.flatnonzero(np.r_[True, flat[1:] != flat[:-1]])
    runs = np.diff(np.r_[starts, flat.size]).astype(np.int64) * 4  # four channels a pixel
    values = np.where(flat[starts], 255, 0).astype(np.int64)
    # a run past the longest field becomes several records of the same word
    pieces = -(-runs // 2 ** RUN_BITS[-1])
    lengths = np.repeat(runs, pieces)
    first = np.cumsum(pieces) - pieces
    offset = np.arange(lengths.size) - np.repeat(first, pieces)
    lengths = np.minimum(lengths - offset * 2 ** RUN_BITS[-1], 2 ** RUN_BITS[-1])
    values = np.repeat(values, pieces)
    index = np.searchsorted(2 ** np.array(RUN_BITS), lengths)  # the smallest field that fits
    size = np.array(RUN_BITS, dtype=np.int64)[index]
    records = ((4 | index) << (size + WORD_BITS)) | ((lengths - 1) << WORD_BITS) | values
    header = np.array([4 * flat.size, WORD_BITS - 1, *(b - 1 for b in RUN_BITS)])
    header_bits = _bits(header, np.array([32, 5, 4, 4, 4, 4]))
    bits = np.concatenate([header_bits, _bits(records, 3 + size + WORD_BITS)])
    return [int(b) for b in np.packbits(bits)]


def _bits(words: np.ndarray, widths: np.ndarray) -> np.ndarray:
    """Each word's ``width`` low bits, most significant first, one after another."""
    widths = widths.astype(np.int64)
    first = np.cumsum(widths) - widths
    k = np.arange(int(widths.sum())) - np.repeat(first, widths)
    shift = np.repeat(widths, widths) - 1 - k
    return ((np.repeat(words.astype(np.uint64), widths) >> shift.astype(np.uint64)) & 1).astype(
        np.uint8
    )


def decode_brush(rle: Any, width: int, height: int) -> np.ndarray | str:
    """A brush region's ``rle`` as a boolean ``height`` x ``width`` mask, or why it is not
    one (not bytes, another image's size, cut short, past its count)."""
    if not isinstance(rle, Sequence) or isinstance(rle, str | bytes) or not rle:
        return "a brush region without its rle bytes"
    try:
        data = bytes(rle)
    except (TypeError, ValueError):
        return "a brush region's rle is not a list of bytes (0 to 255)"
    bits = format(int.from_bytes(data, "big"), f"0{8 * len(data)}b")
    try:
        return _decode(bits, width, height)
    except (ValueError, IndexError):
        return "a brush region's rle ends before its last value"


def _decode(bits: str, width: int, height: int) -> np.ndarray | str:
    count = int(bits[0:32], 2)
    if count != 4 * width * height:
        return (
            f"a brush mask of {count} RGBA values, the image has {4 * width * height} "
            f"({width} x {height})"
        )
    word = int(bits[32:37], 2) + 1
    sizes = [int(bits[37 + 4 * i : 41 + 4 * i], 2) + 1 for i in range(4)]
    places = np.int64(1) << np.arange(word - 1, -1, -1, dtype=np.int64)
    parts: list[tuple[np.ndarray, np.ndarray]] = []  # (words, repeats), in order
    words: list[int] = []
    repeats: list[int] = []
    done, at = 0, 53
    while done < count:
        repeated, size = bits[at], sizes[int(bits[at + 1 : at + 3], 2)]
        length = int(bits[at + 3 : at + 3 + size], 2) + 1
        at += 3 + size
        if repeated == "1" or length < LONG_RECORD:
            for _ in range(1 if repeated == "1" else length):
                words.append(int(bits[at : at + word], 2))
                repeats.append(length if repeated == "1" else 1)
                at += word
        else:  # many words given one by one (an editor's painted region): read at once
            chunk = bits[at : at + length * word]
            if len(chunk) < length * word:
                raise ValueError("cut short")
            digits = np.frombuffer(chunk.encode("ascii"), dtype=np.uint8) - 48
            parts += [(np.array(words, np.int64), np.array(repeats, np.int64))]
            parts += [(digits.reshape(length, word) @ places, np.ones(length, np.int64))]
            words, repeats = [], []
            at += length * word
        done += length
    if at > len(bits):
        raise ValueError("cut short")
    if done != count:
        return f"a brush region's rle holds {done} values, its header says {count}"
    parts.append((np.array(words, np.int64), np.array(repeats, np.int64)))
    values = np.concatenate([w for w, _ in parts]).astype(np.uint8 if word <= 8 else np.int64)
    alpha = np.repeat(values, np.concatenate([r for _, r in parts]))[3::4]
    return alpha.reshape(height, width) != 0
