"""The plugin author's API (version 1.0): what a plugin declares and what its hooks receive.

A plugin is an object (an instance, a class or a module) with three attributes and any of
the hook methods of :data:`HOOKS`::

    class BlurPlugin:
        name = "blur"
        version = "0.1.0"
        api_version = "1.0"

        def sample_fields(self, *, context: SetupContext) -> SampleFieldProvider: ...

Every hook takes ONE keyword-only argument, ``context``: a dataclass to which later API
minor versions only ever add fields, so a plugin written against 1.0 keeps working under
1.x. Contexts give a plugin what it may use (sample rows, image bytes and thumbnails,
progress, its own settings), never the catalog's database connection or the server's
tokens.

This module imports neither the catalog nor DuckDB: plugins also run in parse and worker
processes, which must stay free of both.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..embed.base import Embedder, l2_normalise
from ..embed.decode import InputSpec
from ..ingest.base import AnnotationRows, ParsedBase, SampleRows
from ..ingest.images import image_size, join_location
from ..records.batches import Batch
from ..records.parsed import ParsedSource
from ..records.report import IngestError, IngestReport

API_VERSION = "1.0"
"""The plugin API version this release implements (``major.minor``)."""
SUPPORTED_API_VERSIONS = ("1",)
"""Major versions a plugin may declare; any minor up to :data:`API_VERSION`'s is accepted."""
HOOKS = ("sample_fields", "ingest_formats", "embedders", "blindspot_attributes", "agent_tools")
"""The hook methods of API 1.0, in the order the plugins list shows them."""
NUMERIC, CATEGORICAL = "numeric", "categorical"

__all__ = [
    "API_VERSION",
    "CATEGORICAL",
    "HOOKS",
    "NUMERIC",
    "SUPPORTED_API_VERSIONS",
    "AgentTool",
    "AnnotationRows",
    "Batch",
    "BlindspotAttribute",
    "Embedder",
    "EmbedderModel",
    "FieldSpec",
    "IngestError",
    "IngestFormat",
    "IngestFormatContext",
    "IngestReport",
    "InputSpec",
    "ParsedBase",
    "ParsedSource",
    "SampleFieldProvider",
    "SampleFieldsContext",
    "SampleRow",
    "SampleRows",
    "SetupContext",
    "image_size",
    "join_location",
    "l2_normalise",
]


@dataclass(frozen=True)
class SetupContext:
    """What every declaring hook receives (``sample_fields``, ``ingest_formats``, ...)."""

    settings: Mapping[str, Any] = field(default_factory=dict)
    """This plugin's own settings (``VisionLensApp.plugin_settings[<name>]``)."""
    api_version: str = API_VERSION
    """The API version of the running VisionLens (``major.minor``)."""


# --------------------------------------------------------------------------- sample fields


@dataclass(frozen=True)
class FieldSpec:
    """A per-sample field a plugin computes; stored as ``computed.<name>``."""

    name: str
    """A lowercase identifier (``[a-z][a-z0-9_]*``, at most 64 characters)."""
    kind: str
    """:data:`NUMERIC` (floats; NaN or None: no value) or :data:`CATEGORICAL` (strings)."""
    description: str = ""


@dataclass(frozen=True)
class SampleRow:
    """One sample as a plugin reads it."""

    sample_id: int
    file_name: str
    """As the annotation source wrote it."""
    location: str
    """Absolute path or ``gs://`` URL of the image."""
    width: int | None
    height: int | None


@dataclass(frozen=True)
class SampleFieldsContext:
    """What a ``SampleFieldProvider.compute`` call receives: one chunk of samples."""

    samples: Sequence[SampleRow]
    fields: Sequence[str]
    """The names of the fields asked for (a subset of the provider's)."""
    settings: Mapping[str, Any]
    read_image: Callable[[SampleRow], bytes]
    """The encoded bytes of a sample's image (local or GCS), through the media layer."""
    thumbnail: Callable[[SampleRow, int], bytes]
    """A JPEG thumbnail of the sample with the given longest side, EXIF-rotated."""
    progress: Callable[[int], None]
    """Report how many samples of this chunk are done (shown on the job)."""
    dataset: str = ""
    """The dataset's name."""


