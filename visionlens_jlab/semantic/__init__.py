"""Semantic segmentation: per-pixel class masks (PNG label maps) as an image-level label
kind, their layouts (VOC ``SegmentationClass``, a CVAT / Datumaro export's RGB masks in its
``labelmap.txt`` colours, Cityscapes ``gtFine``, ADE20K, a folder of masks), and their evaluation (pixel accuracy, per-class IoU, mIoU, frequency-weighted IoU,
the confusion matrix and boundary IoU)."""
