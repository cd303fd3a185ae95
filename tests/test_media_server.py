"""The image endpoint through a real Jupyter server: thumbnails, originals, HTTP caching,
bad media, and that no request can read anything but the dataset's own images."""

from __future__ import annotations

import asyncio
import io
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from tornado.httpclient import HTTPClientError

from visionlens_jlab.app import THUMBNAILS_JOB
from visionlens_jlab.media.lookup import bad_media_counts

from .media_fixtures import (  # noqa: F401 - gcs_emulator is a fixture
    CORRUPT_BYTES,
    UNSUPPORTED_BYTES,
    add_dataset,
    encode,
    gcs_bucket,
    gcs_emulator,
    gcs_upload,
    mode_images,
    photo,
    png_claiming_size,
    rgb,
    truncated_jpeg,
)
from .paths import DATASETS

VOC = DATASETS / "padilla-review-voc100" / "images"


@pytest.fixture
def media(tmp_path: Path, vl_app: Any) -> dict[str, Any]:
    """Two datasets: ``voc`` (real photos + made-up images + bad media) and ``other``."""
    root = tmp_path / "media"
    root.mkdir()
    real = sorted(VOC.glob("*.jpg"))[:3]
    for path in real:
        shutil.copy(path, root / path.name)
    (root / "rgba.png").write_bytes(mode_images()["rgba"][1])
    (root / "corrupt.jpg").write_bytes(CORRUPT_BYTES)
    (root / "truncated.jpg").write_bytes(truncated_jpeg())
    (root / "bomb.png").write_bytes(png_claiming_size(100_000, 100_000))
    (root / "photo.heic").write_bytes(UNSUPPORTED_BYTES)
    os.mkfifo(root / "pipe.jpg")  # reading it would block a thread forever
    secret = tmp_path / "secret.jpg"
    secret.write_bytes(encode(photo(), "JPEG"))
    (root / "escape.jpg").symlink_to(secret)
    names = [p.name for p in real] + [
        "rgba.png", "missing.jpg", "corrupt.jpg", "truncated.jpg", "bomb.png", "photo.heic",
        "pipe.jpg", "escape.jpg",
    ]  # fmt: skip
    locations = [str(root / n) for n in names]
    locations.append(str(root / ".." / "secret.jpg"))  # a stored '..' path
    names.append("dotdot")
    ids = add_dataset(vl_app.catalog, "voc", str(root), locations, file_names=names)
    other_root = tmp_path / "other"
    other_root.mkdir()
    (other_root / "o.jpg").write_bytes(encode(photo(seed=3), "JPEG"))
    other_ids = add_dataset(vl_app.catalog, "other", str(other_root), [str(other_root / "o.jpg")])
    return {
        "root": root,
        "ids": dict(zip(names, ids, strict=True)),
        "other": other_ids[0],
        "real": real,
    }


def image_path(name: str, sample_id: int | str) -> tuple[str, ...]:
    return ("visionlens", "api", "datasets", name, "samples", str(sample_id), "image")


async def test_thumbnail_headers_etag_and_304(jp_fetch: Any, media: dict[str, Any]) -> None:
    sid = media["ids"][media["real"][0].name]
    resp = await jp_fetch(*image_path("voc", sid), params={"size": "300"})
    assert resp.code == 200
    assert resp.headers["Content-Type"] == "image/jpeg"
    assert resp.headers["Cache-Control"] == "private, max-age=600"
    assert "Accept" in resp.headers["Vary"]
    assert "X-VisionLens-Media-Error" not in resp.headers
    etag = resp.headers["ETag"]
    im = Image.open(io.BytesIO(resp.body))
    assert max(im.size) == 256  # 300 snaps to 256

    with pytest.raises(HTTPClientError) as info:
        await jp_fetch(
            *image_path("voc", sid), params={"size": "256"}, headers={"If-None-Match": etag}
        )
    assert info.value.code == 304
    again = await jp_fetch(*image_path("voc", sid), params={"size": "256"})
    assert again.body == resp.body and again.headers["ETag"] == etag  # served from the cache
    small = await jp_fetch(*image_path("voc", sid), params={"size": "128"})
    assert small.headers["ETag"] != etag and max(Image.open(io.BytesIO(small.body)).size) == 128

    # Transparency: WebP when the browser accepts it, JPEG otherwise, or as forced.
    rgba = media["ids"]["rgba.png"]
    webp = await jp_fetch(
        *image_path("voc", rgba),
        params={"size": "128"},
        headers={"Accept": "image/avif,image/webp,*/*"},
    )
    assert webp.headers["Content-Type"] == "image/webp"
    assert Image.open(io.BytesIO(webp.body)).mode == "RGBA"
    jpeg = await jp_fetch(
        *image_path("voc", rgba), params={"size": "128"}, headers={"Accept": "image/jpeg"}
    )
    assert jpeg.headers["Content-Type"] == "image/jpeg"
    forced = await jp_fetch(*image_path("voc", sid), params={"size": "128", "format": "webp"})
    assert forced.headers["Content-Type"] == "image/webp"
    for bad in ({"size": "0"}, {"size": "big"}, {"size": "128", "format": "gif"}):
        with pytest.raises(HTTPClientError) as info:
            await jp_fetch(*image_path("voc", sid), params=bad)
        assert info.value.code == 400


