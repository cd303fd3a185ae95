"""Embedding-map benchmark: PCA, UMAP, bytes on the wire, lasso, end to end.

Makes its own data (clustered unit vectors, 512-d, like CLIP embeddings; 1M 2-D points in
20 blobs for the wire and lasso parts) and prints a Markdown report:

* PCA of N x 512: ours (Gram + eigh, :mod:`visionlens_jlab.maps.pca`) beside
  scikit-learn's ``PCA(2)`` in the same run, and the subspace error of a randomized SVD;
* UMAP of N x 512: ours (exact PCA to 50-d, then umap-learn) beside umap-learn's defaults
  on the raw vectors, each run in its own process (peak RSS is its own), with
  trustworthiness (k=10) on a 5,000-point sample;
* bytes for 1M points: the binary frame, Arrow IPC (plain, LZ4), JSON for comparison; the
  lasso answer for 100K ids as int64 and as JSON;
* a lasso holding ~100K of 1M points: the vectorised test alone, a brute-force numpy
  reference (every edge x every point), and ``select_ids`` end to end (catalog read);
* a PCA map end to end (vectors read from a Qdrant Edge store, map written to DuckDB):
  in-process and through ``visionlens map`` (process start included).

    flock /tmp/vl-bench.lock python benchmarks/bench_map.py              # full, ~15-25 min
    python benchmarks/bench_map.py --n 20000 --points 200000 --out -     # quick look
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from harness import timed  # noqa: E402
from map_report import loadavg, stat, write_report  # noqa: E402

from visionlens_jlab.catalog import Catalog  # noqa: E402
from visionlens_jlab.features import load as load_features  # noqa: E402
from visionlens_jlab.maps.lasso import points_in_polygon  # noqa: E402
from visionlens_jlab.maps.params import normalize_params  # noqa: E402
from visionlens_jlab.maps.pca import pca_coordinates  # noqa: E402
from visionlens_jlab.maps.tables import MapPoints, write_map  # noqa: E402
from visionlens_jlab.maps.wire import encode_ids, encode_points, encode_points_arrow  # noqa: E402

DIM = 512
RESULTS = ROOT / "benchmarks" / "results" / "map.md"


def make_vectors(n: int, dim: int = DIM, seed: int = 0) -> np.ndarray:
    """``n`` unit vectors in ~n/500 clusters around a common direction (CLIP-like)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(max(20, n // 500), dim)).astype(np.float32)
    common = rng.normal(size=dim).astype(np.float32)
    out = np.empty((n, dim), dtype=np.float32)
    for start in range(0, n, 20_000):
        end = min(n, start + 20_000)
        assign = rng.integers(0, len(centres), end - start)
        noise = rng.normal(size=(end - start, dim)).astype(np.float32)
        out[start:end] = 0.8 * common + centres[assign] + 0.7 * noise
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out


def make_points(n: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """``n`` 2-D points in 20 Gaussian blobs (a typical UMAP picture)."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-10, 10, size=(20, 2))
    assign = rng.integers(0, 20, n)
    xy = centres[assign] + rng.normal(size=(n, 2))
    return xy[:, 0].astype(np.float32), xy[:, 1].astype(np.float32)


# ----------------------------------------------------------------------------- PCA


def bench_pca(x: np.ndarray, runs: int) -> list[str]:
    from sklearn.decomposition import PCA

    ours, (coords, _) = timed(lambda: pca_coordinates(x, 2), runs)
    ref, ref_coords = timed(lambda: PCA(n_components=2).fit_transform(x), runs)
    agree = min(abs(np.corrcoef(coords[:, k], ref_coords[:, k])[0, 1]) for k in range(2))
    # Randomized range finder (4 power iterations, 10 oversamples): the plane it finds.
    rng = np.random.default_rng(0)
    t = time.perf_counter()
    mean = x.mean(axis=0)
    q = np.linalg.qr((x - mean) @ rng.normal(size=(x.shape[1], 12)).astype(np.float32))[0]
    for _ in range(4):
        q = np.linalg.qr((x - mean) @ np.linalg.qr((x - mean).T @ q)[0])[0]
    _, _, vt = np.linalg.svd(((x - mean).T @ q).T, full_matrices=False)
    rand_s = time.perf_counter() - t
    _, basis = pca_coordinates(x, 2)
    angle = float(np.linalg.norm(np.abs(vt[:2] @ basis.components.T) - np.eye(2)))
    return [
        f"| PCA {len(x):,} x {x.shape[1]} | ours (Gram + eigh) | {stat(ours)} |",
        f"| | scikit-learn PCA(2) (same run) | {stat(ref)}; coordinates agree "
        f"(min abs correlation {agree:.6f}) |",
        f"| | randomized SVD (4 power it.) | {rand_s:.3g} s (1 run), plane error "
        f"{angle:.3f} (0 = exact): why it is not used |",
    ]


# ----------------------------------------------------------------------------- UMAP


def umap_child(path: str, mode: str, out: str) -> None:
    """Run one UMAP fit in this (fresh) process; print seconds and peak RSS as JSON."""
    x = np.load(path, mmap_mode="r")
    t = time.perf_counter()
    if mode == "ours":
        from visionlens_jlab.maps.reduce import reduce_vectors

        coords = reduce_vectors(
            np.asarray(x), "umap", normalize_params("umap", {}), "cosine"
        ).coords
    else:
        import umap

        coords = umap.UMAP().fit_transform(np.asarray(x))
    seconds = time.perf_counter() - t
    np.save(out, coords)
    print(json.dumps({"seconds": seconds, "rss_mb": peak_rss_mb()}))


def peak_rss_mb() -> float:
    """This process's peak RSS (VmHWM). Not ``ru_maxrss``: Linux keeps that across
    ``execve``, so a child started by a big parent reports the parent's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_umap(x: np.ndarray, runs: int, ref_runs: int, tmp: Path) -> list[str]:
    from sklearn.manifold import trustworthiness

    path = tmp / "umap-input.npy"
    np.save(path, x)
    sample = np.random.default_rng(2).choice(len(x), size=min(5000, len(x)), replace=False)
    rows = []
    for mode, n_runs, label in [
        ("ours", runs, "ours (PCA to 50-d, then umap-learn)"),
        ("reference", ref_runs, "umap-learn defaults on the 512-d vectors (same run)"),
    ]:
        times, rss, trust = [], [], []
        for _ in range(n_runs):
            out = tmp / f"umap-{mode}.npy"
            proc = subprocess.run(
                [sys.executable, __file__, "--umap-child", mode, str(path), str(out)],
                capture_output=True,
                text=True,
                check=True,
            )
            got = json.loads(proc.stdout.strip().splitlines()[-1])
            times.append(got["seconds"])
            rss.append(got["rss_mb"])
            coords = np.load(out)
            trust.append(trustworthiness(x[sample], coords[sample], n_neighbors=10))
        rows.append(
            f"| UMAP {len(x):,} x {x.shape[1]} | {label} | {stat(times)}; peak RSS "
            f"{max(rss):,.0f} MiB; trustworthiness {statistics.median(trust):.3f} "
            f"(load {loadavg()}) |"
        )
    return rows


# ----------------------------------------------------------------------------- wire + lasso


def lasso_polygon(
    x: np.ndarray, y: np.ndarray, target: int, vertices: int = 120
) -> list[list[float]]:
    """A wobbly lasso (``vertices`` points) around the densest blob, grown until it holds
    about ``target`` points."""
    cx, cy = float(np.median(x)), float(np.median(y))
    angles = np.linspace(0, 2 * np.pi, vertices, endpoint=False)
    wobble = 1 + 0.25 * np.sin(5 * angles)
    radius = 1.0
    for _ in range(40):
        poly = np.stack(
            [cx + radius * wobble * np.cos(angles), cy + radius * wobble * np.sin(angles)], 1
        )
        if points_in_polygon(x, y, poly).sum() >= target:
            break
        radius *= 1.15
    return poly.tolist()


def brute_force(x: np.ndarray, y: np.ndarray, poly: np.ndarray) -> np.ndarray:
    """Every edge against every point (the plain vectorisation, no bbox, no sort)."""
    inside = np.zeros(len(x), dtype=bool)
    xs, ys = x.astype(np.float64), y.astype(np.float64)
    for (xi, yi), (xj, yj) in zip(poly, np.roll(poly, 1, axis=0), strict=True):
        if yi == yj:
            continue
        cond = (yi > ys) != (yj > ys)
        inside ^= cond & (xs < (xj - xi) * (ys - yi) / (yj - yi) + xi)
    return inside


def add_synthetic_dataset(catalog: Catalog, name: str, n: int) -> tuple[int, np.ndarray]:
    """A dataset of ``n`` bare samples written with one SQL statement (ids 1..n)."""
    with catalog.write() as cur:
        dataset_id = int(
            cur.execute("SELECT COALESCE(MAX(dataset_id), 0) + 1 FROM datasets").fetchall()[0][0]
        )
        base = int(cur.execute("SELECT COALESCE(MAX(sample_id), 0) FROM samples").fetchall()[0][0])
        cur.execute(
            "INSERT INTO samples SELECT ? + i, ?, 'img' || i || '.jpg', '/data/img' || i || '.jpg', "
            "640, 480, CASE WHEN i % 5 = 0 THEN 'val' ELSE 'train' END, CAST(i AS VARCHAR), "
            "[]::VARCHAR[], NULL FROM range(1, ? + 1) t(i)",
            [base, dataset_id, n],
        )
        cur.execute(
            "INSERT INTO datasets VALUES (?, ?, 'coco', '/data/a.json', '/data', now(), ?, 0, '{}')",
            [dataset_id, name, n],
        )
    return dataset_id, np.arange(base + 1, base + n + 1, dtype=np.int64)


def bench_wire_and_lasso(n_points: int, runs: int, tmp: Path) -> list[str]:
    from visionlens_jlab.maps.answers import points_frame, select_ids

    x, y = make_points(n_points)
    ids = np.arange(1, n_points + 1, dtype=np.int64)
    points = MapPoints(ids, x, y)
    header = {
        "id": "umap-bench",
        "space": "s",
        "method": "umap",
        "params": {},
        "bounds": [0, 0, 1, 1],
    }
    binary = encode_points(header, points, ids)
    arrow = encode_points_arrow(points, ids)
    import pyarrow as pa

    table = pa.ipc.open_stream(arrow).read_all()
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(
        sink, table.schema, options=pa.ipc.IpcWriteOptions(compression="lz4")
    ) as w:
        w.write_table(table)
    arrow_lz4 = sink.getvalue().size
    as_json = (
        len(
            json.dumps(
                [
                    [int(i), round(float(a), 4), round(float(b), 4)]
                    for i, a, b in zip(ids[:100_000], x[:100_000], y[:100_000], strict=True)
                ],
                separators=(",", ":"),
            )
        )
        * n_points
        // 100_000
    )
    polygon = lasso_polygon(x, y, n_points // 10)
    poly = np.asarray(polygon)
    fast, inside = timed(lambda: points_in_polygon(x, y, poly), max(runs, 5))
    slow, ref_inside = timed(lambda: brute_force(x, y, poly), runs)
    assert np.array_equal(inside, ref_inside), "vectorised lasso differs from the reference"
    chosen = ids[inside]
    rows = [
        f"| wire, {n_points:,} points | binary frame (x, y float32 + uint32 index) | {len(binary):,} bytes ({len(binary) / n_points:.2f} a point) |",
        f"| | Arrow IPC, same 3 columns | {len(arrow):,} bytes; LZ4 {arrow_lz4:,} |",
        f"| | JSON [[id, x, y], ...] (4 decimals; for comparison) | ~{as_json:,} bytes |",
        f"| lasso answer, {len(chosen):,} ids | raw int64 / JSON {{count, ids}} | {len(encode_ids(chosen)):,} / {len(json.dumps({'count': len(chosen), 'ids': chosen.tolist()})):,} bytes |",
        f"| lasso, {len(chosen):,} of {n_points:,} points, {len(polygon)} vertices | ours (bbox + y-sorted edge bands) | {stat(fast, 'ms', 1000)} |",
        f"| | brute force numpy (every edge x every point; same answer) | {stat(slow, 'ms', 1000)} |",
    ]
    load_features()  # the features' tables, before the catalog opens
    with Catalog(tmp / "lasso-data") as catalog:
        dataset_id, sample_ids = add_synthetic_dataset(catalog, "million", n_points)
        write_map(
            catalog,
            dataset_id=dataset_id,
            map_id="umap-bench",
            space="s",
            method="umap",
            params={},
            sample_ids=sample_ids,
            coords=np.stack([x, y], 1),
            seconds=0.0,
        )
        e2e, got = timed(
            lambda: select_ids(catalog, "million", "umap-bench", polygon=polygon), max(runs, 5)
        )
        assert np.array_equal(got, sample_ids[inside])
        flt = {"sample": {"split": {"in": ["val"]}}}
        e2e_f, _ = timed(
            lambda: select_ids(catalog, "million", "umap-bench", polygon=polygon, spec=flt),
            max(runs, 5),
        )
        frame_t, frame = timed(lambda: points_frame(catalog, "million", "umap-bench"), runs)
    rows += [
        f"| | `select_ids` end to end (read 1M points from DuckDB + lasso) | {stat(e2e, 'ms', 1000)} |",
        f"| | same, intersected with a split filter | {stat(e2e_f, 'ms', 1000)} |",
        f"| points frame, {n_points:,} points | `points_frame` (DuckDB read + encode) | {stat(frame_t, 'ms', 1000)}, {len(frame):,} bytes |",
    ]
    return rows


# ----------------------------------------------------------------------------- end to end


def bench_end_to_end(x: np.ndarray, runs: int, tmp: Path) -> list[str]:
    from visionlens_jlab.maps.jobs import run_map
    from visionlens_jlab.maps.store import resolve
    from visionlens_jlab.vectors import open_vector_store

    data = tmp / "e2e-data"
    load_features()  # the features' tables, before the catalog opens
    with Catalog(data) as catalog, open_vector_store(data) as store:
        dataset_id, ids = add_synthetic_dataset(catalog, "vectors", len(x))
        space = store.ensure_space("bench-model", "v1", x.shape[1], "cosine")
        t = time.perf_counter()
        store.upsert(space.name, ids, x, dataset_id)
        upsert_s = time.perf_counter() - t
        key = resolve(catalog, store, "vectors", None, "pca", None)
        inproc, desc = timed(lambda: run_map(catalog, store, key, recompute=True), runs)
        read_t, _ = timed(lambda: store.get_vectors(space.name, ids), 1)
        cached, _ = timed(lambda: run_map(catalog, store, key), runs)
    cli = []
    for recompute in (True, False):
        times = []
        for _ in range(runs):
            cmd = [
                sys.executable,
                "-m",
                "visionlens_jlab.cli",
                "map",
                "vectors",
                "--json",
                "--data-dir",
                str(data),
            ]
            t = time.perf_counter()
            proc = subprocess.run(
                cmd + (["--recompute"] if recompute else []),
                capture_output=True,
                text=True,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
            )
            times.append(time.perf_counter() - t)
            if proc.returncode != 0:
                raise RuntimeError(proc.stderr)
        cli.append(times)
    n = f"{len(x):,} x {x.shape[1]}"
    return [
        f"| PCA map end to end, {n} | in-process `run_map` (read vectors from Qdrant Edge, PCA, write to DuckDB) | {stat(inproc)} (PCA itself {desc['compute_seconds']:.2f} s in the last run) |",
        f"| | of which reading the vectors (`get_vectors`, one call) | {stat(read_t)} |",
        f"| | `visionlens map --recompute` (CLI, process start included) | {stat(cli[0])} |",
        f"| | stored map: in-process / CLI | {stat(cached, 'ms', 1000)} / {stat(cli[1])} |",
        f"| | (setup: upsert of the vectors into Edge) | {upsert_s:.1f} s |",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--n", type=int, default=100_000, help="vectors for PCA / UMAP / end to end"
    )
    parser.add_argument("--points", type=int, default=1_000_000, help="2-D points for wire + lasso")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--ref-runs", type=int, default=1, help="runs of umap-learn's defaults")
    parser.add_argument("--skip-umap", action="store_true")
    parser.add_argument("--only-umap", action="store_true", help="run the UMAP part alone")
    parser.add_argument("--out", default=str(RESULTS), help="results file, or - for stdout only")
    parser.add_argument(
        "--umap-child", nargs=3, metavar=("MODE", "IN", "OUT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.umap_child:
        umap_child(args.umap_child[1], args.umap_child[0], args.umap_child[2])
        return 0
    started = datetime.now(timezone.utc)
    load_start = loadavg()
    t0 = time.perf_counter()
    rows: list[str] = []
    parts: list[Callable[[], list[str]]] = []
    with tempfile.TemporaryDirectory(prefix="vl-bench-map-") as tmp_name:
        tmp = Path(tmp_name)
        x = make_vectors(args.n)
        parts = [
            lambda: bench_pca(x, args.runs),
            lambda: bench_wire_and_lasso(args.points, args.runs, tmp),
            lambda: bench_end_to_end(x, args.runs, tmp),
        ]
        if args.only_umap:
            parts = []
        if not args.skip_umap:
            parts.append(lambda: bench_umap(x, args.runs, args.ref_runs, tmp))
        for done, part in enumerate(parts, 1):
            new = part()
            rows += new
            print("\n".join(new), flush=True)
            # Written after every part, so a run cut short still leaves what it measured.
            write_report(args, rows, started, load_start, t0, finished=done == len(parts))
    return 0


if __name__ == "__main__":
    from harness import run_locked

    sys.exit(run_locked(main))
