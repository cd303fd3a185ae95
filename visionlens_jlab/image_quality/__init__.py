"""Image quality: cleanvision's issue types (dark, light, blurry, low information, odd aspect
ratio, odd size, grayscale) scored from the thumbnail cache, stored as computed sample fields.

:mod:`.manifest` declares the fields (``computed.quality_<issue>_score`` and
``computed.is_<issue>_issue``) when imported (:mod:`visionlens_jlab.features` does);
:func:`~.job.run_image_quality` computes them. This package's own import stays light: the
worker processes import :mod:`.measure` alone, not the catalog.
"""

from .scores import ISSUES

__all__ = ["ISSUES"]
