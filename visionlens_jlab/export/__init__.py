"""Export a view of a dataset to COCO, YOLO, Pascal VOC, a classification tree or Parquet.

One layer: it reads the catalog through its export queries and writes files; it never
writes the catalog.
"""

from .check import FORMATS, check_export
from .destination import OutNotAllowedError
from .errors import ExportError
from .run import ExportProgress, ExportResult, export_view

__all__ = [
    "FORMATS",
    "ExportError",
    "ExportProgress",
    "ExportResult",
    "OutNotAllowedError",
    "check_export",
    "export_view",
]
