"""Floor 10: the writers of datasets, predictions and label edits; each describes its change to the registry of derived structures (`derived`). Imports the floors below."""
