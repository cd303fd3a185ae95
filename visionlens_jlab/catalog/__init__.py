"""The DuckDB catalog: schema, the single writer, filters and read queries."""

from .base.errors import (
    CatalogBusyError,
    CatalogError,
    CatalogLockedError,
    ConflictError,
    DiskFullError,
    NotFoundError,
    WriteCancelled,
)
from .query.filters import FilterError, compile_filter
from .store.catalog import Catalog, validate_name
from .store.schema import GROUND_TRUTH

__all__ = [
    "GROUND_TRUTH",
    "Catalog",
    "CatalogBusyError",
    "CatalogError",
    "CatalogLockedError",
    "ConflictError",
    "DiskFullError",
    "FilterError",
    "NotFoundError",
    "WriteCancelled",
    "compile_filter",
    "validate_name",
]
