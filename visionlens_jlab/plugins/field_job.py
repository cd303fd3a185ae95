"""Plugin sample-field jobs: read the samples (server), compute (worker process), store.

The plugin's ``compute`` runs in a spawned worker process under the plugin time limit
(:mod:`~visionlens_jlab.plugins.field_compute`); the server process alone reads and writes
the catalog, through the computed-fields machinery, so the values show in facets, filters,
the grid and ``ds.samples()`` as ``computed.<field>``. A plugin whose hook raises or runs
past its limit is marked failed in the registry; the job fails with the same message.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

import numpy as np

from ..catalog.extensions.computed import write_computed
from ..jobs.kinds import JobEffects, JobKind
from ..jobs.processes import WorkerError, stream_from_worker
from ..media.lookup import dataset_samples
from .discovery import PluginError
from .field_compute import plugin_field_items

if TYPE_CHECKING:
    from ..catalog import Catalog
    from ..jobs.manager import Job, JobContext, JobManager
    from .registry import PluginRegistry


PLUGIN_FIELD_JOB = JobKind("plugin-field", JobEffects(data=("fields",)))
"""A plugin's ``computed.*`` sample fields."""


def plugin_fields_to_compute(
    registry: PluginRegistry, plugin: str, field: str | None = None
) -> list[str]:
    """The fields of ``plugin`` a job computes: ``field`` alone, or all of them."""
    registry.loaded(plugin)
    own = [n for n, (p, _spec) in registry.fields.items() if p == plugin]
    if not own:
        raise PluginError(f"plugin {plugin} provides no sample fields")
    if field is None:
        return own
    if field not in own:
        raise PluginError(f"plugin {plugin} has no field {field!r} (fields: {', '.join(own)})")
    return [field]


def compute_plugin_fields(
    catalog: Catalog,
    registry: PluginRegistry,
    dataset: str,
    plugin: str,
    fields: list[str],
    ctx: JobContext | None = None,
) -> dict[str, Any]:
    """Compute ``fields`` of ``plugin`` for every sample of ``dataset`` and store them."""
    record = registry.loaded(plugin)
    kinds = {name: registry.fields[name][1].kind for name in fields}
    read = dataset_samples(catalog, dataset, ("file_name", "width", "height"))
    dataset_id = read.dataset_id
    # The plugin sees (and its read_image reads) only what the image route would serve: the
    # resolved location of each sample inside the media root. The rest get no value.
    confined = read.confine()
    readable = dict(confined.items)
    stored = read.samples.select(["sample_id", "file_name", "width", "height"]).to_pylist()
    rows = [
        (r["sample_id"], r["file_name"], readable[r["sample_id"]], r["width"], r["height"])
        for r in stored
        if r["sample_id"] in readable
    ]
    values: dict[str, list[Any]] = {name: [] for name in fields}
    settings = registry.setup_context(plugin).settings
    try:
        for item in stream_from_worker(
            ctx,
            plugin_field_items,
            record.ref,
            plugin,
            fields,
            kinds,
            rows,
            dict(settings),
            registry.timeout_s,
            dataset,
        ):
            if item[0] == "progress" and ctx is not None:
                ctx.items(f"plugin {plugin}", int(item[1]), int(item[2]))
            elif item[0] == "values":
                for name in fields:
                    values[name].extend(item[1][name])
    except (PluginError, WorkerError) as exc:
        registry.mark_failed(plugin, str(exc))
        raise
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    to_write: dict[str, tuple[np.ndarray, Any]] = {}
    counts: dict[str, int] = {}
    for name in fields:
        column = values[name]
        keep = np.array(
            [v is not None and not (isinstance(v, float) and math.isnan(v)) for v in column],
            dtype=bool,
        )
        kept = [v for v, k in zip(column, keep, strict=True) if k]
        to_write[name] = (
            ids[keep],
            np.array(kept, dtype=np.float64) if kinds[name] == "numeric" else kept,
        )
        counts[name] = int(keep.sum())
    params = json.dumps({"plugin": plugin, "version": record.version})
    write_computed(catalog, dataset_id, to_write, producer=f"plugin:{plugin}", params=params)
    return {
        "dataset": dataset,
        "plugin": plugin,
        "fields": counts,
        "samples": len(stored),
        **confined.summary(),
    }


def submit_plugin_fields(
    jobs: JobManager,
    catalog: Catalog,
    registry: PluginRegistry,
    *,
    dataset: str,
    plugin: str,
    field: str | None = None,
) -> Job:
    """Queue a job computing a plugin's field(s); bad plugin/field/dataset names fail at once."""
    fields = plugin_fields_to_compute(registry, plugin, field)
    with catalog.cursor() as cur:
        catalog.dataset_id(cur, dataset)  # NotFoundError before anything is queued

    def run(ctx: JobContext) -> dict[str, Any]:
        return compute_plugin_fields(catalog, registry, dataset, plugin, fields, ctx)

    return jobs.submit(
        PLUGIN_FIELD_JOB, run, title=f"{plugin}: {', '.join(fields)} of {dataset}", dataset=dataset
    )
