"""Example VisionLens lab-extension plugin, shipped as a prebuilt JupyterLab extension."""


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    """Where JupyterLab finds the prebuilt extension (for ``jupyter labextension develop``)."""
    return [{"src": "labextension", "dest": "visionlens-overlay-example"}]
