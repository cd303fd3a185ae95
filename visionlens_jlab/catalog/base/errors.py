"""The catalog's errors: each carries a message meant for the user."""

from __future__ import annotations


class CatalogError(Exception):
    """A catalog operation that cannot be done, with a message meant for the user."""


class CatalogLockedError(CatalogError):
    """Another process (usually a running Jupyter server) holds the catalog file."""


class ConflictError(CatalogError):
    """The thing to create exists already."""


class NotFoundError(CatalogError):
    """A dataset, sample or model that does not exist."""


class CatalogBusyError(CatalogError):
    """A read that ran out of DuckDB memory; transient (HTTP 503)."""


class DiskFullError(CatalogError):
    """The disk holding the catalog is full; the failed write was rolled back."""


class WriteCancelled(CatalogError):
    """A write stopped because its caller was cancelled (a job); it was rolled back."""
