"""Label quality: which ground-truth and predicted boxes are likely wrong, and how.

Every object of a dataset is scored against one model's predictions for four issue types
(overlooked, swapped, badly located, spurious; :mod:`.scores`), every image by a soft-min of
its objects. Image-level labels (classification) are scored by the model's probability of
the given label (:mod:`.classification`). Importing this package registers the label-quality
tables (migration step 11) and the ``computed.lq_*`` sample fields with the catalog
(:mod:`.store`, :mod:`.classification`).
"""

from . import classification, label_filter, store
from .scores import DEFAULT_THRESHOLDS, ISSUES, LabelQuality, score_labels
from .store import stored

store.install()
label_filter.install()
classification.install()

__all__ = ["DEFAULT_THRESHOLDS", "ISSUES", "LabelQuality", "score_labels", "stored"]
