"""The notebook API: datasets as DataFrames and a live link to the JupyterLab panels.

    import visionlens_jlab as vl
    vl.datasets()                      # DataFrame of datasets
    ds = vl.dataset("coco-val")
    ds.samples(filter={...})           # DataFrame of samples
    ds.annotations(source="ground_truth")
    session = vl.open(ds)              # the grid opens in JupyterLab
    session.selected, session.selection(), session.select(...), session.filter(...)

The kernel reaches the server through its REST API (Arrow IPC for tables) using the URL and
token the server extension put into the kernel's environment; see :func:`connect`.
"""

from ..rest_client import VisionLensError
from .connection import connect
from .dataset import Dataset, dataset, datasets
from .session import Session, open

__all__ = ["Dataset", "Session", "VisionLensError", "connect", "dataset", "datasets", "open"]
