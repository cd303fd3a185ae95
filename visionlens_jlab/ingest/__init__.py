"""The parse side of ingest: format parsers (COCO, YOLO, Pascal VOC, txt), predictions and
the validation report. Nothing here imports the catalog (its writer is
:mod:`visionlens_jlab.catalog.writes.dataset_writer`, the job glue is in :mod:`visionlens_jlab.jobs`),
and DuckDB is imported only when the COCO SQL path runs."""
