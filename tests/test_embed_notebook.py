"""``ds.embed()`` and ``ds.spaces()`` in a real kernel against the real server."""

from __future__ import annotations

from typing import Any

from tests.notebook_fixtures import running_kernel
from visionlens_jlab.notebook.progress import format_job

from .embed_fixtures import add_photos


async def test_embed_and_spaces_from_a_kernel(api: Any, vl_app: Any) -> None:
    assert (await api("GET", "datasets"))[0] == 200  # the server listens from here on
    add_photos(vl_app, "photos", 20)
    async with running_kernel() as k:
        out = await k.check(
            "import visionlens_jlab as vl\n"
            "ds = vl.dataset('photos')\n"
            "r = ds.embed(model='builtin-color-gradient', batch_size=8)\n"
            "print(r['embedded'], r['skipped'], r['model'], r['runner'], r['batch_size'])\n"
            "print(ds.embed()['skipped'])\n"
            "print(ds.spaces()[['model', 'dim', 'count', 'complete']].to_dict('records'))\n"
        )
        lines = out.strip().splitlines()
        assert lines[0] == "20 0 builtin-color-gradient process 8"
        assert lines[1] == "20"  # incremental: the second call finds nothing to do
        assert lines[2] == (
            "[{'model': 'builtin-color-gradient', 'dim': 448, 'count': 20, 'complete': True}]"
        )
        failed = await k.execute("vl.dataset('photos').embed(device='tpu')")
        assert failed["error"] is not None and "'device': 'tpu' is not one of" in failed["error"]
        failed = await k.execute("vl.dataset('photos').embed(dtype='fp32')")
        assert failed["error"] is not None and "'dtype': 'fp32' is not one of" in failed["error"]
        # the deprecated precision still runs, with a FutureWarning naming the dtype
        out = await k.check(
            "import warnings\n"
            "with warnings.catch_warnings(record=True) as caught:\n"
            "    warnings.simplefilter('always')\n"
            "    r = ds.embed(model='builtin-color-gradient', precision='fp32')\n"
            "print(r['skipped'], [(w.category.__name__, str(w.message)) for w in caught])\n"
        )
        assert out.strip().startswith("20 [('FutureWarning', 'precision is deprecated: use ")
        assert "dtype float32" in out


def test_progress_line_shows_stage_rate_eta_and_queue() -> None:
    job = {"id": "1-1", "title": "Embed x", "status": "running", "progress": 0.5,
           "stage": "embedding", "items_per_second": 12.5, "eta_seconds": 40.0,
           "queue_position": None}  # fmt: skip
    line = format_job(job)
    assert "Embed x" in line and "50.0%" in line and "embedding" in line
    assert "12.5 items/s" in line and "ETA 40 s" in line
    queued = format_job({**job, "status": "queued", "progress": 0, "queue_position": 2})
    assert "queued, position 2" in queued and "ETA" not in queued
