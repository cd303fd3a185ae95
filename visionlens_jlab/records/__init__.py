"""What parsers yield and the catalog writes: Arrow batches of samples and annotations, the
parsed source, the validation report, a mask in the form the catalog stores. Imports
nothing of the package but itself, so the parse side (spawned workers) and the catalog
can both use it."""
