"""Media benchmarks: thumbnail speed per image, pre-generation throughput, serving latency.

    flock /tmp/vl-bench.lock .venv/bin/python benchmarks/bench_media.py [--quick] [--out FILE]

Images: mosaics of real photos (the VOC sample in $VISIONLENS_SHARED, pasted at native
resolution so the JPEGs have photographic detail and bit rates) at 640x480, 1280x720 and
1920x1080, JPEG q90 and q75; plus the real 640x480 photos of ``cartucho-map``.

1. Per image, on one core (CPU time and wall time, best of N per image, interleaved):
   the *floor* (JPEG decode at 1/8 DCT scale and nothing else: libjpeg-turbo's Huffman
   decoding, which no DCT scaling skips), the plain ``Image.open(p).thumbnail((256, 256))``
   baseline, that baseline plus a JPEG encode, and ours (``render_thumbnail``: read, decode,
   resize, EXIF, encode); with the mean absolute error of ours and the baseline against a
   Lanczos reference.
2. Throughput (images/s) of whole pipelines: the baseline in one process, our renderer in one
   process, ``pregenerate_thumbnails`` with 1 and 2 worker processes.
3. A real ``jupyter server`` (see ``media_support.py``): its post-ingest pre-generation job,
   uncached thumbnails with 1 and 2 clients, cached thumbnails, 304s, and cached thumbnails
   while a pre-generation job runs.

Every timing goes with the CPU share other processes used meanwhile (the machine is shared).
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from media_report import render  # noqa: E402
from media_support import (  # noqa: E402
    API,
    CHROME_ACCEPT,
    REAL_640,
    Meter,
    Server,
    insert_dataset,
    loadavg,
    mae,
    make_images,
    median,
    pct,
    per_image,
    thumbnails_job,
    timed_gets,
    wait_quiet,
    write_coco,
)
from rounds import aggregate  # noqa: E402

from visionlens_jlab.catalog import Catalog  # noqa: E402
from visionlens_jlab.features import load as load_features  # noqa: E402
from visionlens_jlab.media import imaging  # noqa: E402
from visionlens_jlab.media.cache import ThumbnailCache  # noqa: E402
from visionlens_jlab.media.pregen import pregenerate_thumbnails  # noqa: E402
from visionlens_jlab.media.pregen_tasks import Task, render_chunk  # noqa: E402

THUMB = 256


def floor(path: Path) -> None:
    """Decode at 1/8 DCT scale and nothing else (for JPEG: Huffman decoding dominates)."""
    im = Image.open(path)
    im.draft("RGB", (im.size[0] // 8, im.size[1] // 8))
    im.load()


def baseline(path: Path) -> Image.Image:
    """The plain way: ``Image.open(p).thumbnail((256, 256))`` (it drafts to 2x the target)."""
    im = Image.open(path)
    im.thumbnail((THUMB, THUMB))
    return im


def baseline_encoded(path: Path) -> bytes:
    """The baseline plus the same JPEG encode ours does (what a server has to send)."""
    buf = io.BytesIO()
    baseline(path).save(buf, "JPEG", quality=imaging.JPEG_QUALITY)
    return buf.getvalue()


def ours(path: Path) -> bytes:
    """Ours, whole: read the file, decode, resize, EXIF, encode."""
    return imaging.render_thumbnail(path.read_bytes(), THUMB, "jpeg")[0]


def benchper_image(label: str, paths: list[Path], reps: int) -> dict[str, Any]:
    """Per-image times of the floor, the baselines and ours on one set of images."""
    wait_quiet(30)
    with Meter() as m:
        times = per_image([floor, baseline, baseline_encoded, ours], paths, reps)
    (fw, fc), (bw, bc), (ew, ec), (ow, oc) = times
    err_ours, err_base = [], []
    for path in paths[:5]:
        src = Image.open(path).convert("RGB")
        mine = Image.open(io.BytesIO(ours(path)))
        ref = src.resize(mine.size, Image.Resampling.LANCZOS)
        err_ours.append(mae(mine, ref))
        err_base.append(mae(Image.open(io.BytesIO(baseline_encoded(path))).resize(mine.size), ref))
    return {
        "source": label,
        "kb": statistics.mean(p.stat().st_size for p in paths) / 1024,
        "floor": fc, "base": bc, "base_enc": ec, "ours": oc,
        "wall_floor": fw, "wall_base": bw, "wall_ours": ow,
        "mae_ours": statistics.mean(err_ours), "mae_base": statistics.mean(err_base),
        "others": m.others_pct,
    }  # fmt: skip


ENCODERS = {
    "JPEG q80 (ours)": ("JPEG", {"quality": 80}),
    "WebP q80 method 0": ("WEBP", {"quality": 80, "method": 0}),
    "WebP q80 method 2 (ours, transparent images)": ("WEBP", {"quality": 80, "method": 2}),
    "WebP q80 method 4 (Pillow's default)": ("WEBP", {"quality": 80, "method": 4}),
}


def bench_encoders(sets: dict[str, list[Path]], reps: int) -> list[dict[str, Any]]:
    """CPU ms and KB of encoding the 256 px thumbnails of each set, per encoder setting."""
    rows = []
    for label, paths in sets.items():
        thumbs = [Image.open(io.BytesIO(ours(p))).convert("RGB") for p in paths]
        row: dict[str, Any] = {"source": label}
        for name, (fmt, options) in ENCODERS.items():
            best, sizes = [float("inf")] * len(thumbs), []
            for _ in range(reps):
                for j, im in enumerate(thumbs):
                    buf = io.BytesIO()
                    c0 = time.process_time()
                    im.save(buf, fmt, **options)
                    best[j] = min(best[j], time.process_time() - c0)
                    sizes.append(buf.tell())
            row[name] = (statistics.mean(best) * 1000, statistics.mean(sizes) / 1024)
        rows.append(row)
    return rows


def bench_throughput(work: Path, files: list[Path]) -> list[dict[str, Any]]:
    """images/s of whole pipelines over ``files``, each on a machine as quiet as we can wait for."""
    rows = []

    def row(name: str, processes: int, m: Meter, idle: float) -> None:
        rows.append(
            {"pipeline": name, "processes": processes, "n": len(files), "wall": m.wall,
             "cpu": m.cpu, "rate": len(files) / m.wall, "others": m.others_pct, "idle": idle}
        )  # fmt: skip

    out = work / "baseline-out"
    out.mkdir()
    idle = wait_quiet()
    with Meter() as m:
        for i, path in enumerate(files):
            baseline(path).save(out / f"{i}.jpg", "JPEG", quality=imaging.JPEG_QUALITY)
    row("baseline: `open().thumbnail()` + JPEG encode + write", 1, m, idle)

    tasks = [Task(i, str(p), None) for i, p in enumerate(files)]
    idle = wait_quiet()
    with Meter() as m:
        render_chunk(str(work / "inproc-cache"), tasks, (THUMB,), "auto", 30.0)
    row("ours in one process (the workers' code, no pool)", 1, m, idle)

    for workers in (1, 2):
        data_dir = work / f"pregen-{workers}"
        insert_dataset(data_dir, "bench", files)
        load_features()  # the features' tables, before the catalog opens
        with Catalog(data_dir) as catalog:
            cache = ThumbnailCache(data_dir / "thumbnails")
            idle = wait_quiet()
            with Meter() as m:
                pregenerate_thumbnails(None, catalog, "bench", cache, (THUMB,), workers=workers)
        label = f"{workers} worker{'s' if workers > 1 else ''}"
        row(f"`pregenerate_thumbnails`, {label}, incl. their start", workers, m, idle)
    return rows


def bench_server(work: Path, paths: list[Path], more: list[Path], requests: int) -> dict[str, Any]:
    """A real server: post-ingest pre-generation, uncached/cached/304 latencies, and cached
    latency while a second dataset's pre-generation job runs."""
    r: dict[str, Any] = {"images": len(paths), "more": len(more)}
    server = Server(work / "server-data", work)
    try:
        server.ingest(write_coco(paths, paths[0].parent / "a.json"), "bench")
        r["job"] = server.wait_job(lambda j: thumbnails_job(j, "bench"))["result"]
        page = server.get(f"{API}/datasets/bench/samples?limit=1000")[1]
        ids = [s["sample_id"] for s in json.loads(page)["samples"]]
        url = f"{API}/datasets/bench/samples/{{}}/image?size={{}}"
        # Size 128 was not pre-generated: these render on the request (format=jpeg and auto
        # are separate cache entries with the same work: JPEG, the images are opaque).
        wait_quiet(30)
        with Meter((server.proc.pid,)) as m1:
            cold, wall1 = timed_gets(server, [url.format(i, 128) + "&format=jpeg" for i in ids])
        with Meter((server.proc.pid,)) as m2:
            _, wall2 = timed_gets(
                server, [url.format(i, 128) for i in ids], 2, {"Accept": CHROME_ACCEPT}
            )
        r.update(cold_p50=median(cold), cold_p95=pct(cold, 0.95), cold1=len(ids) / wall1,
                 cold2=len(ids) / wall2, cold_others=max(m1.others_pct, m2.others_pct))  # fmt: skip
        cached = [url.format(ids[i % len(ids)], THUMB) for i in range(requests)]
        with Meter((server.proc.pid,)) as m:
            warm, _ = timed_gets(server, cached, 1, {"Accept": CHROME_ACCEPT})
        r.update(warm_n=len(warm), warm_p50=median(warm), warm_p95=pct(warm, 0.95),
                 warm_others=m.others_pct)  # fmt: skip
        etags = {}
        for i in ids:
            _, _, resp = server.request(
                "GET", url.format(i, THUMB), headers={"Accept": CHROME_ACCEPT}
            )
            etags[i] = resp.getheader("ETag")
        reval = []
        for k in range(min(requests, 300)):
            sid = ids[k % len(ids)]
            start = time.perf_counter()
            status, _, _ = server.request(
                "GET", url.format(sid, THUMB),
                headers={"Accept": CHROME_ACCEPT, "If-None-Match": etags[sid] or ""},
            )  # fmt: skip
            reval.append((time.perf_counter() - start) * 1000)
            assert status == 304
        r.update(reval_p50=median(reval), reval_p95=pct(reval, 0.95))
        # A bigger post-ingest job, nothing else asking the server for anything.
        server.ingest(write_coco(more, more[0].parent / "b.json"), "more")
        with Meter((server.proc.pid,)) as m:
            r["job_more"] = server.wait_job(lambda j: thumbnails_job(j, "more"))["result"]
        r["job_more_others"] = m.others_pct
        # Cached thumbnails while a pre-generation job (of fresh copies) keeps the workers busy.
        (work / "during").mkdir()
        fresh = [work / "during" / p.name for p in more[: len(more) // 2]]
        for src, dst in zip(more, fresh, strict=False):
            shutil.copyfile(src, dst)
        server.ingest(write_coco(fresh, fresh[0].parent / "c.json"), "during")
        during: list[float] = []
        k = 0
        while not any(
            thumbnails_job(j, "during") and j["status"] in ("done", "failed") for j in server.jobs()
        ):
            # A grid scrolling: 20 thumbnails every 100 ms (not a flood that would itself take
            # a core from the workers and make the job look slow).
            times, _ = timed_gets(server, cached[k : k + 20], 1, {"Accept": CHROME_ACCEPT})
            during.extend(times)
            k = (k + 20) % max(1, len(cached) - 20)
            time.sleep(0.1)
        r["job_during"] = server.wait_job(lambda j: thumbnails_job(j, "during"))["result"]
        r.update(during_n=len(during), during_p50=median(during), during_p95=pct(during, 0.95))
        return r
    finally:
        server.stop()


def main() -> None:
    """Run every part and print (and with ``--out``, write) the Markdown report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer images and requests")
    parser.add_argument("--out", type=Path, help="write the Markdown report here")
    parser.add_argument("--runs", type=int, default=3, help="rounds of every part")
    args = parser.parse_args()
    per_size, reps = (8, 5) if args.quick else (20, 7)
    requests = 300 if args.quick else 2000
    copies = 3 if args.quick else 10
    started = loadavg()
    rounds = [one_round(per_size, reps, requests, copies) for _ in range(args.runs)]
    gen, encoders, throughput, served = aggregate(rounds)
    report = render(
        gen, encoders, throughput, served, per_size, reps, started, args.runs, list(ENCODERS)
    )
    print(report)
    if args.out:
        args.out.write_text(report)


def one_round(
    per_size: int, reps: int, requests: int, copies: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]], dict[str, Any]]:
    """Every part once, on freshly made images; ratios are taken within the round (paired)."""
    work = Path(tempfile.mkdtemp(prefix="vl-bench-media-"))
    try:
        q90 = make_images(work / "q90", per_size, 90)
        q75 = make_images(work / "q75", per_size, 75)
        sets = {**q90, **q75}
        real = sorted(REAL_640.glob("*.jpg"))[: per_size * 2]
        if real:
            sets[f"real 640x480 photos (cartucho-map, {len(real)})"] = real
        gen = [benchper_image(label, paths, reps) for label, paths in sets.items()]
        encoders = bench_encoders(q90, reps)
        mix = [p for ps in q90.values() for p in ps]
        files = []
        (work / "copies").mkdir()
        for c in range(copies):
            for p in mix:
                files.append(work / "copies" / f"{c:02d}_{p.name}")
                shutil.copyfile(p, files[-1])
        throughput = bench_throughput(work, files)
        served = bench_server(work, mix, files, requests)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for g in gen:
        g |= {"r_floor": g["ours"] / g["floor"], "speedup": g["base"] / g["ours"],
              "speedup_enc": g["base_enc"] / g["ours"], "ceiling": g["base"] / g["floor"],
              "wall_speedup": g["wall_base"] / g["wall_ours"]}  # fmt: skip
    for t in throughput:
        t["vs_base"] = t["rate"] / throughput[0]["rate"]
    return gen, encoders, throughput, served


if __name__ == "__main__":
    from harness import run_locked

    run_locked(main)
