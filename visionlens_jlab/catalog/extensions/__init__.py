"""Floor 8: feature tables that plug into filters and facets (computed and measured fields), the manifest features declare, and the map fields they count. Imports the floors below."""
