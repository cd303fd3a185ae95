"""Floor 9: the read API the handlers, CLI and notebook call (pages, counts, facets, exports). Imports the floors below."""
