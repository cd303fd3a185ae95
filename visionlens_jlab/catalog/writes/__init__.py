"""Floor 9: the writer of datasets and predictions. Imports the floors below."""
