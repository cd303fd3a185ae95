"""Datasets: list, ingest, inspect, delete, import predictions."""

from __future__ import annotations

import tornado.web
from jupyter_server.auth.decorator import authorized
from tornado.web import HTTPError

from .. import formats
from ..formats import AUTO, DATASET_FORMATS, FileFormat, names
from ..importing.video_reads import track_counts, video_count
from ..media.lookup import bad_media_counts
from ..semantic.overlay import mask_sources
from .base import VisionLensHandler, optional_str, required_str

FORMATS = {AUTO, *names(DATASET_FORMATS)}
PREDICTION_FORMATS = {AUTO, *names(formats.PREDICTION_FORMATS)}


def _format(
    body: dict, plugin_formats: frozenset[str] = frozenset(), formats: set[str] = FORMATS
) -> str:
    fmt = optional_str(body, "format") or "auto"
    if fmt not in formats | plugin_formats:
        known = sorted(formats | plugin_formats)
        raise HTTPError(400, f"unknown format {fmt!r}; use one of {known}")
    return fmt


def _listed(formats: tuple[FileFormat, ...]) -> list[dict[str, str | bool]]:
    # ``videos`` only where true: the lab hides those export formats for still images
    return [
        {"name": f.name, "title": f.title, **({"videos": True} if f.videos else {})}
        for f in formats
    ]


class FormatsHandler(VisionLensHandler):
    """The formats ingest reads (plugins' included) and export writes: the lab's forms offer
    these, so a format declared once (``visionlens_jlab/formats.py``) or by a plugin appears
    there without a change to the lab."""

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        plugin_formats = [
            {"name": name, "title": fmt.description or name, "plugin": plugin}
            for name, (plugin, fmt) in sorted(self.app.plugins.ingest_formats.items())
        ]
        await self.write_json(
            {
                "auto": AUTO,
                "datasets": _listed(DATASET_FORMATS) + plugin_formats,
                "predictions": _listed(formats.PREDICTION_FORMATS),
                "exports": _listed(formats.EXPORT_FORMATS),
            }
        )


class DatasetsHandler(VisionLensHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        datasets = await self.run_blocking(self.catalog.list_datasets)
        await self.write_json({"datasets": datasets})

    @tornado.web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.json_body()
        source, name = required_str(body, "source"), required_str(body, "name")
        fmt = _format(body, frozenset(self.app.plugins.ingest_formats))
        images, split = optional_str(body, "images"), optional_str(body, "split")
        image_labels = optional_str(body, "image_labels")
        # off the loop: submitting checks the name against every dataset (a catalog query)
        # and resolves the source against the allowed roots (file system)
        job = await self.run_blocking(
            lambda: self.app.ingest(
                source=source,
                name=name,
                fmt=fmt,
                images=images,
                split=split,
                image_labels=image_labels,
            )  # fmt: skip
        )
        await self.write_json({"job": job.to_dict()}, status=202)


class DatasetHandler(VisionLensHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        dataset = await self.run_blocking(self.catalog.get_dataset, name)
        dataset["media"] = await self.run_blocking(bad_media_counts, self.catalog, name)
        dataset["num_videos"] = await self.run_blocking(video_count, self.catalog, name)
        tracks = await self.run_blocking(track_counts, self.catalog, name)
        dataset["num_tracks"] = sum(tracks.values())
        dataset["mask_sources"] = await self.run_blocking(mask_sources, self.catalog, name)
        for model in dataset["models"]:
            model["num_tracks"] = tracks.get(model["name"], 0)
        await self.write_json(dataset)

    @tornado.web.authenticated
    @authorized
    async def delete(self, name: str) -> None:
        await self.run_blocking(self.app.delete_dataset, name)
        self.set_status(204)
        self.finish()


class PredictionsHandler(VisionLensHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self, name: str) -> None:
        body = self.json_body()
        source, model, fmt = (
            required_str(body, "source"),
            required_str(body, "model"),
            _format(body, formats=PREDICTION_FORMATS),
        )
        split = optional_str(body, "split")
        job = await self.run_blocking(  # reads the dataset's classes from the catalog
            lambda: self.app.import_predictions(
                dataset=name, source=source, model=model, fmt=fmt, split=split
            )
        )
        await self.write_json({"job": job.to_dict()}, status=202)


ROUTES = [
    (r"/formats", FormatsHandler),
    (r"/datasets", DatasetsHandler),
    (r"/datasets/(?P<name>[^/]+)", DatasetHandler),
    (r"/datasets/(?P<name>[^/]+)/predictions", PredictionsHandler),
]
