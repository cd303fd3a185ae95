"""Media faults survived: GCS answering 500s or hanging (a fault-injecting proxy in front of
the emulator) and a corrupt thumbnail cache entry."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from visionlens_jlab.media.errors import MEDIA_ERROR_CODES
from visionlens_jlab.media.lookup import bad_media_counts

from .fault_proxy import fault_proxy
from .media_fixtures import add_dataset, encode, gcs_bucket, gcs_upload, photo

REQUEST_LIMIT_S = 60  # a request still open after this counts as hung


@pytest.fixture
def vl_settings() -> dict[str, Any]:
    return {"gcs_timeout_s": 1.0}


def thumb_path(name: str, sample_id: int) -> tuple[str, ...]:
    return ("visionlens", "api", "datasets", name, "samples", str(sample_id), "image")


async def test_gcs_500s_and_timeouts(
    jp_fetch: Any, vl_app: Any, gcs_emulator: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket = gcs_bucket("vl-faults")
    for i in range(4):
        gcs_upload(bucket, f"ds/img{i}.jpg", encode(photo(320, 240, seed=i), "JPEG"))
    locations = [f"gs://vl-faults/ds/img{i}.jpg" for i in range(4)]
    ids = add_dataset(vl_app.catalog, "gcs", "gs://vl-faults/ds", locations)
    with fault_proxy(gcs_emulator) as proxy:
        monkeypatch.setenv("STORAGE_EMULATOR_HOST", proxy.url)

        async def thumb(i: int) -> Any:
            return await jp_fetch(
                *thumb_path("gcs", ids[i]), params={"size": "128"}, request_timeout=REQUEST_LIMIT_S
            )

        # two 500s, then the emulator answers: the retries get the real image
        proxy.fail_next = 2
        response = await thumb(0)
        assert "X-VisionLens-Media-Error" not in response.headers
        assert Image.open(io.BytesIO(response.body)).size == (128, 96)
        assert proxy.requests >= 3

        # 500 for ever: a placeholder saying so, not cached, not counted as bad media
        proxy.mode = "fail"
        response = await thumb(1)
        assert response.code == 200
        assert response.headers["X-VisionLens-Media-Error"] == "unavailable"
        assert response.headers["Cache-Control"] == "no-store"
        Image.open(io.BytesIO(response.body)).verify()

        # a storage that hangs: the thumbnail still answers, and other requests meanwhile too
        proxy.mode = "hang"
        hung = asyncio.ensure_future(thumb(2))
        listing = await jp_fetch("visionlens", "api", "datasets", request_timeout=REQUEST_LIMIT_S)
        assert listing.code == 200
        response = await hung
        assert response.headers["X-VisionLens-Media-Error"] == "unavailable"

        # storage back: the same images come, nothing was remembered as broken
        proxy.mode = "ok"
        for i in (1, 2):
            response = await thumb(i)
            assert "X-VisionLens-Media-Error" not in response.headers
            assert Image.open(io.BytesIO(response.body)).size == (128, 96)
    counts = bad_media_counts(vl_app.catalog, "gcs")
    assert [counts[code] for code in MEDIA_ERROR_CODES] == [0] * len(MEDIA_ERROR_CODES)


async def test_a_corrupt_cache_entry_is_rebuilt(jp_fetch: Any, vl_app: Any, tmp_path: Path) -> None:
    root = tmp_path / "media"
    root.mkdir()
    (root / "a.jpg").write_bytes(encode(photo(320, 240, seed=7), "JPEG"))
    (sample_id,) = add_dataset(vl_app.catalog, "one", str(root), [str(root / "a.jpg")])
    first = await jp_fetch(*thumb_path("one", sample_id), params={"size": "256"})
    entries = [p for p in (vl_app.media.cache.root).rglob("*") if p.is_file() and p.stat().st_size]
    assert len(entries) == 1
    for damage in (first.body[: len(first.body) // 2], b"\0" * 100, b"garbage" + first.body):
        entries[0].write_bytes(damage)
        again = await jp_fetch(*thumb_path("one", sample_id), params={"size": "256"})
        assert again.body == first.body
        assert "X-VisionLens-Media-Error" not in again.headers
        assert entries[0].read_bytes() == first.body  # rebuilt on disk too
