"""Export a view to files on the server as a background job.

``POST /datasets/{name}/exports`` body ``{format, out, filter, source, min_score, classes,
splits, seed, images, overwrite, version}`` answers 202 with the job; its result is what
``visionlens export --json`` prints. ``out`` is a folder on the server's machine: a relative
one lies under the server's root folder (what the file browser shows), and it must lie
inside ``allowed_roots`` (403), checked when the request arrives and again when the job
starts. What the export would refuse (unknown format, dataset, source, class or version, a
non-empty ``out`` without ``overwrite``, an ``out`` that is or holds the server's folders or
a dataset's images, or lies inside the dataset's images) is a 400/404 before any job
starts.
"""

from __future__ import annotations

import math
import os
from typing import Any

import tornado.web
from jupyter_server.auth.decorator import authorized
from tornado.web import HTTPError

from ..export import FORMATS, check_export, export_view
from ..jobs import JobContext, JobEffects, JobKind
from .base import VisionLensHandler

EXPORT_KEYS = {
    "format", "out", "filter", "source", "min_score", "classes", "splits", "seed", "images",
    "overwrite", "version",
}  # fmt: skip
IMAGE_MODES = ("copy", "symlink", "none")


def export_params(body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The body's format and its options as :func:`~visionlens_jlab.export.export_view`
    takes them (``out`` still as given), or a 400 naming the key at fault."""
    unknown = set(body) - EXPORT_KEYS
    if unknown:
        raise HTTPError(400, f"unknown keys {sorted(unknown)}; allowed: {sorted(EXPORT_KEYS)}")
    fmt, out = body.get("format"), body.get("out")
    if fmt not in FORMATS:
        raise HTTPError(400, f"'format' is required: one of {', '.join(FORMATS)}")
    if not isinstance(out, str) or not out.strip():
        raise HTTPError(400, "'out' is required: the output folder on the server")
    if "://" in out:
        raise HTTPError(400, "'out' must be a folder on the server's disk, not a URL")
    spec, source = body.get("filter"), body.get("source") or "ground_truth"
    if spec is not None and not isinstance(spec, dict):
        raise HTTPError(400, "'filter' must be a JSON object")
    if not isinstance(source, str):
        raise HTTPError(400, "'source' must be 'ground_truth' or a model name")
    min_score = body.get("min_score")
    if min_score is not None and not _number(min_score):
        raise HTTPError(400, "'min_score' must be a number")
    classes = body.get("classes")
    if classes is not None and (
        not isinstance(classes, list) or not all(isinstance(c, str) and c.strip() for c in classes)
    ):
        raise HTTPError(400, "'classes' must be a list of class names")
    splits = body.get("splits")
    if splits is not None and not isinstance(splits, str | dict):
        raise HTTPError(400, "'splits' must be 'train=0.8,val=0.2' or {split: ratio}")
    seed, images = body.get("seed", 0), body.get("images", "copy")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise HTTPError(400, "'seed' must be an integer")
    if images not in IMAGE_MODES:
        raise HTTPError(400, f"'images' must be one of {', '.join(IMAGE_MODES)}")
    overwrite = body.get("overwrite", False)
    if not isinstance(overwrite, bool):
        raise HTTPError(400, "'overwrite' must be true or false")
    version = body.get("version")
    if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
        raise HTTPError(400, "'version' must be a version number (see GET .../versions)")
    return fmt, {
        "out": out.strip(), "spec": spec, "source": source,
        "min_score": None if min_score is None else float(min_score),
        "classes": [c.strip() for c in classes] if classes else None,
        "splits": splits or None, "seed": seed, "images": images, "overwrite": overwrite,
        "version": version,
    }  # fmt: skip


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


EXPORT_JOB = JobKind("export", JobEffects())
"""Files outside the catalog: nothing shown changes."""


class ExportJobsHandler(VisionLensHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self, name: str) -> None:
        fmt, params = export_params(self.json_body())
        root = os.path.expanduser(self.settings.get("server_root_dir") or os.getcwd())
        out = params["out"] = os.path.abspath(os.path.join(root, os.path.expanduser(params["out"])))
        catalog = self.catalog
        roots, data_dir = self.app.allowed_roots, str(self.app.resolved_data_dir)
        checks = {k: v for k, v in params.items() if k not in ("out", "spec", "seed")}

        # what no export may replace: the server's root, its allowed roots, its data folder
        protected = [root, *roots, data_dir]

        def check() -> None:  # off the loop: the checks look at the file system and catalog
            check_export(
                catalog, name, fmt, out, allowed_roots=roots, protected=protected, **checks
            )

        await self.run_blocking(check)

        def run(ctx: JobContext) -> dict[str, Any]:
            def progress(stage: str, done: int, total: int, fraction: float) -> None:
                ctx.check_cancelled()  # raised here, the staging folder is removed
                if total:
                    ctx.items(stage, done, total, fraction=fraction)
                else:
                    ctx.stage(stage, fraction=fraction)

            # ``out`` is resolved and checked again: a symlink swapped in since the request
            # would take the export elsewhere
            result = export_view(
                catalog, name, fmt, progress=progress, allowed_roots=roots, protected=protected,
                **params,
            )  # fmt: skip
            return result.to_dict()

        title = f"Export {name} as {fmt.upper()} to {os.path.basename(out) or out}"
        await self.submit_job(EXPORT_JOB, run, title=title, dataset=name)


ROUTES = [
    (r"/datasets/(?P<name>[^/]+)/exports", ExportJobsHandler),
]
