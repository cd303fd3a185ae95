"""Selection at scale (issue #49 item 4): seconds and peak memory of choosing ``--k`` of
``--n`` ``--dim``-d vectors with diversity and typicality (goal at 10,000 of 1,000,000
512-d: <= 60 s and <= 4 GB on the 2-core machine), and the quality of the approximations
they use above ``EXACT_MAX`` rows against the exact methods at ``--quality-n`` rows:

- diversity: the covering radius (the largest distance from a row to its nearest chosen
  row, over all rows; smaller is better) of the approximate and the exact k-center greedy;
- typicality: the mean distance from each chosen row to its 20 nearest rows (over all rows;
  smaller is more typical), approximate and exact TypiClust;
- representativeness: the facility-location objective over all rows of the default
  (sampled) choice and of one with four times the clients and pool;
- each also for a random choice of the same size.

The vectors are synthetic: a few hundred Gaussian clusters of uneven sizes in a 64-d
space, mapped to ``--dim`` dimensions with noise (an embedding space's clusters, not
uniform noise). Each timed run is a child process, so its peak RSS is its own (the vectors
included: a million 512-d float32 rows are 2 GiB of it).

    python benchmarks/bench_select_scale.py --n 1000000 --k 10000 --dim 512 --runs 1
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import numpy as np

from visionlens_jlab.select.greedy import Weighted, choose
from visionlens_jlab.select.vector_cover import facility_objective
from visionlens_jlab.select.vector_gains import Diversity, Representativeness, Typicality
from visionlens_jlab.select.vector_space import EXACT_MAX, unit_rows


def vectors(n: int, dim: int, seed: int = 0) -> np.ndarray:
    """``n`` synthetic embeddings (float32, built in blocks)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(400, 64)).astype(np.float32)
    weights = rng.pareto(1.2, size=400) + 0.05
    mix = rng.normal(size=(64, dim)).astype(np.float32) / 8.0
    out = np.empty((n, dim), dtype=np.float32)
    for a in range(0, n, 65_536):
        m = min(n, a + 65_536) - a
        which = rng.choice(400, size=m, p=weights / weights.sum())
        latent = centres[which] + 0.6 * rng.normal(size=(m, 64)).astype(np.float32)
        out[a : a + m] = latent @ mix + 0.05 * rng.normal(size=(m, dim)).astype(np.float32)
    return out


def gain(name: str, x: np.ndarray, k: int, exact: bool | None, pool: int = 100_000):
    """The strategy ``name``: its exact method (``exact``), its approximation (``False``:
    as above ``EXACT_MAX`` rows whatever the size, diversity with a pool of ``pool``) or
    as the library picks (``None``)."""
    size = {True: len(x) + 1, False: 0, None: EXACT_MAX}[exact]
    if name == "diversity":
        return Diversity(x, exact_max=size, pool=pool if exact is False else 100_000)
    if name == "typicality":
        return Typicality(x, k, exact_max=size)
    if exact:
        return Representativeness(x, clients=16_000, pool=16_000)
    return Representativeness(x)


def timed(args: argparse.Namespace) -> None:
    """One child run: print seconds and peak RSS as a JSON line."""
    x = vectors(args.n, args.dim)
    t = time.perf_counter()
    got = choose(args.n, args.k, [Weighted(gain(args.only, x, args.k, None))], seed=args.seed)
    seconds = time.perf_counter() - t
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    line = {"strategy": args.only, "seconds": round(seconds, 2), "chosen": len(got.positions)}
    print(json.dumps({**line, "peak_rss_gib": round(rss, 2)}), flush=True)


def covering_radius(u: np.ndarray, chosen: np.ndarray) -> float:
    """max over rows of the distance to the nearest chosen row (unit rows ``u``)."""
    c = u[chosen]
    cn = np.einsum("ij,ij->i", c, c)
    worst = 0.0
    for a in range(0, len(u), 8192):
        b = u[a : a + 8192]
        d2 = np.einsum("ij,ij->i", b, b)[:, None] - 2.0 * (b @ c.T) + cn[None, :]
        worst = max(worst, float(np.sqrt(max(d2.min(axis=1).max(), 0.0))))
    return worst


def knn_distance(u: np.ndarray, chosen: np.ndarray, neighbours: int = 20) -> float:
    """The mean distance from the chosen rows to their ``neighbours`` nearest rows."""
    q = u[chosen]
    best = np.full((len(chosen), neighbours + 1), np.inf, dtype=np.float32)
    qn = np.einsum("ij,ij->i", q, q)
    for a in range(0, len(u), 8192):
        b = u[a : a + 8192]
        d2 = qn[:, None] - 2.0 * (q @ b.T) + np.einsum("ij,ij->i", b, b)[None, :]
        best = np.partition(np.hstack([best, d2]), neighbours, axis=1)[:, : neighbours + 1]
    best.sort(axis=1)
    return float(np.sqrt(np.maximum(best[:, 1:], 0.0)).mean())


def quality(args: argparse.Namespace) -> None:
    """Approximate against exact at ``--quality-n`` rows."""
    x = vectors(args.quality_n, args.dim, seed=1)
    u = unit_rows(x)
    rng = np.random.default_rng(args.seed)
    rand = rng.choice(len(x), size=args.k, replace=False)
    measures = {
        "diversity": ("covering radius", lambda c: covering_radius(u, c)),
        "typicality": ("mean 20-NN distance", lambda c: knn_distance(u, c)),
        "representativeness": ("facility objective", lambda c: facility_objective(x, c)),
    }
    for name in args.strategies:
        what, measure = measures[name]
        row = {"strategy": name, "n": len(x), "k": args.k, "measure": what}
        if name == "diversity":
            row["pool"] = min(len(x), args.quality_pool)
        for kind in ("approx", "exact"):
            t = time.perf_counter()
            g = gain(name, x, args.k, kind == "exact", args.quality_pool)
            chosen = choose(len(x), args.k, [Weighted(g)])
            row[f"{kind}_seconds"] = round(time.perf_counter() - t, 2)
            row[kind] = round(measure(chosen.positions), 4)
        row["random"] = round(measure(rand), 4)
        print(json.dumps(row), flush=True)


def main() -> None:
    """Time each strategy in a child process, then measure the approximations' quality."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=1_000_000)
    p.add_argument("--k", type=int, default=10_000)
    p.add_argument("--dim", type=int, default=512)
    p.add_argument("--runs", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--strategies", default="diversity,typicality")
    p.add_argument("--quality-n", type=int, default=100_000, help="0: skip the quality check")
    p.add_argument("--quality-strategies", default="diversity,typicality,representativeness")
    p.add_argument("--quality-pool", type=int, default=100_000, help="diversity's pool there")
    p.add_argument("--quality-k", type=int, help="k there (default: --k's share of --n)")
    p.add_argument("--only", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.only:
        timed(args)
        return
    for name in args.strategies.split(","):
        for _ in range(args.runs):
            cmd = [sys.executable, __file__, "--only", name]
            cmd += ["--n", str(args.n), "--k", str(args.k), "--dim", str(args.dim)]
            subprocess.run([*cmd, "--seed", str(args.seed)], check=True)
    if args.quality_n:
        args.strategies = args.quality_strategies.split(",")
        args.k = args.quality_k or max(1, round(args.k * args.quality_n / args.n))
        quality(args)


if __name__ == "__main__":
    from harness import run_locked

    run_locked(main)
