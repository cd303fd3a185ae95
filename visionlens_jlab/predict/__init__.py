"""Models as jobs: detectors and captioners through transformers (and torchvision
detectors), run on a dataset or a view.

:mod:`.base` (options, errors), :mod:`.tasks` (one declaration per task, and their
registry), :mod:`.loading` (offline loading; torchvision's in :mod:`.torchvision_detect`),
:mod:`.stream` (the computation, in a worker or a kernel), :mod:`.job` (plan, resume),
:mod:`.writers` (chunked writes, per kind of result), :mod:`.service` (the server's jobs and runners),
:mod:`.kernel_client` and :mod:`.wire` (the kernel runner's side and its messages).
"""
