"""The worker-process side of a plugin field job: load the plugin, compute chunk by chunk.

Runs in a spawned worker (:func:`~visionlens_jlab.jobs.processes.stream_from_worker`), so a
plugin that crashes, leaks or blocks cannot take the server down; the server writes the
values. Each ``compute`` call (one chunk) has the plugin time limit: past it the worker
stops with an error naming the plugin and the hook.
"""

from __future__ import annotations

import math
import queue
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

from .api import (
    NUMERIC,
    BlindspotAttribute,
    SampleFieldProvider,
    SampleFieldsContext,
    SampleRow,
    SetupContext,
)
from .discovery import PluginError, PluginRef, import_plugin

CHUNK_SAMPLES = 64
"""Samples per ``compute`` call: bounded memory, frequent progress, a per-call time limit."""


def read_image(sample: SampleRow) -> bytes:
    """The encoded image of a sample, through the media layer (local files and GCS)."""
    from ..media.sources import read_bytes

    return read_bytes(sample.location)


def thumbnail(sample: SampleRow, size: int = 256) -> bytes:
    """A JPEG thumbnail of the sample (longest side ``size``), EXIF orientation applied."""
    from ..media.imaging import render_thumbnail

    return render_thumbnail(read_image(sample), size, "jpeg", sample.file_name)[0]


def plugin_field_items(
    ref: PluginRef,
    plugin: str,
    fields: list[str],
    kinds: dict[str, str],
    rows: list[tuple[Any, ...]],
    settings: dict[str, Any],
    timeout_s: float,
    dataset: str = "",
) -> Iterator[tuple[Any, ...]]:
    """Yield ``("progress", done, total)`` and ``("values", {field: [...]})`` per chunk.

    ``rows``: ``(sample_id, file_name, location, width, height)``. Values are checked: one
    per sample, floats for numeric fields (None/NaN: no value), strings for categorical.
    """
    groups = compute_groups(import_plugin(ref), plugin, fields, settings)
    samples = [SampleRow(int(r[0]), str(r[1]), str(r[2]), r[3], r[4]) for r in rows]
    total = len(samples)
    for start in range(0, total, CHUNK_SAMPLES):
        chunk = samples[start : start + CHUNK_SAMPLES]
        reports: queue.Queue[tuple[str, Any]] = queue.Queue()

        def progress(done: int, base: int = start, out: queue.Queue[Any] = reports) -> None:
            out.put(("progress", base + int(done)))

        context = SampleFieldsContext(
            samples=chunk,
            fields=list(fields),
            settings=settings,
            read_image=read_image,
            thumbnail=thumbnail,
            progress=progress,
            dataset=dataset,
        )
        thread = threading.Thread(
            target=_run, args=(groups, context, reports), name="visionlens-plugin", daemon=True
        )
        thread.start()
        deadline = time.monotonic() + timeout_s
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise PluginError(
                    f"hook sample_fields of plugin {plugin} did not return within its time "
                    f"limit of {timeout_s:g} s"
                )
            try:
                tag, payload = reports.get(timeout=min(left, 0.5))
            except queue.Empty:
                continue
            if tag == "progress":
                yield "progress", min(int(payload), total), total
            elif tag == "error":
                raise PluginError(f"hook sample_fields of plugin {plugin} raised {payload}")
            else:
                yield "values", check_values(payload, fields, kinds, len(chunk), plugin)
                break
        yield "progress", start + len(chunk), total


def compute_groups(
    obj: Any, plugin: str, fields: list[str], settings: dict[str, Any]
) -> list[tuple[Callable[..., Any], list[str]]]:
    """``(compute, its fields asked for)`` from the plugin's ``sample_fields`` provider and
    ``blindspot_attributes`` (each attribute computes one field)."""
    setup = SetupContext(settings=settings)
    computes: list[tuple[Callable[..., Any], list[str]]] = []
    if callable(getattr(obj, "sample_fields", None)):
        provider = obj.sample_fields(context=setup)
        if not isinstance(provider, SampleFieldProvider):
            raise PluginError(
                f"plugin {plugin}: sample_fields did not return a SampleFieldProvider"
            )
        computes.append((provider.compute, [f.name for f in provider.fields]))
    if callable(getattr(obj, "blindspot_attributes", None)):
        for attribute in obj.blindspot_attributes(context=setup) or []:
            if isinstance(attribute, BlindspotAttribute):
                computes.append((attribute.compute, [attribute.spec.name]))
    groups = [(fn, [f for f in own if f in fields]) for fn, own in computes]
    groups = [(fn, wanted) for fn, wanted in groups if wanted]
    missing = set(fields) - {f for _, wanted in groups for f in wanted}
    if missing:
        raise PluginError(f"plugin {plugin} no longer provides {', '.join(sorted(missing))}")
    return groups


def _run(
    groups: list[tuple[Callable[..., Any], list[str]]],
    context: SampleFieldsContext,
    reports: queue.Queue[tuple[str, Any]],
) -> None:
    try:
        values: dict[str, Any] = {}
        for compute, wanted in groups:
            result = compute(context=replace(context, fields=wanted))
            if not isinstance(result, Mapping):
                raise TypeError("compute must return a mapping of field -> values")
            values.update({name: result.get(name) for name in wanted})
        reports.put(("done", values))
    except BaseException as exc:  # reported to the server as this plugin's failure
        reports.put(("error", f"{type(exc).__name__}: {exc}"))


def check_values(
    values: Any, fields: list[str], kinds: dict[str, str], n: int, plugin: str
) -> dict[str, list[Any]]:
    """The values of one chunk as plain lists, or :class:`PluginError` saying what is wrong."""
    if not isinstance(values, Mapping):
        raise PluginError(f"plugin {plugin}: compute must return a mapping of field -> values")
    out: dict[str, list[Any]] = {}
    for name in fields:
        column = values.get(name)
        if not isinstance(column, Sequence) or isinstance(column, (str, bytes)):
            raise PluginError(f"plugin {plugin}: compute returned no list of values for {name!r}")
        if len(column) != n:
            raise PluginError(f"plugin {plugin}: {len(column)} values of {name!r} for {n} samples")
        if kinds[name] == NUMERIC:
            out[name] = [_as_float(v, name, plugin) for v in column]
        else:
            out[name] = [None if v is None else str(v) for v in column]
    return out


def _as_float(value: Any, name: str, plugin: str) -> float:
    if value is None:
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        raise PluginError(f"plugin {plugin}: {name!r} is numeric, got {value!r}") from None
