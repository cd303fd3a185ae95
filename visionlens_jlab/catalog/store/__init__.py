"""Floor 1: the DuckDB file, its schema, the single writer, read cancellation and caches. Imports only `base`."""
