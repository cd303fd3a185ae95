"""Job glue of the blind-spot finder: attributes when missing, the engine, the agent."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..catalog import Catalog
    from ..jobs.manager import JobContext
    from ..vectors import VectorStore

THUMBNAILS_DIR = "thumbnails"


def blind_spots_run(
    catalog: Catalog,
    dataset: str,
    model: str,
    *,
    min_n: int = 50,
    fdr: float = 0.05,
    agent: bool = False,
    space: str | None = None,
    clusters: int = 8,
    store: VectorStore | None = None,
    job: JobContext | None = None,
    vlm_threshold: float | None = None,
) -> dict[str, Any]:
    """Measure the attributes if the dataset has none yet, then find ``model``'s blind spots.

    With ``space`` (and the ``store`` holding it) the images are first clustered by their
    vectors there (``clusters`` k-means clusters), so the engine can slice by cluster.

    With ``agent`` and a language model configured (:mod:`visionlens_jlab.blindspots.agent`),
    the agent explores with the engine's tools and words the findings; without one the
    engine's findings come with templated wording (``"agent": "none"`` in the result).
    Worker processes measure pixels; this (server) process alone writes the catalog.
    ``vlm_threshold`` (the server's ``vlm_attributes`` setting on): the engine also slices
    by the VLM attributes calibrated usable at that kappa.
    """
    from ..catalog.extensions.measured import has_attributes
    from . import compute_attributes, find_blind_spots
    from .api import validate_options

    validate_options(min_n, fdr)

    def progress(fraction: float, message: str) -> None:
        if job is not None:
            job.check_cancelled()
            job.progress(fraction, message)

    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
    measured: dict[str, Any] | None = None  # this run's attribute summary (skip counts)
    if not has_attributes(catalog, dataset_id):
        measured = compute_attributes(
            catalog,
            dataset,
            str(catalog.data_dir / THUMBNAILS_DIR),
            job=job,
            progress=lambda f, m: progress(0.7 * f, m),
        )
    if space is not None:
        from .clusters import cluster_embeddings

        if store is None:
            raise ValueError("clustering a vector space needs the vector store")
        progress(0.7, f"clustering the vectors of {space}")
        cluster_embeddings(catalog, store, dataset, space, k=clusters)
    progress(0.75, "testing slices")
    result: dict[str, Any] | None = None
    if agent:
        from .agent import agent_settings, run_agent

        settings = agent_settings()
        if settings is not None:
            result = run_agent(
                catalog, dataset, model, settings, min_n=min_n, fdr=fdr, vlm_threshold=vlm_threshold
            )
    if result is None:
        result = find_blind_spots(
            catalog, dataset, model, min_n=min_n, fdr=fdr, vlm_threshold=vlm_threshold
        )
        result["agent"] = "none"
    if measured is not None:  # images refused or with impossible names were not measured
        result["attributes"] = measured
    progress(1.0, "done")
    return result
