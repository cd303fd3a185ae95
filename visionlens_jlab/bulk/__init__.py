"""Bulk operations on a view of a dataset: a view copied into a new dataset (subset)."""
