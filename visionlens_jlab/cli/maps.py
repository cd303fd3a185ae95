"""``visionlens map NAME [--space S] [--method pca|umap|tsne] [--out FILE.parquet] [--json]``.

Through the running server's REST API when one owns the data directory (the map is
computed by a server job, or read from its store), in this process otherwise.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from ..maps.params import METHODS
from .common import add_common_options

JSON_KEYS = ("dataset", "space", "method", "params", "points", "seconds", "cached")


def add_parser(subparsers: Any) -> None:
    """Register the ``map`` subcommand."""
    p = subparsers.add_parser(
        "map", help="compute (or reuse) a 2-D map of a dataset's embeddings: PCA, UMAP, t-SNE"
    )
    p.add_argument("dataset", help="dataset name")
    p.add_argument("--space", help="vector space (default: the only one holding the dataset)")
    p.add_argument("--method", default="pca", choices=list(METHODS))
    p.add_argument(
        "--params", help="method parameters as JSON, e.g. '{\"n_neighbors\": 30}'", default=None
    )
    p.add_argument("--recompute", action="store_true", help="compute again even if stored")
    p.add_argument("--out", help="write sample_id, x, y to this Parquet file")
    add_common_options(p)
    p.set_defaults(func=cmd_map)


def cmd_map(args: argparse.Namespace) -> dict[str, Any]:
    """Compute or reuse the map; with ``--out`` write its points; return the summary."""
    from .common import CliError, run_local_or_remote

    try:
        params = json.loads(args.params) if args.params else None
    except ValueError as exc:
        raise CliError(f"--params is not valid JSON: {exc}", 2) from exc
    started = time.perf_counter()

    def local(catalog: Any) -> dict[str, Any]:
        from ..maps.jobs import run_map
        from ..maps.store import resolve
        from ..maps.tables import read_points
        from ..vectors import open_vector_store

        with open_vector_store(catalog.data_dir) as store:
            key = resolve(catalog, store, args.dataset, args.space, args.method, params)
            desc = run_map(catalog, store, key, recompute=args.recompute)
        if args.out:
            points = read_points(catalog, key.dataset_id, desc["id"])
            _write_parquet(args.out, points.sample_ids, points.x, points.y)
        return desc

    def remote(client: Any) -> dict[str, Any]:
        from .common import job_result

        body = {
            "space": args.space,
            "method": args.method,
            "params": params,
            "recompute": args.recompute,
        }
        answer = client.post_json(f"datasets/{args.dataset}/maps", body)
        desc = answer["map"] if "map" in answer else job_result(client, answer)
        if args.out:
            sample_ids, x, y = _remote_points(client, args.dataset, desc["id"])
            _write_parquet(args.out, sample_ids, x, y)
        return dict(desc)

    desc = run_local_or_remote(args, local, remote)
    desc["seconds"] = round(time.perf_counter() - started, 3)
    out = {key: desc.get(key) for key in JSON_KEYS}
    out.update(id=desc["id"], stale=desc.get("stale"), missing=desc.get("missing"))
    if not args.json:
        state = "stored" if out["cached"] else "computed"
        stale = f", stale: {out['missing']} samples not placed" if out["stale"] else ""
        out["text"] = (
            f"{args.dataset}: {out['method']} map {out['id']} of {out['points']} points "
            f"({state} in {out['seconds']} s{stale})"
        )
    return out


def _remote_points(client: Any, dataset: str, map_id: str) -> tuple[np.ndarray, ...]:
    """Read a map's binary points frame and turn point indexes into sample ids."""
    from ..maps.wire import decode_frame, ids_from_ranges

    raw = client.request("GET", f"datasets/{dataset}/maps/{map_id}/points").content
    _, header, arrays = decode_frame(raw)
    if header["id_ranges"] is not None:
        ids = ids_from_ranges(header["id_ranges"])
    else:
        ids = np.asarray(client.post_json(f"datasets/{dataset}/ids", {})["ids"], dtype=np.int64)
    return ids[arrays["index"].astype(np.int64)], arrays["x"], arrays["y"]


def _write_parquet(path: str, sample_ids: np.ndarray, x: np.ndarray, y: np.ndarray) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    target = Path(path).expanduser()
    target.parent.mkdir(parents=True, exist_ok=True)
    table = pa.table(
        {
            "sample_id": np.asarray(sample_ids, dtype=np.int64),
            "x": np.asarray(x, dtype=np.float32),
            "y": np.asarray(y, dtype=np.float32),
        }
    )
    pq.write_table(table, target)
