"""Search defaults and limits (import-light: the CLI's argument parser reads them)."""

DEFAULT_K = 50
MAX_IMAGE_BYTES = 20 * 2**20
"""Largest uploaded query image (bytes of the encoded file)."""
