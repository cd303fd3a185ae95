"""The worker-process side of an ingest job, kept apart so the worker imports little: the
parsers, never DuckDB or the catalog (``tests/test_layers.py`` checks)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any


def parse_items(
    kind: str, options: dict[str, Any], roots: Sequence[str] = ()
) -> Iterator[tuple[str, Any]]:
    """Open the source and yield ``meta`` (the parsed source's fields), every ``batch``,
    then ``end``. With ``roots`` (the server's ``allowed_roots``), every file the parsers
    open or list must lie inside them, whatever file named it
    (:func:`~..ingest.allowed_roots.confine_reads`)."""
    from ..ingest.allowed_roots import confine_reads
    from ..ingest.open import open_dataset, open_predictions
    from ..records.batches import without_pandas
    from ..records.parsed import feature_rows_of

    if roots:
        from ..plugins.registry import default_registry

        # the server's plugins (its data folder: outside the roots) load before the
        # confinement; only what the source names is confined
        default_registry()
    # this worker process parses this one source, then ends; the folder of frame indexes
    # is the server's own, written for it (ingest/video_folder.probe_location)
    own = [options["video_index"]] if options.get("video_index") else []
    confine_reads(roots, own)

    with without_pandas():  # this process only parses: pyarrow would import it for nothing
        parsed = open_dataset(**options) if kind == "dataset" else open_predictions(**options)
        yield (
            "meta",
            {
                "format": parsed.format,
                "source": parsed.source,
                "media_root": parsed.media_root,
                "json_checked": parsed.json_checked,
            },
        )
        for batch in parsed.batches():
            yield "batch", batch
        yield (
            "end",
            {
                "categories": parsed.categories(),
                "report": parsed.report.to_dict(),
                "feature_rows": feature_rows_of(parsed),  # Arrow tables pickle cheaply
            },
        )
