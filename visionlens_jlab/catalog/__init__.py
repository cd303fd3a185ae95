"""The DuckDB catalog: schema, the single writer, filters and read queries."""

from .catalog import Catalog, validate_name
from .errors import (
    CatalogBusyError,
    CatalogError,
    CatalogLockedError,
    ConflictError,
    DiskFullError,
    NotFoundError,
)
from .filters import FilterError, compile_filter
from .schema import GROUND_TRUTH

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
    "compile_filter",
    "validate_name",
]
