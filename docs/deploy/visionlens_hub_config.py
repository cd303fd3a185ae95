"""VisionLens settings for a JupyterHub (a ``jupyterhub_config.py`` fragment).

The Littlest JupyterHub: copy to ``/opt/tljh/config/jupyterhub_config.d/visionlens.py`` and
run ``sudo tljh-config reload hub``. Any other hub: ``load_subconfig("visionlens_hub_config.py")``
from ``jupyterhub_config.py``. Zero-to-JupyterHub: put the same lines under
``hub.extraConfig.visionlens`` in the Helm values (see docs/deploy-jupyterhub.md).

The project's JupyterHub tests load this very file (tests/hub/jupyterhub_config.py).
"""

import os

c = get_config()  # type: ignore[name-defined]  # noqa: F821  (provided by JupyterHub)

# Where the datasets that every user may ingest live (read-only is fine), besides each
# user's home. Outside these folders an ingest is refused with 403.
SHARED_DATASETS = os.environ.get("VISIONLENS_SHARED_DATASETS", "/srv/datasets")


def visionlens_data_dir(spawner):  # type: ignore[no-untyped-def]
    """Each single-user server owns one catalog: DuckDB allows one writing process per file,
    so a named server gets its own folder beside the default server's. ``~`` is the user's
    home inside the user's server (on Zero-to-JupyterHub, the persistent volume)."""
    return f"~/.local/share/visionlens/{spawner.name or 'default'}"


c.Spawner.environment.update(
    {
        # A callable: JupyterHub calls it with the spawner for every server it starts.
        "VISIONLENS_DATA_DIR": visionlens_data_dir,
        # A shared Qdrant server once users outgrow the embedded store (default: none):
        # "VISIONLENS_QDRANT_URL": "http://qdrant.visionlens.svc:6333",
    }
)

c.Spawner.args.extend(
    [
        "--VisionLensApp.allowed_roots=~",
        f"--VisionLensApp.allowed_roots={SHARED_DATASETS}",
        # Thumbnails are a cache: bound it by the space each user's volume can spare.
        "--VisionLensApp.thumbnail_cache_mb=1024",
        # Background jobs (ingest, thumbnails, evaluation) per user server.
        "--VisionLensApp.job_workers=2",
    ]
)

# A server whose user ingests or embeds keeps its job alive: VisionLens reports running
# jobs as activity, so an idle culler (jupyterhub-idle-culler) only stops servers that
# are really idle. Report activity to the hub every minute instead of every 5 minutes.
c.Spawner.environment.update({"JUPYTERHUB_ACTIVITY_INTERVAL": "60"})
