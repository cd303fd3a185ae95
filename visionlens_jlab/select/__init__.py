"""Choosing what to label next: selection strategies over any view (issue #49)."""
