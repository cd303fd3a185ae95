"""The traitlets config of the VisionLens server extension: every option a user sets as
``c.VisionLensApp.<name>`` (jupyter_server_config.py, or ``--VisionLensApp.<name>=``).

:class:`VisionLensAppConfig` only declares them; :class:`~visionlens_jlab.app.VisionLensApp`
inherits them and reads them when it starts. It is a plain ``HasTraits`` (not a
``Configurable``), so the options keep one config section: ``VisionLensApp``.
"""

from __future__ import annotations

from traitlets import Bool, CaselessStrEnum, Dict, Float, HasTraits, Integer, List, Unicode

from .catalog.store.catalog import SERVER_MEMORY_LIMIT
from .catalog.writes.ingest_limits import DEFAULT_MAX_CATEGORIES, DEFAULT_MAX_LABELS_PER_IMAGE
from .config import DATA_DIR_ENV
from .jobs.manager import DEFAULT_MAX_JOB_SECONDS
from .worker_priority import DEFAULT_NICE


class VisionLensAppConfig(HasTraits):
    """The options of :class:`~visionlens_jlab.app.VisionLensApp`, with their defaults."""

    data_dir = Unicode(
        "",
        config=True,
        help=(
            "Directory holding the DuckDB catalog, the vector store and the thumbnail cache. "
            f"Default: ${DATA_DIR_ENV}, else $XDG_DATA_HOME/visionlens."
        ),
    )
    job_workers = Integer(
        2, config=True, help="Background jobs (ingest, thumbnails, evaluation) run at once."
    )
    request_threads = Integer(
        0,
        config=True,
        help=(
            "Threads that run the REST handlers' catalog queries, job reads and JSON encoding "
            "off the event loop. 0 (default): the number of CPU cores + 1 (3 on 2 cores); more "
            "threads than cores only contend for the GIL with the event loop."
        ),
    )
    max_request_seconds = Float(
        300.0,
        config=True,
        help=(
            "Longest a REST request's catalog reads may run, in seconds: past it they are "
            "stopped and the request answers 503 saying so, so one costly filter cannot hold "
            "a request thread (there are few) for ever. Jobs have their own bound "
            "(max_job_seconds). 0: no bound."
        ),
    )
    catalog_threads = Integer(
        0,
        config=True,
        help=(
            "DuckDB's threads for the catalog's queries. 0 (default): one per core, DuckDB's own "
            "default (browsing at 1M images needs both cores of a small machine; DuckDB's threads "
            "do not hold the GIL, and job workers run at a lower priority, see worker_nice)."
        ),
    )
    worker_nice = Integer(
        DEFAULT_NICE,
        config=True,
        help="Niceness job workers and job kernels add to their own (0: none); see worker_priority.",
    )
    worker_threads = Integer(
        0, config=True, help="Torch CPU threads in a job worker. 0: every core but one (min 1)."
    )
    catalog_memory_limit = Unicode(
        SERVER_MEMORY_LIMIT,
        config=True,
        help=(
            "DuckDB's memory limit for the catalog, fixed while the server runs (e.g. '1GB'); "
            "concurrent reads and ingests share it, larger queries spill to disk."
        ),
    )
    thumbnail_cache_mb = Integer(
        2048, config=True, help="Size cap of the on-disk thumbnail cache, in MiB."
    )
    answers_cache_mb = Integer(
        64,
        config=True,
        help=(
            "Memory cap, in MiB, of the cached answers of samples pages, counts and facets "
            "(keyed by the compiled filter, dropped by any write to the catalog; least "
            "recently used first out). 0: off."
        ),
    )
    search_cache_mb = Integer(
        1024,
        config=True,
        help=(
            "Memory cap, in MiB, of the vectors similarity search keeps in memory (embedded "
            "store only): a dataset's vectors in a space are read once into a float32 matrix "
            "(100K x 512-d: 200 MiB) and searched exactly in numpy until the next write. "
            "Least recently used first out; a dataset that does not fit is searched in the "
            "store. 0: off."
        ),
    )
    qdrant_url = Unicode(
        "",
        config=True,
        help=(
            "URL of a Qdrant server/cluster for the vectors. Default: $VISIONLENS_QDRANT_URL, "
            "else an embedded Qdrant Edge shard in the data directory."
        ),
    )
    qdrant_api_key = Unicode("", config=True, help="API key of the Qdrant server, if any.")
    vector_store_process = Bool(
        True,
        config=True,
        help=(
            "Run the embedded Qdrant Edge store in a child process of the server (started on "
            "first use, restarted if it dies): every Edge call holds the GIL of its process "
            "for its whole duration (up to ~200 ms for an upsert or a flush), which would "
            "otherwise stall the server's event loop and requests. False: in the server."
        ),
    )
    embedding_checkpoint = Unicode(
        "",
        config=True,
        help=(
            "Local open_clip checkpoint (weights file, or a folder with open_clip_config.json) "
            "used by default for embeddings, for machines that cannot download weights. "
            "Default: $VISIONLENS_EMBEDDING_CHECKPOINT."
        ),
    )
    ray_address = Unicode(
        "",
        config=True,
        help=(
            "Ray cluster of embedding and model jobs run with the runner 'ray' (no address given): "
            "HOST:PORT of a cluster this machine is a node of, or ray://HOST:PORT (Ray "
            "Client). Default: $RAY_ADDRESS. See docs/deploy/ray.md."
        ),
    )
    ray_idle_timeout_s = Float(
        600.0,
        config=True,
        help=(
            "Seconds the server keeps its Ray driver connected, and the last model's actors "
            "loaded on the cluster (holding their GPUs), after a ray job: the next job of the "
            "same model and settings then starts at once. 0 releases them after each job."
        ),
    )
    model_worker_idle_s = Float(
        120.0,
        config=True,
        help=(
            "Seconds a model job's worker process (the process runner) stays after its job, "
            "with its model loaded: the next job of the same model and settings then starts "
            "without a process start, torch's import, CUDA's start-up and the model's load. "
            "Each idle worker holds its model's memory (and GPU memory) meanwhile. 0 ends "
            "each worker with its job."
        ),
    )
    ray_warm_model = Unicode(
        "",
        config=True,
        help=(
            "An embedding model (as the embed dialog names it, e.g. ViT-B-32 or "
            "builtin-color-gradient) the server loads on the Ray cluster's actors "
            "(ray_address) as soon as it starts, so the first ray embedding job of that "
            "model with the default device and dtype starts at once instead of connecting "
            "and loading first. The actors hold their GPUs until ray_idle_timeout_s passes "
            "without a job. Empty: nothing runs on the cluster before the first ray job."
        ),
    )
    gcs_timeout_s = Float(
        10.0,
        config=True,
        help=(
            "Seconds per Google Cloud Storage request; a read retries 5xx answers and "
            "timeouts for twice this long, then the grid shows an 'unavailable' placeholder."
        ),
    )
    gc_freeze = Bool(
        True,
        config=True,
        help=(
            "Once the server runs, move the objects that exist then (its imported modules, "
            "~260K objects) out of the cyclic garbage collector's reach (gc.freeze): a full "
            "collection otherwise walks them all while holding the GIL, stalling the event "
            "loop and every request for hundreds of ms under load."
        ),
    )
    loop_lag_probe_ms = Integer(
        0,
        config=True,
        help=(
            "Debug: measure the event loop's lag every this many ms and serve the samples at "
            "visionlens/api/debug/loop-lag (the load benchmark reads them). 0: off."
        ),
    )
    allowed_roots = List(
        Unicode(),
        config=True,
        help=(
            "Local folders or gs://bucket/prefix locations the server may ingest from "
            "(annotation sources and image folders) and export to (local folders). Empty (default): no restriction, as on "
            "a laptop. On a shared hub, e.g. ['~', '/srv/datasets']. An item written as a "
            'JSON list in a string (\'["/a", "/b"]\', as a JSON config file may hold it) '
            "is read as that list, with a warning at start."
        ),
    )

    max_categories = Integer(
        DEFAULT_MAX_CATEGORIES,
        config=True,
        help=(
            "Most classes one ingested dataset may declare; a source with more is refused "
            "with an error (a COCO file of a million categories would otherwise load every "
            "class list with them). 0: no bound."
        ),
    )
    max_labels_per_image = Integer(
        DEFAULT_MAX_LABELS_PER_IMAGE,
        config=True,
        help=(
            "Most labels (objects and image labels) one image of an ingested dataset may "
            "have, and most predictions one image may get from an imported prediction set; "
            "a source with more is refused with an error naming the image. 0: no bound."
        ),
    )

    max_job_seconds = Float(
        DEFAULT_MAX_JOB_SECONDS,
        config=True,
        help=(
            "Longest a background job (ingest, export, embeddings, model runs, evaluation) "
            "may run, in seconds, time spent queued or paused not counted; a job past it is "
            "stopped as a cancel would stop it, and fails saying so. Jobs that resume "
            "(embeddings, predictions, captions) continue where they stopped when started "
            "again. 0: no bound."
        ),
    )

    plugin_folder = CaselessStrEnum(
        ["auto", "on", "off"],
        "auto",
        config=True,
        help=(
            "Load plugins from <data_dir>/plugins/*.py. auto: on, except in a JupyterHub "
            "single-user server (there only plugins installed in the server's environment "
            "load, through the 'visionlens.plugins' entry points)."
        ),
    )
    plugin_settings = Dict(
        config=True,
        help="Settings handed to each plugin's hooks: {plugin name: {key: value}}.",
    )
    disabled_plugins = List(
        Unicode(), config=True, help="Names of plugins not to load (listed as 'disabled')."
    )
    plugin_timeout_s = Float(
        60.0,
        config=True,
        help="Time limit of one plugin hook call (a chunk of samples for sample fields).",
    )
    vlm_attributes = Bool(
        False,
        config=True,
        help=(
            "Let the blind-spot finder slice by VLM attributes (computed.vlm_<question>, "
            "written by 'visionlens predict --task vlm'), those calibrated usable only."
        ),
    )
    segment_cache_mb = Integer(
        512,
        config=True,
        help=(
            "Memory cap, in MiB, of the image embeddings click-to-mask keeps (a SAM embedding "
            "is 4 MiB): an image embedded once is clicked on with the prompt encoder and mask "
            "decoder only. Least recently used first out."
        ),
    )
    vlm_kappa_threshold = Float(
        0.6,
        config=True,
        help=(
            "Cohen's kappa a VLM attribute needs against the measured attributes and the "
            "user's labels (GET .../vlm/calibration) before it counts."
        ),
    )
