"""``ds.predict()`` in a real kernel against the real server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.notebook_fixtures import running_kernel

from .predict_fixtures import cartucho_subset, ingest_subset, save_tiny_blip2, save_tiny_detr


async def test_predict_from_a_kernel(api: Any, vl_app: Any, tmp_path: Path) -> None:
    assert (await api("GET", "datasets"))[0] == 200  # the server listens from here on
    ingest_subset(vl_app.catalog, "photos", cartucho_subset(tmp_path / "photos", 4))
    detr = save_tiny_detr(tmp_path / "detr")
    async with running_kernel() as k:
        out = await k.execute(
            "import visionlens_jlab as vl\n"
            "ds = vl.dataset('photos')\n"
            f"r = ds.predict({str(detr)!r}, name='tiny', batch_size=2, min_score=0.05, workers=2)\n"
            "print('R', r['processed'], r['skipped'], r['name'], r['task'], r['device'], "
            "r['workers'])\n"
            f"r = ds.predict({str(detr)!r}, name='tiny', min_score=0.05, progress=False)\n"
            "print('R', r['skipped'])\n",
            timeout=300,  # two worker processes that import torch and transformers
        )
        assert out["error"] is None, out["error"]
        lines = [line for line in out["stdout"].splitlines() if line.startswith("R ")]
        assert lines == ["R 4 0 tiny detect cpu 2", "R 4"]  # the second call finds all done
        failed = await k.execute(f"vl.dataset('photos').predict({str(detr)!r}, task='segment')")
        assert failed["error"] is not None and "'task': 'segment' is not one of" in failed["error"]
        vlm = save_tiny_blip2(tmp_path / "blip2")
        q = [{"key": "sky", "question": "Is there sky?", "answers": ["yes", "no"]}]
        out = await k.execute(
            f"r = ds.predict({str(vlm)!r}, task='vlm', questions={q!r}, progress=False)\n"
            "print('R', r['processed'], r['predictions'])\n",
            timeout=300,
        )
        assert out["error"] is None, out["error"]
        assert [ln for ln in out["stdout"].splitlines() if ln.startswith("R ")] == ["R 4 4"]
    with vl_app.catalog.cursor() as cur:
        (n,) = cur.execute("SELECT count(*) FROM annotations WHERE source = 'tiny'").fetchall()[0]
    assert n > 0