async def test_original_bytes_and_content_type(jp_fetch: Any, media: dict[str, Any]) -> None:
    path = media["real"][0]
    resp = await jp_fetch(*image_path("voc", media["ids"][path.name]))
    assert resp.body == path.read_bytes()
    assert resp.headers["Content-Type"] == "image/jpeg"
    png = await jp_fetch(*image_path("voc", media["ids"]["rgba.png"]))
    assert png.headers["Content-Type"] == "image/png"
    assert png.body == (media["root"] / "rgba.png").read_bytes()
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch(
            *image_path("voc", media["ids"]["rgba.png"]),
            headers={"If-None-Match": png.headers["ETag"]},
        )
    assert info.value.code == 304


async def test_changed_source_is_not_served_stale(jp_fetch: Any, media: dict[str, Any]) -> None:
    sid = media["ids"][media["real"][1].name]
    first = await jp_fetch(*image_path("voc", sid), params={"size": "128"})
    target = media["root"] / media["real"][1].name
    target.write_bytes(encode(Image.new("RGB", (400, 300), (0, 255, 0)), "JPEG"))
    second = await jp_fetch(*image_path("voc", sid), params={"size": "128"})
    assert second.headers["ETag"] != first.headers["ETag"]
    im = Image.open(io.BytesIO(second.body)).convert("RGB")
    assert im.size == (128, 96) and rgb(im, (64, 48))[1] > 200


async def test_bad_media_placeholders_and_counts(
    jp_fetch: Any, media: dict[str, Any], vl_app: Any
) -> None:
    expected = {
        "missing.jpg": "missing",
        "corrupt.jpg": "corrupt",
        "truncated.jpg": "corrupt",
        "bomb.png": "too_large",
        "photo.heic": "unsupported",
        "pipe.jpg": "unsupported",
    }
    for name, code in expected.items():
        for params in ({"size": "256"}, {"size": "256"}, {}):  # twice: the cached error too
            if name == "truncated.jpg" and not params:
                continue  # originals are passed through after a header check
            resp = await jp_fetch(*image_path("voc", media["ids"][name]), params=params)
            assert resp.code == 200
            assert resp.headers["X-VisionLens-Media-Error"] == code, name
            assert resp.headers["Content-Type"] == "image/jpeg"
            assert resp.headers["Cache-Control"] == "no-store"
            Image.open(io.BytesIO(resp.body)).verify()
    for _ in range(100):  # bookkeeping is written after the responses
        counts = bad_media_counts(vl_app.catalog, "voc")
        if counts["total"] == 6:
            break
        await asyncio.sleep(0.05)
    assert {k: counts[k] for k in ("missing", "corrupt", "too_large", "unsupported")} == {
        "missing": 1, "corrupt": 2, "too_large": 1, "unsupported": 2,
    }  # fmt: skip
    assert bad_media_counts(vl_app.catalog, "other")["total"] == 0

    # Fixing the file clears it from the counts.
    shutil.copy(media["real"][0], media["root"] / "corrupt.jpg")
    resp = await jp_fetch(*image_path("voc", media["ids"]["corrupt.jpg"]), params={"size": "256"})
    assert "X-VisionLens-Media-Error" not in resp.headers
    for _ in range(100):
        if bad_media_counts(vl_app.catalog, "voc")["corrupt"] == 1:
            break
        await asyncio.sleep(0.05)
    assert bad_media_counts(vl_app.catalog, "voc")["corrupt"] == 1


