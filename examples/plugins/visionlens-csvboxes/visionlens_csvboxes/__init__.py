"""VisionLens example plugin: a CSV of boxes as an ingest format (see ``plugin.py``)."""

from .plugin import COLUMNS, CsvBoxesPlugin, CsvBoxesSource, looks_like_csv_boxes

__all__ = ["COLUMNS", "CsvBoxesPlugin", "CsvBoxesSource", "looks_like_csv_boxes"]
