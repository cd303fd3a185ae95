"""Label quality: which ground-truth and predicted boxes are likely wrong, and how.

Every object of a dataset is scored against one model's predictions for four issue types
(overlooked, swapped, badly located, spurious; :mod:`.scores`), every image by a soft-min of
its objects. Image-level labels (classification) are scored by the model's probability of
the given label (:mod:`.classification`). Importing this package installs its catalog
manifest (:mod:`.manifest`): the label-quality tables (migration step 11), the reads the
catalog makes of them, the ``label_quality`` label filter and the ``computed.lq_*`` fields.
"""

from .manifest import MANIFEST
from .scores import DEFAULT_THRESHOLDS, ISSUES, LabelQuality, score_labels
from .store import stored

__all__ = ["MANIFEST", "DEFAULT_THRESHOLDS", "ISSUES", "LabelQuality", "score_labels", "stored"]
