"""Models as jobs: detectors and captioners through transformers, run on a dataset or a view.

:mod:`.base` (options, errors), :mod:`.loading` (offline loading), :mod:`.stream` (the
computation, in a worker), :mod:`.job` (plan, resume, chunked writes), :mod:`.service`
(the server's jobs).
"""
