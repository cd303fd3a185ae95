"""Floor 7: picks, per condition, an index, a summary or SQL for pages, sorted pages and facets. Imports the floors below."""
