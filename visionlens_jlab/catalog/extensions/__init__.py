"""Floor 8: feature tables that plug into filters and facets (computed and measured fields, maps). Imports the floors below."""
