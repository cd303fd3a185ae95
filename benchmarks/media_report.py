"""The Markdown report of ``bench_media.py``: each figure is median (min–max) over the rounds."""

from __future__ import annotations

import platform
from datetime import datetime, timezone
from typing import Any

from media_support import loadavg, machine


def render(
    gen: list[dict[str, Any]],
    encoders: list[dict[str, Any]],
    tput: list[dict[str, Any]],
    srv: dict[str, Any],
    per_size: int,
    reps: int,
    started: str,
    runs: int,
    encoder_names: list[str],
) -> str:
    """The Markdown report: each figure is median (min–max) over the rounds; ``encoder_names``
    name the columns of the encoding table (the keys of ``bench_media.ENCODERS``)."""
    from PIL import __version__ as pil_version
    from PIL import features

    lines = [
        f"## Run of {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
        "",
        f"- Machine: {machine()}",
        f"- Load average at the start: {started}; at the end: {loadavg()}",
        f"- Python {platform.python_version()}, Pillow {pil_version} "
        f"(libjpeg-turbo {features.version('libjpeg_turbo')}, WebP {features.version('webp')})",
        f"- Images: {per_size} per size (mosaics of real VOC photos, native resolution)",
        f"- **{runs} rounds** of every part (fresh images, cache and server each round); every "
        "figure is the median (min–max) over the rounds, ratios paired within a round. "
        "Thumbnails have no CLI command: the server rows are what a user's grid waits for.",
        "",
        f"### Per image, one core: CPU ms (mean over images of the best of {reps}, interleaved)",
        "",
        "| source | avg KB | floor: 1/8 decode only | baseline `thumbnail()` | baseline + encode "
        "| ours (all) | ours / floor | **speed-up** vs baseline | vs baseline + encode "
        "| ceiling: baseline / floor | wall: ours, speed-up | MAE ours / baseline | others' CPU |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for g in gen:
        lines.append(
            f"| {g['source']} | {g['kb']:.0f} | {g['floor']:.2f} | {g['base']:.2f} | "
            f"{g['base_enc']:.2f} | {g['ours']:.2f} | {g['r_floor']:.2f} | "
            f"**{g['speedup']:.2f}x** | {g['speedup_enc']:.2f}x | "
            f"{g['ceiling']:.2f}x | {g['wall_ours']:.2f} ms, "
            f"{g['wall_speedup']:.2f}x | {g['mae_ours']:.1f} / {g['mae_base']:.1f} "
            f"| {g['others']:.0f}% |"
        )
    lines += [
        "",
        "Floor: `draft('RGB', (w // 8, h // 8))` + `load()`, nothing else. Ceiling: baseline / "
        "floor, the most any libjpeg-based pipeline can gain on one core. MAE: mean absolute "
        "error (0-255) of the thumbnail against a Lanczos resize of the full image.",
        "",
        "### Encoding the 256 px thumbnail: CPU ms / KB (the service sends JPEG unless the image "
        "has transparency)",
        "",
        "| source | " + " | ".join(encoder_names) + " |",
        "|---|" + "---|" * len(encoder_names),
    ]
    for e in encoders:
        cells = " | ".join(f"{e[n][0]:.2f} ms / {e[n][1]:.1f} KB" for n in encoder_names)
        lines.append(f"| {e['source']} | {cells} |")
    lines += [
        "",
        "### Throughput of whole pipelines (256 px, q90 mix of the three sizes)",
        "",
        "| pipeline | processes | images | seconds | CPU s | images/s | idle before | others' CPU |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for t in tput:
        lines.append(
            f"| {t['pipeline']} | {t['processes']} | {t['n']} | {t['wall']:.2f} | {t['cpu']:.2f} "
            f"| {t['rate']:.0f} | {t['idle']:.0%} | {t['others']:.0f}% |"
        )
    lines += [
        "",
        "| speed-up | value |",
        "|---|---|",
        f"| per image, one core (ours / baseline CPU time, range over the sources above) | "
        f"{min(float(g['speedup']) for g in gen):.2f}x - {max(float(g['speedup']) for g in gen):.2f}x (medians) |",
    ]
    for t in tput[1:]:
        lines.append(
            f"| throughput on {t['processes']} core{'s' if t['processes'] > 1 else ''}: "
            f"{t['pipeline']} vs the baseline on 1 | {t['vs_base']:.2f}x |"
        )
    job, more, busy = srv["job"], srv["job_more"], srv["job_during"]
    lines += [
        "",
        "### Through a real `jupyter server` (loopback, token auth, keep-alive connections)",
        "",
        f"- Post-ingest pre-generation job (2 workers, incl. their start): {job['samples']} images "
        f"in {job['seconds']:.2f} s ({job['images_per_s']} images/s); {more['samples']} images in "
        f"{more['seconds']:.2f} s (**{more['images_per_s']} images/s**, others' CPU "
        f"{srv['job_more_others']:.0f}%)",
        f"- Uncached 128 px thumbnail, one client: p50 {srv['cold_p50']:.1f} ms, p95 "
        f"{srv['cold_p95']:.1f} ms; {srv['cold1']:.0f} images/s with 1 client, "
        f"{srv['cold2']:.0f} images/s with 2 (others' CPU up to {srv['cold_others']:.0f}%)",
        f"- **Cached thumbnail**, {srv['warm_n']} requests: **p50 {srv['warm_p50']:.2f} ms, "
        f"p95 {srv['warm_p95']:.2f} ms** (target p50 <= 5 ms; others' CPU {srv['warm_others']:.0f}%)",
        f"- 304 revalidation (`If-None-Match`): p50 {srv['reval_p50']:.2f} ms, "
        f"p95 {srv['reval_p95']:.2f} ms",
        f"- Cached thumbnail while pre-generating {busy['samples']} images (20 requests every "
        f"100 ms): {srv['during_n']} requests, p50 {srv['during_p50']:.2f} ms, "
        f"p95 {srv['during_p95']:.2f} ms; that job: {busy['images_per_s']} images/s",
    ]
    return "\n".join(lines) + "\n"
