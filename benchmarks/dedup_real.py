"""Near-duplicates on real embeddings: real photos, planted copies, two real embedders.

Synthetic vectors are not CLIP's. Here the vectors come from real images: every JPEG of the
shared reference datasets (``$VISIONLENS_SHARED/datasets/*/images``, identical files kept
once) and the four quadrants of each (more distinct real content), plus planted copies of
some photos: re-encoded at JPEG quality 60, and resized to half size. They are embedded by
our embedding stream (the code the embed job runs) with

* the weight-free built-in embedder (``builtin-color-gradient``), and
* a tiny randomly initialised open_clip model built here (as the tests build theirs: no
  weights can be downloaded here), loaded through the checkpoint path.

On each set of vectors, at the default threshold and at a tail threshold (the similarity
that 0.1 % of all pairs reach, since a random model's vectors are all alike), the IVF
self-join (forced, though this few vectors would take the exact join) is compared with the
exact all-pairs join: recall, and how many planted copies each finds. The exact search
(the server's matrix ``top_k``) is asked for each copy's nearest neighbour: is it the
original?
"""

from __future__ import annotations

import hashlib
import io
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.embed_fixtures import reencode, save_tiny_clip  # noqa: E402
from tests.paths import DATASETS  # noqa: E402
from visionlens_jlab.dedup.near import exact_pairs, ivf_self_join, normalize_rows  # noqa: E402
from visionlens_jlab.embed.models import BUILTIN, parse_model  # noqa: E402
from visionlens_jlab.embed.stream import embed_stream  # noqa: E402
from visionlens_jlab.search.matrix_cache import DatasetMatrix  # noqa: E402

THRESHOLD = 0.95
PLANTED_EACH = 60
"""Photos copied by re-encoding, and (others) by resizing."""


def build_images(folder: Path, seed: int = 0) -> tuple[list[Path], list[tuple[int, int, str]], int]:
    """Write the images; returns their paths, the planted ``(original, copy, kind)`` and
    how many distinct photos there are."""
    folder.mkdir(parents=True, exist_ok=True)
    seen: set[str] = set()
    photos: list[bytes] = []
    for path in sorted(DATASETS.glob("*/images/*.jpg")):
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        if digest not in seen:
            seen.add(digest)
            photos.append(data)
    files: list[Path] = []

    def save(data: bytes) -> int:
        files.append(folder / f"{len(files):05d}.jpg")
        files[-1].write_bytes(data)
        return len(files) - 1

    photo_index = [save(data) for data in photos]
    for data in photos:  # the quadrants: real content, distinct from the whole photo
        im = Image.open(io.BytesIO(data)).convert("RGB")
        w, h = im.width // 2, im.height // 2
        for x, y in ((0, 0), (w, 0), (0, h), (w, h)):
            out = io.BytesIO()
            im.crop((x, y, x + w, y + h)).save(out, "JPEG", quality=90)
            save(out.getvalue())
    rng = np.random.default_rng(seed)
    chosen = rng.choice(len(photos), size=min(len(photos), 2 * PLANTED_EACH), replace=False)
    planted = []
    for n, p in enumerate(chosen.tolist()):
        kind = "re-encoded q60" if n < PLANTED_EACH else "resized 50 %"
        copy = reencode(photos[p], 60) if n < PLANTED_EACH else reencode(photos[p], 85, 0.5)
        planted.append((photo_index[p], save(copy), kind))
    return files, planted, len(photos)


def embed(spec: dict[str, Any], files: list[Path]) -> tuple[np.ndarray, str, float]:
    """Unit vectors of ``files`` (row ``i``: file ``i``) through our embedding stream."""
    items = [(i, str(p)) for i, p in enumerate(files)]
    out = np.zeros((len(files), 0), np.float32)
    dtype, t = "", time.perf_counter()
    for message in embed_stream(spec, items, "cpu", 32, "auto"):
        if message[0] == "vectors" and len(message[1]):
            if out.shape[1] == 0:
                out = np.zeros((len(files), message[2].shape[1]), np.float32)
            out[message[1]] = message[2]
        elif message[0] == "done":
            dtype = message[1]["dtype"]
    return normalize_rows(out), dtype, time.perf_counter() - t


