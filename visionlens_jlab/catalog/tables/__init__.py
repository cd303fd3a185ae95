"""Floor 2: per-sample tables derived from labels (box summaries, the field index) and their SQL refreshes. Imports `base` and `store`."""
