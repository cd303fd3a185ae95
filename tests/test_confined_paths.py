"""Every path confined at the moment it is used (issue #46), on a real Jupyter server with
``allowed_roots``: model and checkpoint paths however they are written, and every file an
ingest source names (a YOLO data.yaml's ``path``/``train``, an image list's lines, a COCO
``file_name``, a symlink on the way)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.ingest_fixtures import tiny_jpeg
from visionlens_jlab.ingest.allowed_roots import SourceNotAllowedError, confine_local_path


@pytest.fixture
def vl_settings(tmp_path: Path, jp_root_dir: Path) -> dict[str, Any]:
    (tmp_path / "allowed").mkdir()
    return {"allowed_roots": [str(tmp_path / "allowed"), str(jp_root_dir)]}


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder outside the roots holding a checkpoint and a labelled YOLO image."""
    out = tmp_path / "outside"
    (out / "models" / "detr").mkdir(parents=True)
    (out / "models" / "detr" / "config.json").write_text("{}")
    (out / "images" / "train").mkdir(parents=True)
    (out / "labels" / "train").mkdir(parents=True)
    (out / "images" / "train" / "secret.jpg").write_bytes(tiny_jpeg(20, 10))
    (out / "labels" / "train" / "secret.txt").write_text("0 0.5 0.5 0.2 0.2\n")
    return out


# --- A: model and checkpoint paths -------------------------------------------------------


async def test_model_paths_outside_the_roots_are_refused_however_written(
    api: Any, jp_root_dir: Path, outside: Path
) -> None:
    (jp_root_dir / "swap").mkdir()
    (jp_root_dir / "linked").symlink_to(outside / "models")  # a link out of a root
    models = [
        "swap/../../outside/models/detr",  # relative, climbing out of the root folder
        str(outside / "models" / "detr"),  # absolute
        "linked/detr",  # relative, no dot first: a local path because it exists
        "torchvision:fasterrcnn_resnet50_fpn=swap/../../outside/models/detr/config.json",
    ]
    for model in models:
        status, answer = await api("POST", "datasets/any/predict", {"model": model})
        assert status == 403, (model, answer)
        assert "allowed_roots" in answer["message"], answer
    for checkpoint in ("swap/../../outside/models/detr", "linked/detr"):
        status, answer = await api("POST", "datasets/any/embed", {"checkpoint": checkpoint})
        assert status == 403, (checkpoint, answer)


def test_local_model_paths_are_resolved_where_the_job_reads_them(tmp_path: Path) -> None:
    root, cwd = tmp_path / "root", tmp_path / "cwd"
    (root / "models" / "m").mkdir(parents=True)
    (cwd / "org").mkdir(parents=True)
    (cwd / "org" / "other").symlink_to(tmp_path)
    bases, roots = [str(root), str(cwd)], [str(root)]
    # a hub id that names no local path stays as it was (nothing to confine)
    assert confine_local_path("facebook/detr-resnet-50", bases, roots) is None
    # an existing relative path becomes the absolute path the job loads
    assert confine_local_path("models/m", bases, roots) == str(root / "models" / "m")
    assert confine_local_path("./models/m", bases, roots) == str(root / "models" / "m")
    # found under the working folder (where worker processes start), outside the roots
    with pytest.raises(SourceNotAllowedError):
        confine_local_path("org/other", bases, roots)
    # written as a path: refused before anything looks whether it exists
    with pytest.raises(SourceNotAllowedError, match="allowed_roots"):
        confine_local_path("models/../../nowhere/x", bases, roots)
    assert confine_local_path("anything", bases, []) is None  # no roots: a laptop
