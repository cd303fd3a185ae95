"""Image quality: cleanvision's issue types (dark, light, blurry, low information, odd aspect
ratio, odd size, grayscale) scored from the thumbnail cache, stored as computed sample fields.

Importing this package registers the fields (``computed.quality_<issue>_score`` and
``computed.is_<issue>_issue``); :func:`~.job.run_image_quality` computes them.
"""

from .fields import install
from .scores import ISSUES

install()

__all__ = ["ISSUES"]
