"""Click-to-mask: a promptable segmentation model (SAM through transformers) kept warm in
the server, each image's embedding computed once and cached, each click only the prompt
encoder and the mask decoder.

:mod:`.prompts` (clicks and a box, checked against the image), :mod:`.masks` (a mask as
COCO RLE), :mod:`.engine` (the model, the embedding cache, one click), :mod:`.host` (the
model's own thread: clicks first, prefetched embeddings behind them), :mod:`.service` (what
the REST handlers call: a sample's image, clicks and prefetches), :mod:`.box_job` (the
box-to-mask job: a mask for every box of a view, as a new prediction set) and
:mod:`.box_service` (that job on the server's GPU lane), :mod:`.precision` and
:mod:`.encoder_copy` (that job's image encoder in bf16, a copy of the encoder alone).
"""
