"""Export a view to files on the server as a background job.

``POST /datasets/{name}/exports`` body ``{format, out, filter, source, min_score, classes,
splits, seed, images, overwrite, version, frames}`` answers 202 with the job; its result is what
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


def export_params(body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The body's format and its options as :func:`~visionlens_jlab.export.export_view`
    takes them (``out`` still as given), or a 400 naming the key at fault. Keys and types
    are the contract's (``openapi.yaml``, checked by ``json_body``); what it cannot state
    is checked here: the format registry, a URL for ``out``, a finite ``min_score``."""
    fmt, out = body["format"], body["out"]
    if fmt not in FORMATS:
        raise HTTPError(400, f"'format' is required: one of {', '.join(FORMATS)}")
    if "://" in out:
        raise HTTPError(400, "'out' must be a folder on the server's disk, not a URL")
    spec, source = body.get("filter"), body.get("source") or "ground_truth"
    min_score, classes = body.get("min_score"), body.get("classes")
    if min_score is not None and not math.isfinite(min_score):
        raise HTTPError(400, "'min_score' must be a finite number")
    splits, seed = body.get("splits"), body.get("seed", 0)
    images, overwrite = body.get("images", "copy"), body.get("overwrite", False)
    version, frames = body.get("version"), body.get("frames")
    return fmt, {
        "out": out.strip(), "spec": spec, "source": source,
        "min_score": None if min_score is None else float(min_score),
        "classes": [c.strip() for c in classes] if classes else None,
        "splits": splits or None, "seed": seed, "images": images, "overwrite": overwrite,
        "version": version, "frames": frames,
    }  # fmt: skip


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
        checks = {k: v for k, v in params.items() if k not in ("out", "seed")}

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
