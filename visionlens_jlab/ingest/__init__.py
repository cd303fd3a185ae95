"""Streaming parsers for COCO, YOLO and Pascal VOC, predictions, and the atomic writer."""
