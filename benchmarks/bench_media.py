"""Media benchmarks: thumbnail generation speed, cached serving latency, pre-generation rate.

    .venv/bin/python benchmarks/bench_media.py [--quick] [--out benchmarks/results/media.md]

Makes its own images: mosaics of real photos (the VOC sample in $VISIONLENS_SHARED, pasted at
native resolution so the JPEGs have photographic detail and bit rates) at 640x480, 1280x720
and 1920x1080, saved as JPEG quality 90; plain synthetic pictures when the photos are absent.

1. Uncached thumbnail (256 px) generation, ours (``render_thumbnail``: DCT-scaled decode,
   bilinear resize, EXIF, JPEG encode) vs the plain ``Image.open(p).thumbnail((256, 256))``
   baseline (decode + resize only, no encode) and that baseline plus the same JPEG encode,
   in the same run; with the mean absolute error of each against a Lanczos reference.
2. A real ``jupyter server`` subprocess on loopback with a token: ingest a COCO dataset of
   the images through the REST API, warm the cache, then time sequential requests of cached
   thumbnails over one keep-alive connection (p50/p95), plus 304 revalidations.
3. ``pregenerate_thumbnails`` rate (images/s) with 1 and 2 worker processes.
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import platform
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from visionlens_jlab.catalog import Catalog  # noqa: E402
from visionlens_jlab.media import imaging  # noqa: E402
from visionlens_jlab.media.cache import ThumbnailCache  # noqa: E402
from visionlens_jlab.media.pregen import pregenerate_thumbnails  # noqa: E402

SHARED = Path(os.environ.get("VISIONLENS_SHARED", ROOT.parent / "shared"))
PHOTOS = SHARED / "datasets" / "padilla-review-voc100" / "images"
SIZES = [(640, 480), (1280, 720), (1920, 1080)]


def make_images(
    folder: Path, per_size: int, quality: int = 90
) -> dict[tuple[int, int], list[Path]]:
    """JPEG mosaics of real photos (or synthetic pictures) at each size."""
    folder.mkdir(parents=True, exist_ok=True)
    photos = [Image.open(p).convert("RGB") for p in sorted(PHOTOS.glob("*.jpg"))[:60]]
    rng = np.random.default_rng(0)
    out: dict[tuple[int, int], list[Path]] = {}
    for w, h in SIZES:
        out[(w, h)] = []
        for k in range(per_size):
            if photos:
                canvas = Image.new("RGB", (w, h))
                y, i = 0, k * 7
                while y < h:
                    x, row_h = 0, 0
                    while x < w:
                        tile = photos[i % len(photos)]
                        i += 1
                        canvas.paste(tile, (x, y))
                        x += tile.size[0]
                        row_h = max(row_h, tile.size[1])
                    y += row_h
            else:
                small = rng.integers(0, 255, (h // 8, w // 8, 3), dtype=np.uint8)
                canvas = Image.fromarray(small).resize((w, h), Image.Resampling.BICUBIC)
            path = folder / f"{w}x{h}_q{quality}_{k:03d}.jpg"
            canvas.save(path, "JPEG", quality=quality)
            out[(w, h)].append(path)
    return out


def _per_image_ms(fns: list, items: list, reps: int = 5) -> list[float]:
    """Mean over images of each function's fastest time per image, interleaved.

    The machine is shared: interleaving the functions and taking each image's minimum over
    ``reps`` keeps bursts of other people's load out of the comparison.
    """
    best = [[float("inf")] * len(items) for _ in fns]
    for _ in range(reps):
        for j, item in enumerate(items):
            for i, fn in enumerate(fns):
                start = time.perf_counter()
                fn(item)
                best[i][j] = min(best[i][j], time.perf_counter() - start)
    return [statistics.mean(b) * 1000 for b in best]


def _mae(a: Image.Image, ref: Image.Image) -> float:
    return float(
        np.abs(np.asarray(a.convert("RGB"), np.float32) - np.asarray(ref, np.float32)).mean()
    )


def bench_generation(
    images: dict[tuple[int, int], list[Path]], quality: int
) -> list[dict[str, object]]:
    rows = []
    for (w, h), paths in images.items():
        datas = [p.read_bytes() for p in paths]

        def baseline(path: Path) -> None:
            im = Image.open(path)
            im.thumbnail((256, 256))

        def baseline_encoded(path: Path) -> bytes:
            im = Image.open(path)
            im.thumbnail((256, 256))
            buf = io.BytesIO()
            im.save(buf, "JPEG", quality=imaging.JPEG_QUALITY)
            return buf.getvalue()

        def ours(path: Path) -> bytes:
            return imaging.render_thumbnail(path.read_bytes(), 256, "jpeg")[0]

        t_base, t_base_enc, t_ours = _per_image_ms([baseline, baseline_encoded, ours], paths)
        err_ours, err_base = [], []
        for path in paths[:5]:
            src = Image.open(path).convert("RGB")
            mine = Image.open(io.BytesIO(ours(path)))
            ref = src.resize(mine.size, Image.Resampling.LANCZOS)
            err_ours.append(_mae(mine, ref))
            err_base.append(
                _mae(Image.open(io.BytesIO(baseline_encoded(path))).resize(mine.size), ref)
            )
        rows.append(
            {
                "size": f"{w}x{h} q{quality}",
                "kb": sum(map(len, datas)) / len(datas) / 1024,
                "baseline_ms": t_base,
                "baseline_enc_ms": t_base_enc,
                "ours_ms": t_ours,
                "ratio": t_base / t_ours,
                "ratio_enc": t_base_enc / t_ours,
                "mae_ours": statistics.mean(err_ours),
                "mae_base": statistics.mean(err_base),
            }
        )
    return rows


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """A ``jupyter server`` subprocess with VisionLens, on loopback with a token."""

    def __init__(self, data_dir: Path, root_dir: Path) -> None:
        self.port = _free_port()
        self.token = secrets.token_hex(16)
        exe = Path(sys.executable).with_name("jupyter")
        env = dict(os.environ, VISIONLENS_DATA_DIR=str(data_dir), JUPYTER_TOKEN=self.token)
        self.proc = subprocess.Popen(
            [
                str(exe), "server", "--no-browser", "--ip=127.0.0.1", f"--port={self.port}",
                f"--ServerApp.root_dir={root_dir}", "--ServerApp.jpserver_extensions=visionlens_jlab=True",
                f"--VisionLensApp.data_dir={data_dir}", "--ServerApp.log_level=WARN",
                *(["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []),
            ],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while True:
            try:
                status, _ = self.get("/visionlens/api/datasets")
                if status == 200:
                    break
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                err = self.proc.stderr.read().decode() if self.proc.stderr else ""
                raise RuntimeError(f"jupyter server did not start:\n{err[-3000:]}")
            time.sleep(0.3)
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port)

    def request(
        self, method: str, path: str, body: object = None, headers: dict[str, str] | None = None
    ) -> tuple[int, bytes, http.client.HTTPResponse]:
        conn = getattr(self, "conn", None) or http.client.HTTPConnection("127.0.0.1", self.port)
        hdrs = {"Authorization": f"token {self.token}", **(headers or {})}
        payload = json.dumps(body) if body is not None else None
        conn.request(method, path, body=payload, headers=hdrs)
        resp = conn.getresponse()
        return resp.status, resp.read(), resp

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        status, body, _ = self.request("GET", path, headers=headers)
        return status, body

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def bench_server(work: Path, paths: list[Path], requests: int) -> dict[str, object]:
    coco = {
        "images": [{"id": i + 1, "file_name": p.name, "width": Image.open(p).size[0], "height": Image.open(p).size[1]} for i, p in enumerate(paths)],
        "annotations": [{"id": i + 1, "image_id": i + 1, "category_id": 1, "bbox": [10, 10, 50, 40], "area": 2000, "iscrowd": 0} for i in range(len(paths))],
        "categories": [{"id": 1, "name": "thing"}],
    }  # fmt: skip
    ann = paths[0].parent / "instances.json"
    ann.write_text(json.dumps(coco))
    server = Server(work / "server-data", work)
    how = "ingested through `POST /visionlens/api/datasets` (COCO)"
    try:
        try:
            _ingest(server, ann)
        except RuntimeError as exc:  # the ingest area may not be wired yet: insert directly
            print(
                f"API ingest unavailable ({exc}); inserting the samples into the catalog",
                file=sys.stderr,
            )
            server.stop()
            _insert_dataset(work / "server-data", "bench", paths)
            server = Server(work / "server-data", work)
            how = f"inserted into the catalog directly (API ingest failed: {exc})"
        page = json.loads(server.get("/visionlens/api/datasets/bench/samples?limit=1000")[1])
        ids = [s["sample_id"] for s in page["samples"]]
        headers = {"Accept": "image/avif,image/webp,image/apng,image/*,*/*;q=0.8"}  # Chrome's <img>
        cold, etags = [], {}
        for sid in ids:  # warm the cache (timed: uncached through the server)
            start = time.perf_counter()
            status, _, resp = server.request(
                "GET",
                f"/visionlens/api/datasets/bench/samples/{sid}/image?size=256",
                headers=headers,
            )
            cold.append((time.perf_counter() - start) * 1000)
            assert status == 200
            etags[sid] = resp.getheader("ETag")
        warm, revalidate = [], []
        for i in range(requests):
            sid = ids[i % len(ids)]
            start = time.perf_counter()
            status, body, _ = server.request(
                "GET",
                f"/visionlens/api/datasets/bench/samples/{sid}/image?size=256",
                headers=headers,
            )
            warm.append((time.perf_counter() - start) * 1000)
            assert status == 200 and body
        for i in range(min(requests, 300)):
            sid = ids[i % len(ids)]
            start = time.perf_counter()
            status, _, _ = server.request(
                "GET",
                f"/visionlens/api/datasets/bench/samples/{sid}/image?size=256",
                headers={**headers, "If-None-Match": etags[sid]},
            )
            revalidate.append((time.perf_counter() - start) * 1000)
            assert status == 304
        return {
            "how": how,
            "images": len(ids),
            "cold_p50": _pct(cold, 0.5), "cold_p95": _pct(cold, 0.95),
            "warm_n": len(warm), "warm_p50": _pct(warm, 0.5), "warm_p95": _pct(warm, 0.95),
            "reval_p50": _pct(revalidate, 0.5), "reval_p95": _pct(revalidate, 0.95),
        }  # fmt: skip
    finally:
        server.stop()


def _ingest(server: Server, ann: Path) -> None:
    status, body, _ = server.request(
        "POST", "/visionlens/api/datasets", {"source": str(ann), "name": "bench", "format": "coco"}
    )
    if status != 202:
        raise RuntimeError(f"ingest refused: {status} {body[:300]!r}")
    job = json.loads(body)["job"]
    deadline = time.monotonic() + 120
    while job["status"] not in ("done", "failed", "cancelled"):
        if time.monotonic() > deadline:
            raise RuntimeError("ingest did not finish")
        time.sleep(0.1)
        job = json.loads(server.get(f"/visionlens/api/jobs/{job['id']}")[1])
    if job["status"] != "done":
        raise RuntimeError(f"ingest {job['status']}: {job.get('error')}")


def _insert_dataset(data_dir: Path, name: str, paths: list[Path]) -> None:
    """Samples straight into the catalog (no annotations): what ingest would write."""
    with Catalog(data_dir) as catalog, catalog.write() as cur:
        dataset_id = Catalog.next_id(cur, "datasets", "dataset_id")
        first = Catalog.next_id(cur, "samples", "sample_id")
        cur.executemany(
            "INSERT INTO samples VALUES (?, ?, ?, ?, NULL, NULL, NULL, NULL, [], NULL)",
            [[first + i, dataset_id, p.name, str(p)] for i, p in enumerate(paths)],
        )
        cur.execute(
            "INSERT INTO datasets VALUES (?, ?, 'coco', ?, ?, now(), ?, 0, '{}')",
            [dataset_id, name, str(paths[0].parent), str(paths[0].parent), len(paths)],
        )


def bench_pregen(work: Path, paths: list[Path], copies: int) -> list[dict[str, object]]:
    """Pre-generation of ``copies`` x ``paths`` distinct files with 1 and 2 workers."""
    folder = work / "pregen-images"
    folder.mkdir()
    files = []
    for c in range(copies):
        for p in paths:
            target = folder / f"{c:02d}_{p.name}"
            shutil.copyfile(p, target)
            files.append(target)
    rows = []
    for workers in (1, 2):
        data_dir = work / f"pregen-{workers}"
        _insert_dataset(data_dir, "bench", files)
        with Catalog(data_dir) as catalog:
            cache = ThumbnailCache(data_dir / "thumbnails")
            result = pregenerate_thumbnails(
                None, catalog, "bench", cache, sizes=(256,), workers=workers
            )
        rows.append({"workers": workers, **result})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer images and requests")
    parser.add_argument("--out", type=Path, help="write the Markdown report here")
    args = parser.parse_args()
    per_size = 8 if args.quick else 20
    requests = 300 if args.quick else 2000
    work = Path(tempfile.mkdtemp(prefix="vl-bench-media-"))
    try:
        images = make_images(work / "images", per_size)
        gen = bench_generation(images, 90)
        gen += bench_generation(make_images(work / "images75", per_size, 75), 75)
        all_paths = [p for ps in images.values() for p in ps]
        served = bench_server(work, all_paths, requests)
        pregen = bench_pregen(work, all_paths, 2 if args.quick else 5)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report = render(gen, served, pregen, per_size)
    print(report)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(report)


def render(
    gen: list[dict[str, object]],
    served: dict[str, object],
    pregen: list[dict[str, object]],
    per_size: int,
) -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    from PIL import __version__ as pil_version
    from PIL import features

    lines = [
        "# Media benchmarks",
        "",
        f"- Date: {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- Machine: {cpu}, {os.cpu_count()} cores (shared), {platform.system()} {platform.release()}",
        f"- Load average at the end of the run: {load}",
        f"- Python {platform.python_version()}, Pillow {pil_version} (libjpeg-turbo {features.version('libjpeg_turbo')})",
        f"- Images: {per_size} per size, JPEG q90 (and q75) mosaics of real VOC photos at native resolution",
        "",
        "## Uncached 256 px thumbnail generation (mean per image of the best of 5, interleaved)",
        "",
        "| source | avg KB | baseline `open().thumbnail()` | baseline + JPEG encode | ours (full: decode, resize, EXIF, encode) | speed-up vs baseline | vs baseline+encode | MAE ours / baseline |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in gen:
        lines.append(
            f"| {r['size']} | {r['kb']:.0f} | {r['baseline_ms']:.2f} ms | {r['baseline_enc_ms']:.2f} ms | "
            f"{r['ours_ms']:.2f} ms | {r['ratio']:.2f}x | {r['ratio_enc']:.2f}x | {r['mae_ours']:.1f} / {r['mae_base']:.1f} |"
        )
    lines += [
        "",
        "MAE: mean absolute error (0-255) against a Lanczos resize of the full image.",
        "",
        "## Through a real `jupyter server` (loopback, token auth, one keep-alive connection)",
        "",
        f"- {served['images']} images, {served['how']}",
        f"- uncached thumbnail (first request, renders + caches): p50 {served['cold_p50']:.1f} ms, p95 {served['cold_p95']:.1f} ms",
        f"- **cached thumbnail**, {served['warm_n']} requests: **p50 {served['warm_p50']:.2f} ms, p95 {served['warm_p95']:.2f} ms** (target p50 <= 5 ms)",
        f"- 304 revalidation (`If-None-Match`): p50 {served['reval_p50']:.2f} ms, p95 {served['reval_p95']:.2f} ms",
        "",
        "## Pre-generation (`pregenerate_thumbnails`, 256 px, spawned worker processes)",
        "",
        "| workers | images | seconds (incl. worker start) | images/s |",
        "|---|---|---|---|",
    ]
    for r in pregen:
        lines.append(
            f"| {r['workers']} | {r['samples']} | {r['seconds']:.2f} | {r['images_per_s']} |"
        )
    lines += [
        "",
        "## Notes",
        "",
        "- Why not 3x everywhere: `Image.thumbnail()` already drafts JPEGs (to twice the",
        "  target). Ours drafts to the target (down to 0.8x of it, then a small up-scale), shrinks",
        "  with a box filter and encodes in the same time budget; what is left is libjpeg-turbo's",
        "  Huffman decoding, which DCT scaling cannot skip and which grows with the file size",
        "  (bit rate). So the gain is largest on small / low-bit-rate JPEGs and ~2x on 600 KB",
        "  1080p photos. The price is ~1-2 grey levels of mean error (MAE column).",
        "- Serving a cached thumbnail costs: token auth + two `stat`s (catalog unchanged?) + one",
        "  `stat` of the source + one cache-file read; the sample's location comes from memory.",
        "- The machine is shared by several sessions: look at the load average above; with a load",
        "  of 8 on 2 cores, timings vary by 2x between runs and 2 workers cannot beat 1.",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
