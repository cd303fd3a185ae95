"""Every answer the document states has a schema (issue #48 item 5, one contract): a 2xx JSON
answer, a queued job's 202 and a 4xx/5xx error body each name their shape in
``visionlens_jlab/openapi.yaml``, so a description in prose cannot stand in for one again
(the lab's types are generated from these schemas). Binary and streamed answers are listed
below, each with why it has no JSON schema."""

from __future__ import annotations

from typing import Any

from visionlens_jlab.handlers import contract

JSON = "application/json"

# (method, path, media type) of the 2xx answers that are not JSON, and why
BINARY = {
    ("get", "/datasets/{name}/samples/{sample_id}/image", "image/jpeg"): "the image's bytes",
    ("get", "/datasets/{name}/samples/{sample_id}/image", "image/webp"): "the image's bytes",
    ("get", "/datasets/{name}/samples/{sample_id}/image", "image/png"): "the image's bytes",
    ("get", "/datasets/{name}/objects/{ann_id}/crop", "image/jpeg"): "the crop's bytes",
    ("get", "/datasets/{name}/samples/{sample_id}/regions/{region}/crop", "image/jpeg"): (
        "the crop's bytes (a semantic region's box)"
    ),
    (
        "get",
        "/datasets/{name}/samples/{sample_id}/masks/{source}",
        "image/png",
    ): "the mask drawn in its classes' colours",
    ("get", "/datasets/{name}/samples/{sample_id}/video", "video/mp4"): "the video file's bytes",
    (
        "get",
        "/datasets/{name}/samples/{sample_id}/video",
        "video/quicktime",
    ): "the video file's bytes",
    (
        "get",
        "/datasets/{name}/samples/{sample_id}/video",
        "video/x-matroska",
    ): "the video file's bytes",
    ("get", "/datasets/{name}/samples/{sample_id}/video", "video/webm"): "the video file's bytes",
    (
        "get",
        "/datasets/{name}/samples/{sample_id}/video",
        "video/x-msvideo",
    ): "the video file's bytes",
    ("post", "/datasets/{name}/ids", "application/vnd.apache.arrow.stream"): "ids as Arrow",
    ("post", "/datasets/{name}/export/samples", "application/vnd.apache.arrow.stream"): (
        "an Arrow stream of the samples, record batch by batch"
    ),
    ("post", "/datasets/{name}/export/annotations", "application/vnd.apache.arrow.stream"): (
        "an Arrow stream of the objects, record batch by batch"
    ),
    ("post", "/datasets/{name}/export/classifications", "application/vnd.apache.arrow.stream"): (
        "an Arrow stream of the image labels, record batch by batch"
    ),
    ("get", "/jobs/{job_id}/embeddings", "application/vnd.apache.arrow.stream"): (
        "a kernel embedding job's work list as Arrow"
    ),
    ("get", "/datasets/{name}/maps/{map_id}/points", "application/octet-stream"): (
        "map points as packed float32 (the lab's WebGL buffer)"
    ),
    ("get", "/datasets/{name}/maps/{map_id}/points", "application/vnd.apache.arrow.stream"): (
        "map points as Arrow"
    ),
    ("get", "/datasets/{name}/maps/{map_id}/values", "application/octet-stream"): (
        "one value per map point, packed"
    ),
    ("post", "/datasets/{name}/maps/{map_id}/select", "application/octet-stream"): (
        "the selected points' indices, packed"
    ),
}


def answers() -> list[tuple[str, str, str, dict[str, Any]]]:
    """(method, path, status, response) of every answer the document states."""
    out = []
    for path, item in contract.document()["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict) and "responses" in operation:
                for status, response in operation["responses"].items():
                    out.append((method, path, str(status), response))
    return out


def test_every_json_answer_states_its_schema() -> None:
    """A 2xx (other than a bodiless 204) and every 4xx/5xx answer has content, each of
    its JSON bodies a schema; a non-JSON 2xx is one of the listed binary answers."""
    prose, unlisted = [], []
    for method, path, status, response in answers():
        if status in ("204", "304"):
            assert "content" not in response, f"{method} {path} {status} sends no body"
            continue
        content = response.get("content")
        if not content:
            prose.append(f"{method.upper()} {path} {status}")
            continue
        for media, body in content.items():
            if media == JSON:
                if not (body or {}).get("schema"):
                    prose.append(f"{method.upper()} {path} {status} ({media})")
            elif (method, path, media) not in BINARY:
                unlisted.append(f"{method.upper()} {path} {status} {media}")
    assert not prose, f"answers stated in prose only: {prose}"
    assert not unlisted, f"binary answers not listed (with why) in BINARY: {unlisted}"
    stated = {(m, p, media) for m, p, s, r in answers() for media in r.get("content") or {}}
    assert set(BINARY) <= stated, f"listed but not in the document: {set(BINARY) - stated}"


def test_errors_and_queued_jobs_share_one_schema() -> None:
    """Every 4xx/5xx JSON body is the shared Error (or, for an edit route's 409, the
    conflict or the Error), and every 202 the shared JobQueued (embed's adds a notice),
    so the lab reads one shape of each."""
    error = {"$ref": "#/components/schemas/Error"}
    conflict = {"anyOf": [{"$ref": "#/components/schemas/EditConflict"}, error]}
    for method, path, status, response in answers():
        schema: dict[str, Any] = ((response.get("content") or {}).get(JSON) or {}).get(
            "schema"
        ) or {}
        where = f"{method.upper()} {path} {status}"
        if status == "202" and path == "/datasets/{name}/embed":
            # the job and, after a deprecated option, a notice of what to send instead
            assert schema["properties"]["job"] == {"$ref": "#/components/schemas/Job"}
            assert set(schema["properties"]) == {"job", "notice"}, where
        elif status == "202":
            assert schema == {"$ref": "#/components/schemas/JobQueued"}, where
        elif status[0] in "45":
            assert schema in (error, conflict), where
            if schema == conflict:
                assert status == "409" and "/edits" in path or path.endswith("/restore"), where
