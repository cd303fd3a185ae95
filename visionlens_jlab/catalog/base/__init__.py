"""Floor 0 of the catalog: errors and pure numpy bit counting. Imports nothing of the catalog."""
