"""Imported embeddings through a real Jupyter server: the REST job (the CLI through the
server) and ``ds.import_embeddings`` in a real kernel, then searched like computed ones."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from .media_fixtures import add_dataset
from .notebook_fixtures import running_kernel
from .test_cli_server_routing import run_cli
from .test_embeddings_import import NAMES, N, vector_table, vectors


def add_toy(vl_app: Any, tmp_path: Path) -> list[int]:
    return add_dataset(vl_app.catalog, "ds", str(tmp_path), [str(tmp_path / n) for n in NAMES],
                       file_names=NAMES)  # fmt: skip


async def test_cli_through_the_server(
    vl_app: Any, vl_data_dir: Path, http_server_client: Any, tmp_path: Path
) -> None:
    ids = add_toy(vl_app, tmp_path)
    m = vectors()
    pq.write_table(vector_table([*NAMES, "x.jpg"], [*m.tolist(), m[0].tolist()]),
                   tmp_path / "v.parquet")  # fmt: skip
    code, out, err = await run_cli("embeddings-import", "ds", str(tmp_path / "v.parquet"),
                                   "--space", "mine", "--json", data_dir=vl_data_dir)  # fmt: skip
    assert code == 0, err
    result = json.loads(out)
    assert (result["imported"], result["rejected"]["unknown_key"]["examples"]) == (N, ["x.jpg"])
    code, out, err = await run_cli("search", "ds", "--like", str(ids[3]), "--k", "2",
                                   "--model", "mine", "--json", data_dir=vl_data_dir)  # fmt: skip
    assert code == 0, err
    assert [r["sample_id"] for r in json.loads(out)["results"]] == [ids[3], ids[7]]
    pq.write_table(vector_table(["x.jpg"], [m[0].tolist()]), tmp_path / "bad.parquet")
    code, out, err = await run_cli("embeddings-import", "ds", str(tmp_path / "bad.parquet"),
                                   "--space", "other", data_dir=vl_data_dir)  # fmt: skip
    assert code == 1 and "none of the 1 rows" in err and "Traceback" not in err


async def test_notebook_import_embeddings(
    vl_app: Any, http_server_client: Any, tmp_path: Path
) -> None:
    ids = add_toy(vl_app, tmp_path)
    m = vectors(2)
    async with running_kernel() as k:
        out = await k.check(
            "import json, numpy as np, pandas as pd, visionlens_jlab as vl\n"
            "ds = vl.dataset('ds')\n"
            f"m = np.array({m.tolist()!r}, dtype=np.float32)\n"
            f"names = {NAMES!r}\n"
            # columns of other names, as another tool names them
            "df = pd.DataFrame({'path': names[:6], 'clip': list(m[:6])})\n"
            "a = ds.import_embeddings(df, space='mine', vector_column='clip', id_column='path',\n"
            "                         progress=False)\n"
            f"b = ds.import_embeddings(m[6:], ids={ids[6:]!r}, space='mine', progress=False)\n"
            "m[0, 0] = np.nan\n"
            f"c = ds.import_embeddings(m[:2], ids={ids[:2]!r}, space='mine', progress=False)\n"
            f"near = ds.search(like={ids[7]}, k=2, model='mine').sample_id.tolist()\n"
            # a polars DataFrame (when polars is installed), its vectors as 'embedding'
            "try:\n    import polars as pl\nexcept ImportError:\n    d = None\nelse:\n"
            "    pf = pl.DataFrame({'file_name': names, 'embedding': m[::-1].copy()})\n"
            "    d = ds.import_embeddings(pf, space='pl', progress=False)['imported']\n"
            # the key as the DataFrame's index: named (a column of the file) or a RangeIndex
            # (pandas keeps evenly spaced ids in the file's metadata, not its columns)
            "by_name = pd.DataFrame({'vector': list(m)}, index=pd.Index(names, name='file_name'))\n"
            f"by_id = pd.DataFrame({{'sample_id': {ids!r}, 'vector': list(m)}}).set_index('sample_id')\n"
            "e = [ds.import_embeddings(f, space='ix', progress=False)['imported']\n"
            "     for f in (by_name, by_id)]\n"
            "print(json.dumps({'a': a['imported'], 'b': [b['imported'], b['key'], b['count']],\n"
            "  'c': [c['imported'], c['rejected']['not_finite']['examples']], 'near': near,\n"
            "  'd': d, 'e': e,\n"
            "  'spaces': ds.spaces()[['model', 'version', 'count']].to_dict('records')}))\n"
        )
        failed = await k.execute("ds.import_embeddings(m, space='mine')")
        short = await k.execute("ds.import_embeddings(m, ids=[1, 2], space='mine')")
        ragged = await k.execute("ds.import_embeddings([[1.0, 2.0], [1.0]], ids=[1, 2], "
                                 "space='mine')")  # fmt: skip
    got = json.loads(out.strip().splitlines()[-1])
    assert got["a"] == 6 and got["b"] == [N - 6, "sample_id", N]
    assert got["c"] == [1, [str(ids[0])]]
    assert got["near"] == [ids[7], ids[3]]
    has_polars = importlib.util.find_spec("polars") is not None
    assert got["d"] == (N - 1 if has_polars else None)  # the NaN row is reported, not taken
    assert got["e"] == [N - 1, N - 1]  # each: all rows but the NaN one
    mine = {"model": "mine", "version": "imported", "count": N}
    index = {"model": "ix", "version": "imported", "count": N - 1}
    polars = [{"model": "pl", "version": "imported", "count": N - 1}] if has_polars else []
    want = [index, mine, *polars]
    assert sorted(got["spaces"], key=lambda s: s["model"]) == want
    assert failed["error"] is not None and "give ids=" in failed["error"]
    assert short["error"] is not None and "ids= has 2 keys for the 12 rows" in short["error"]
    assert ragged["error"] is not None and "not one 2-D array" in ragged["error"]
