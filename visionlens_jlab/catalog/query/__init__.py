"""Floor 3: the filter model and its compilation to parameterized SQL. Imports the floors below."""
