"""The self-generated demo dataset: drawn shapes, COCO ground truth, a simulated detector.

``generate_demo`` writes the files (pure: no catalog); ``ingest_demo`` loads them into a
catalog. See ``docs/demo.md`` for the blind spots the simulated model has on purpose.
"""

from .generator import DemoFiles, existing_demo, generate_demo

__all__ = ["DemoFiles", "existing_demo", "generate_demo"]
