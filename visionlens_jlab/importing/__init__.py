"""Ingest as a job: the parse worker process (parsers only, no DuckDB) and the server-side job
that streams its batches into the catalog writer."""