async def test_bad_media_placeholder_has_the_recorded_shape(
    jp_fetch: Any, media: dict[str, Any], vl_app: Any
) -> None:
    # The UI draws a sample's labels in its recorded frame: a 4:3 placeholder for a tall
    # image left its boxes above and below it (issue #47). Unknown size: 4:3.
    root = media["root"]
    tall, unknown = add_dataset(
        vl_app.catalog, "shaped", str(root), [str(root / "tall.jpg"), str(root / "gone.jpg")]
    )
    with vl_app.catalog.write() as cur:
        cur.execute("UPDATE samples SET width = 480, height = 640 WHERE sample_id = ?", [tall])
    for params, side in (({"size": "256"}, 256), ({}, 512)):
        for sid, size in ((tall, (side * 3 // 4, side)), (unknown, (side, side * 3 // 4))):
            resp = await jp_fetch(*image_path("shaped", sid), params=params)
            assert resp.headers["X-VisionLens-Media-Error"] == "missing"
            assert Image.open(io.BytesIO(resp.body)).size == size


async def test_only_the_datasets_own_images_are_served(
    jp_fetch: Any,
    media: dict[str, Any],
    http_server_client: Any,
    jp_base_url: str,
    jp_auth_header: dict[str, str],
) -> None:
    # Another dataset's sample, unknown ids, unknown dataset, non-numeric ids → 404.
    for name, sid in (
        ("voc", media["other"]),
        ("other", media["ids"][media["real"][0].name]),
        ("voc", 999_999),
        ("nope", media["other"]),
        ("voc", "abc"),
        ("voc", "-1"),
        ("voc", "1e3"),
    ):
        for params in ({}, {"size": "128"}):
            with pytest.raises(HTTPClientError) as info:
                await jp_fetch(*image_path(name, sid), params=params)
            assert info.value.code == 404, (name, sid)
    # Locations that resolve outside the media root (symlink, stored '..') → 403, never bytes.
    for name in ("escape.jpg", "dotdot"):
        for params in ({}, {"size": "128"}):
            with pytest.raises(HTTPClientError) as info:
                await jp_fetch(*image_path("voc", media["ids"][name]), params=params)
            assert info.value.code == 403
            assert info.value.response is not None
            assert b"secret" not in info.value.response.body
    # Paths smuggled through URL encoding never reach a file: only ids are accepted.
    base = jp_base_url.rstrip("/") + "/visionlens/api/datasets"
    for raw in (
        "/voc/samples/..%2F..%2F..%2Fetc%2Fpasswd/image",
        "/voc/samples/%2Fetc%2Fpasswd/image",
        "/voc/samples/1%2F..%2F2/image",
        "/..%2Fvoc/samples/1/image",
        "/voc/samples/%31%00/image",
    ):
        with pytest.raises(HTTPClientError) as info:
            await http_server_client.fetch(base + raw, headers=jp_auth_header)
        assert info.value.code == 404, raw


async def test_unauthenticated_image_requests_are_refused(
    jp_fetch: Any, media: dict[str, Any]
) -> None:
    sid = media["ids"][media["real"][0].name]
    for headers in ({"Authorization": ""}, {"Authorization": "token wrong"}):
        for params in ({}, {"size": "128"}):
            with pytest.raises(HTTPClientError) as info:
                await jp_fetch(*image_path("voc", sid), params=params, headers=headers)
            assert info.value.code in (401, 403)


async def test_gcs_thumbnails_through_the_server(
    jp_fetch: Any,
    vl_app: Any,
    gcs_emulator: str,  # noqa: F811
) -> None:
    bucket = gcs_bucket("vl-server")
    data = [encode(photo(640, 480, seed=i), "JPEG") for i in range(3)]
    for i, blob in enumerate(data):
        gcs_upload(bucket, f"ds/img{i}.jpg", blob)
    locations = [f"gs://vl-server/ds/img{i}.jpg" for i in range(3)] + [
        "gs://vl-server/ds/gone.jpg",
        "gs://vl-server/elsewhere.jpg",
    ]
    ids = add_dataset(vl_app.catalog, "gcs", "gs://vl-server/ds", locations)
    resp = await jp_fetch(*image_path("gcs", ids[0]), params={"size": "256"})
    assert resp.headers["Content-Type"] == "image/jpeg"
    assert Image.open(io.BytesIO(resp.body)).size == (256, 192)
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch(
            *image_path("gcs", ids[0]),
            params={"size": "256"},
            headers={"If-None-Match": resp.headers["ETag"]},
        )
    assert info.value.code == 304
    original = await jp_fetch(*image_path("gcs", ids[1]))
    assert original.body == data[1] and original.headers["Content-Type"] == "image/jpeg"
    missing = await jp_fetch(*image_path("gcs", ids[3]), params={"size": "128"})
    assert missing.headers["X-VisionLens-Media-Error"] == "missing"
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch(*image_path("gcs", ids[4]), params={"size": "128"})
    assert info.value.code == 403
    for _ in range(100):  # the missing object is counted (written after the response)
        if bad_media_counts(vl_app.catalog, "gcs")["missing"] == 1:
            break
        await asyncio.sleep(0.05)
    assert bad_media_counts(vl_app.catalog, "gcs")["missing"] == 1


async def test_deleted_or_replaced_dataset_is_seen_at_once(
    jp_fetch: Any, vl_app: Any, tmp_path: Path
) -> None:
    root = tmp_path / "re"
    root.mkdir()
    (root / "red.jpg").write_bytes(encode(Image.new("RGB", (200, 150), (255, 0, 0)), "JPEG"))
    (root / "green.jpg").write_bytes(encode(Image.new("RGB", (200, 150), (0, 255, 0)), "JPEG"))
    (sid,) = add_dataset(vl_app.catalog, "re", str(root), [str(root / "red.jpg")])
    first = await jp_fetch(*image_path("re", sid), params={"size": "128"})
    assert rgb(Image.open(io.BytesIO(first.body)), (64, 48))[0] > 200
    vl_app.catalog.delete_dataset("re")
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch(*image_path("re", sid), params={"size": "128"})
    assert info.value.code == 404
    # Same name, and the freed sample id is reused for another image.
    (again,) = add_dataset(vl_app.catalog, "re", str(root), [str(root / "green.jpg")])
    assert again == sid
    second = await jp_fetch(*image_path("re", sid), params={"size": "128"})
    assert rgb(Image.open(io.BytesIO(second.body)), (64, 48))[1] > 200


async def test_pregeneration_job_in_the_server(
    jp_fetch: Any, vl_app: Any, media: dict[str, Any]
) -> None:
    service = vl_app.media
    job = vl_app.jobs.submit(THUMBNAILS_JOB, lambda ctx: service.pregenerate(ctx, "voc", workers=1))
    for _ in range(600):
        if job.finished:
            break
        await asyncio.sleep(0.05)
    assert job.status == "done", job.error
    assert job.result["generated"] == 4  # 3 photos + the RGBA png
    assert job.result["refused"] == 2  # the symlink and the '..' location are never read
    counts = bad_media_counts(vl_app.catalog, "voc")
    assert counts["total"] == 6
    files_before = sorted(p.name for p in service.cache.root.rglob("*") if p.is_file())
    sid = media["ids"][media["real"][2].name]
    resp = await jp_fetch(
        *image_path("voc", sid), params={"size": "256"}, headers={"Accept": "image/webp"}
    )
    assert resp.code == 200 and resp.headers["Content-Type"] == "image/jpeg"
    files_after = sorted(p.name for p in service.cache.root.rglob("*") if p.is_file())
    assert files_after == files_before  # served from what the job made


async def test_coco_with_gcs_images_ingested_and_served(
    api: Any,
    wait_job: Any,
    jp_fetch: Any,
    tmp_path: Path,
    gcs_emulator: str,  # noqa: F811
) -> None:
    bucket = gcs_bucket("vl-coco")
    sizes = [(640, 480), (500, 375), (300, 400)]
    for i, (w, h) in enumerate(sizes):
        gcs_upload(bucket, f"coco/images/{i}.jpg", encode(photo(w, h, seed=i), "JPEG"))
    images = [{"id": i, "file_name": f"{i}.jpg"} for i in range(3)]  # no sizes: read from GCS
    images[0].update(width=640, height=480)
    coco = {
        "images": images,
        "annotations": [
            {
                "id": 1,
                "image_id": 1,
                "category_id": 1,
                "bbox": [1, 2, 30, 40],
                "area": 1200,
                "iscrowd": 0,
            }
        ],
        "categories": [{"id": 1, "name": "thing"}],
    }
    ann = tmp_path / "instances.json"
    ann.write_text(json.dumps(coco))
    status, body = await api(
        "POST",
        "datasets",
        {
            "source": str(ann),
            "name": "gcoco",
            "format": "coco",
            "images": "gs://vl-coco/coco/images",
        },
    )
    assert status == 202, body
    job = await wait_job(body["job"])
    assert job["status"] == "done", job
    status, page = await api("GET", "datasets/gcoco/samples", params={"limit": "10"})
    assert status == 200
    by_name = {s["file_name"]: s for s in page["samples"]}
    for i, (w, h) in enumerate(sizes):
        sample = by_name[f"{i}.jpg"]
        assert (sample["width"], sample["height"]) == (w, h)  # header reads over GCS
        resp = await jp_fetch(*image_path("gcoco", sample["sample_id"]), params={"size": "128"})
        assert resp.headers["Content-Type"] == "image/jpeg"
        assert "X-VisionLens-Media-Error" not in resp.headers
        thumb = Image.open(io.BytesIO(resp.body))
        assert max(thumb.size) == 128 and abs(thumb.size[0] / thumb.size[1] - w / h) < 0.02