def measure(
    name: str, vectors: np.ndarray, planted: list[tuple[int, int, str]]
) -> list[dict[str, Any]]:
    """Rows of the table for one model's vectors."""
    n = len(vectors)
    sims = vectors @ vectors.T
    upper = sims[np.triu_indices(n, 1)]
    tail = float(np.quantile(upper, 0.999))
    matrix = DatasetMatrix(np.arange(n, dtype=np.int64), vectors, "cosine", None)
    nearest_is_original = 0
    for original, copy, _ in planted:
        hits = matrix.top_k(vectors[copy], 2)  # itself (score 1) and its nearest other
        others = [h.sample_id for h in hits if h.sample_id != copy]
        nearest_is_original += bool(others) and others[0] == original
    rows = []
    for label, threshold in ((f"{THRESHOLD}", THRESHOLD), (f"{tail:.4f} (0.1 % of pairs)", tail)):
        exact = exact_pairs(vectors, threshold)
        ivf = ivf_self_join(vectors, threshold)
        truth = set(zip(exact.i.tolist(), exact.j.tolist(), strict=True))
        found = set(zip(ivf.i.tolist(), ivf.j.tolist(), strict=True))
        pairs = {(min(a, b), max(a, b)) for a, b, _ in planted}
        rows.append(
            {
                "model": name,
                "threshold": label,
                "median_pair_cosine": float(np.median(upper)),
                "exact_pairs": len(truth),
                "ivf_pairs": len(found),
                "recall": len(truth & found) / len(truth) if truth else None,
                "false": len(found - truth),
                "planted_exact": len(pairs & truth),
                "planted_ivf": len(pairs & found),
                "nearest_is_original": nearest_is_original,
            }
        )
    return rows


def section() -> list[str]:
    """The markdown section: data, then one row per model and threshold."""
    with tempfile.TemporaryDirectory(prefix="vl-dedup-real-") as tmp:
        files, planted, n_photos = build_images(Path(tmp) / "images")
        tiny = save_tiny_clip(Path(tmp) / "tiny-clip")
        models = [
            (BUILTIN.name, BUILTIN.to_json()),
            ("tiny random open_clip (32-d, 64 px)", parse_model(None, str(tiny)).to_json()),
        ]
        rows, notes = [], []
        for name, spec in models:
            vectors, dtype, seconds = embed(spec, files)
            notes.append(f"{name}: {vectors.shape[1]}-d, {dtype}, embedded in {seconds:.1f} s")
            rows += measure(name, vectors, planted)
    n_planted = len(planted)
    lines = [
        "## Real embeddings (real photos, planted copies)",
        "",
        f"- Images: {len(files):,} = {n_photos} distinct photos of the shared datasets, their 4 quadrants each, and {n_planted} "
        f"planted copies ({PLANTED_EACH} re-encoded at JPEG q60, {PLANTED_EACH} resized to "
        "50 %); embedded through `embed_stream` on the CPU: " + "; ".join(notes) + ".",
        "- Recall: pairs found by the IVF self-join (forced) among the exact all-pairs join's. "
        "Planted: copies whose pair with their original each join finds. Nearest: copies whose "
        "nearest other vector in the exact search (`DatasetMatrix.top_k`) is their original.",
        "",
        "| embedder | threshold | median pair cosine | exact pairs | IVF pairs | IVF recall "
        "| IVF false pairs | planted found: exact / IVF | nearest is original |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        recall = "n/a (no pair)" if r["recall"] is None else f"{r['recall']:.3f}"
        lines.append(
            f"| {r['model']} | {r['threshold']} | {r['median_pair_cosine']:.3f} | "
            f"{r['exact_pairs']:,} | {r['ivf_pairs']:,} | {recall} | {r['false']} | "
            f"{r['planted_exact']} / {r['planted_ivf']} of {n_planted} | "
            f"{r['nearest_is_original']} of {n_planted} |"
        )
    return [*lines, ""]


if __name__ == "__main__":
    print("\n".join(section()))
