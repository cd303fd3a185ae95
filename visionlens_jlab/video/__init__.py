"""Video: what a video file is (probe), where one of its frames is (locator), and reading
frame N as the N-th decoded frame of the file.

Frames number from 1 everywhere inside VisionLens (FiftyOne's ``frame_number``, MOT's
convention); CVAT's 0-based frames are converted at its parser and exporter.
"""