@dataclass(frozen=True)
class SampleFieldProvider:
    """What the ``sample_fields`` hook returns: the fields and the function computing them.

    ``compute(*, context: SampleFieldsContext)`` returns ``{field name: values}``, one
    value per ``context.samples`` in order, for every name of ``context.fields``. It runs
    in a worker process, one chunk of samples per call, under the plugin time limit.
    """

    fields: Sequence[FieldSpec]
    """The fields; names are global: two plugins may not declare the same one."""
    compute: Callable[..., Mapping[str, Sequence[Any]]]
    """``compute(*, context: SampleFieldsContext) -> {field: values}``."""


# --------------------------------------------------------------------------- ingest formats


@dataclass(frozen=True)
class IngestFormatContext:
    """What an ``IngestFormat.open`` call receives: what the user asked to ingest."""

    source: str
    """The file or folder the user named (``~`` expanded)."""
    images: str | None = None
    """The images folder (local or ``gs://``) when given, else the format's default."""
    split: str | None = None
    """The split to ingest or to give every sample, when given."""


@dataclass(frozen=True)
class IngestFormat:
    """An annotation format; auto-detection asks ``detect`` when no built-in format fits.

    ``detect(path) -> bool`` must be cheap and never raise for foreign files;
    ``open(*, context: IngestFormatContext) -> ParsedSource`` returns a parser (subclass
    :class:`ParsedBase`, fill :class:`SampleRows` / :class:`AnnotationRows`, count every
    skipped record in ``self.report``). Parsers must not import the catalog.
    """

    name: str
    """The format's name (``--format NAME``, the dataset's ``format``), e.g. ``csv-boxes``."""
    detect: Callable[[str], bool]
    """Whether a path is in this format (asked only when no built-in format fits)."""
    open: Callable[..., ParsedSource]
    """``open(*, context: IngestFormatContext)``: the parser of the source."""
    description: str = ""


# --------------------------------------------------------------------------- other hooks


@dataclass(frozen=True)
class EmbedderModel:
    """A model for the embeddings job (``embedders`` hook): ``load()`` returns an object with
    the :class:`~visionlens_jlab.embed.base.Embedder` interface (subclass it; name it ``name``,
    give it ``dim``, ``input_spec`` and ``embed_images``)."""

    name: str
    """The model name users pass (``--model NAME``); it names the vector space too."""
    dim: int
    """The vectors' dimension; the loaded embedder must have the same ``dim``."""
    load: Callable[[], Any]
    """Builds the embedder; runs in the embedding worker process, not in the server."""
    description: str = ""
    text: bool = False
    """Whether the loaded model embeds text too (text search)."""


@dataclass(frozen=True)
class BlindspotAttribute:
    """A per-image attribute (``blindspot_attributes`` hook) the blind-spot search slices by:
    ``compute(*, context: SampleFieldsContext)`` as for sample fields, one field."""

    spec: FieldSpec
    """The field, stored as ``computed.<name>`` and sliced by as an image attribute."""
    compute: Callable[..., Mapping[str, Sequence[Any]]]
    """``compute(*, context: SampleFieldsContext) -> {spec.name: values}``."""


@dataclass(frozen=True)
class AgentTool:
    """A tool function the blind-spot agent may call (``agent_tools`` hook); its signature
    and docstring are what the model sees (pydantic-ai ``Tool`` rules)."""

    name: str
    """The tool's name as the model sees it."""
    function: Callable[..., Any]
    """A plain function of JSON-able arguments (no engine access); an exception it
    raises is answered to the model as ``{"error": ...}``."""
    description: str = ""
