"""Image sources: local files and GCS (real emulator on loopback), header-only sizes,
listings, and the media-root containment check."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PIL import Image

from visionlens_jlab.media import gcs_source, sources
from visionlens_jlab.media.errors import MediaAccessError, MediaError

from .media_fixtures import (  # noqa: F401 - gcs_emulator is a fixture
    CORRUPT_BYTES,
    encode,
    gcs_bucket,
    gcs_emulator,
    gcs_upload,
    jpeg_with_orientation,
    photo,
)
from .paths import DATASETS

VOC_IMAGES = DATASETS / "padilla-review-voc100" / "images"


def test_local_image_size_matches_pillow_on_real_images() -> None:
    for path in sorted(VOC_IMAGES.glob("*.jpg"))[:10]:
        with Image.open(path) as im:
            assert sources.image_size(str(path)) == im.size


def test_image_size_applies_exif_orientation(tmp_path: Path) -> None:
    for orientation in range(1, 9):
        path = tmp_path / f"o{orientation}.jpg"
        path.write_bytes(jpeg_with_orientation(orientation, 320, 240))
        expected = (240, 320) if orientation >= 5 else (320, 240)
        assert sources.image_size(str(path)) == expected
        assert sources.image_size(str(path), oriented=False) == (320, 240)


def test_local_missing_and_corrupt(tmp_path: Path) -> None:
    with pytest.raises(MediaError) as exc:
        sources.image_size(str(tmp_path / "nope.jpg"))
    assert exc.value.code == "missing"
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(CORRUPT_BYTES)
    with pytest.raises(MediaError) as exc:
        sources.image_size(str(bad))
    assert exc.value.code == "corrupt"
    with pytest.raises(MediaError) as exc:
        sources.read_bytes(str(tmp_path / "nope.jpg"))
    assert exc.value.code == "missing"


def test_local_version_changes_with_content(tmp_path: Path) -> None:
    path = tmp_path / "a.jpg"
    path.write_bytes(encode(photo(), "JPEG"))
    before = sources.version(str(path))
    path.write_bytes(encode(photo(seed=1), "JPEG", quality=50))
    os.utime(path, ns=(before_ns := int(before.token.split("-")[0]) + 10**9, before_ns))
    assert sources.version(str(path)) != before


def test_list_images_local_is_recursive_sorted_and_filters(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    for rel in ("b/2.PNG", "a.jpg", "b/1.jpeg", "notes.txt", "ann.json"):
        (tmp_path / rel).write_bytes(b"x")
    assert list(sources.list_images(str(tmp_path))) == [
        str(tmp_path / "a.jpg"),
        str(tmp_path / "b" / "1.jpeg"),
        str(tmp_path / "b" / "2.PNG"),
    ]
    with pytest.raises(MediaError):
        list(sources.list_images(str(tmp_path / "absent")))


def test_resolve_within_refuses_escapes(tmp_path: Path) -> None:
    root = tmp_path / "media"
    (root / "sub").mkdir(parents=True)
    inside = root / "sub" / "a.jpg"
    inside.write_bytes(b"x")
    secret = tmp_path / "secret.jpg"
    secret.write_bytes(b"x")
    (root / "link_out.jpg").symlink_to(secret)
    (root / "dir_out").symlink_to(tmp_path)
    (root / "link_in.jpg").symlink_to(inside)
    sibling = tmp_path / "media-evil"
    sibling.mkdir()
    (sibling / "x.jpg").write_bytes(b"x")

    assert sources.resolve_within(str(inside), str(root)) == str(inside)
    assert sources.resolve_within(str(root / "link_in.jpg"), str(root)) == str(inside)
    for escape in (
        str(root / ".." / "secret.jpg"),
        str(root / "sub" / ".." / ".." / "secret.jpg"),
        str(root / "link_out.jpg"),
        str(root / "dir_out" / "secret.jpg"),
        str(sibling / "x.jpg"),  # shares the string prefix "media", not the folder
        "/etc/passwd",
        "relative/a.jpg",
        str(root),  # the root folder itself is not an image
        "file:///etc/passwd",
    ):
        with pytest.raises(MediaAccessError):
            sources.resolve_within(escape, str(root))
    with pytest.raises(MediaAccessError):  # a local location never matches a gs:// root
        sources.resolve_within(str(inside), "gs://bucket/media")


def test_resolve_within_gcs() -> None:
    root = "gs://bkt/data/images"
    assert (
        sources.resolve_within("gs://bkt/data/images/a.jpg", root) == "gs://bkt/data/images/a.jpg"
    )
    for escape in (
        "gs://bkt/data/images2/a.jpg",
        "gs://other/data/images/a.jpg",
        "gs://bkt/secret.jpg",
        "/etc/passwd",
        "gs:///data/images/a.jpg",
    ):
        with pytest.raises(MediaAccessError):
            sources.resolve_within(escape, root)


def test_gcs_sizes_listing_and_reads(gcs_emulator: str) -> None:  # noqa: F811
    bucket = gcs_bucket("vl-sources")
    rotated = jpeg_with_orientation(6, 640, 480)
    # An ICC profile of 150 KB puts the JPEG frame header past the first 64 KiB read.
    big_header = encode(photo(300, 200), "JPEG", icc_profile=b"\0" * 150_000)
    gcs_upload(bucket, "imgs/a.jpg", rotated)
    gcs_upload(bucket, "imgs/sub/b.png", encode(photo(100, 50), "PNG"), "image/png")
    gcs_upload(bucket, "imgs/c.jpg", big_header)
    gcs_upload(bucket, "imgs/ann.json", b"{}", "application/json")
    gcs_upload(bucket, "imgs2/d.jpg", rotated)

    assert list(sources.list_images("gs://vl-sources/imgs")) == [
        "gs://vl-sources/imgs/a.jpg",
        "gs://vl-sources/imgs/c.jpg",
        "gs://vl-sources/imgs/sub/b.png",
    ]
    assert sources.image_size("gs://vl-sources/imgs/a.jpg") == (480, 640)
    assert sources.image_size("gs://vl-sources/imgs/sub/b.png") == (100, 50)
    assert sources.image_size("gs://vl-sources/imgs/c.jpg") == (300, 200)
    head = sources.source_for("gs://vl-sources/imgs/c.jpg").read_head(
        "gs://vl-sources/imgs/c.jpg", 1000
    )
    assert head == big_header[:1000]  # a ranged read, not the whole object
    assert sources.read_bytes("gs://vl-sources/imgs/c.jpg") == big_header

    listed = {o.location: o.version for o in sources.list_image_objects("gs://vl-sources/imgs")}
    assert listed["gs://vl-sources/imgs/a.jpg"] == sources.version("gs://vl-sources/imgs/a.jpg")
    gcs_upload(bucket, "imgs/a.jpg", encode(photo(), "JPEG"))  # overwrite: new generation
    assert sources.version("gs://vl-sources/imgs/a.jpg") != listed["gs://vl-sources/imgs/a.jpg"]

    for call in (sources.read_bytes, sources.image_size, sources.version):
        with pytest.raises(MediaError) as exc:
            call("gs://vl-sources/imgs/nope.jpg")
        assert exc.value.code == "missing"


def test_gcs_client_falls_back_to_anonymous_without_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from google.auth.credentials import AnonymousCredentials

    for var in ("STORAGE_EMULATOR_HOST", "GOOGLE_APPLICATION_CREDENTIALS", "CLOUDSDK_CONFIG"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # no gcloud application-default credentials
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "gcloud"))
    monkeypatch.setenv("NO_GCE_CHECK", "True")  # not on GCE: skip the metadata server probe
    monkeypatch.setattr(gcs_source, "_clients", {})
    client = gcs_source.gcs_client()
    assert isinstance(client._credentials, AnonymousCredentials)
    assert gcs_source.gcs_client() is client  # one per process
