"""The server jobs a notebook starts on a dataset and waits for with a progress bar:
``ds.embed(...)``, ``ds.export(...)``, ``ds.subset(...)``, ``ds.merge(...)``,
``ds.predict(...)``. Interrupting the cell cancels the job; the server alone writes the
catalog."""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Mapping
from typing import Any

from ..rest_client import RestClient, dataset_path
from .bodies import Filter, class_names, filter_body, plain_json
from .progress import job_result


class ServerJobsMixin:
    """The job methods of :class:`~.dataset.Dataset`."""

    _client: RestClient
    name: str

    def embed(
        self,
        model: str | None = None,
        *,
        checkpoint: str | None = None,
        device: str = "auto",
        runner: str = "process",
        batch_size: int | str | None = None,
        dtype: str = "auto",
        precision: str | None = None,
        frames: str = "all",
        progress: bool = True,
    ) -> dict[str, Any]:
        """Compute embeddings of the samples that have none yet, as a server job.

        ``model``: ``None`` (the default: open_clip ViT-B-32 if its weights are here, else
        ``builtin-color-gradient``), ``'ARCH'``, ``'ARCH:TAG'``; ``checkpoint`` a local
        weights file or folder *on the server's machine*; ``runner``: ``'process'``,
        ``'kernel[:KERNELSPEC]'`` or ``'ray[:ADDRESS]'`` (a Ray cluster; without an address
        the server's ``ray_address`` setting). ``dtype``: ``auto`` (bf16 where the device
        has it and it matches float32 on the first batch), ``float32``, ``bfloat16`` or
        ``float16``; ``precision`` (``fp32``/``bf16``) is its deprecated spelling and warns.
        ``frames``: which frames of the dataset's videos, ``'all'``, ``'every:K'``,
        ``'fps:R'`` or ``'scenes[:T]'`` (docs/video.md, "Models on video"). ``batch_size``:
        images per forward pass, or ``'auto'`` (None too): an open_clip model's grown on the
        first batches while images/s improves.
        Shows a progress bar; returns the job result (model, space, dim, embedded, skipped,
        device, dtype, batch_size, runner, seconds, images_per_second). Interrupting the
        cell cancels the job.
        """
        body = {
            "model": model,
            "checkpoint": checkpoint,
            "device": device,
            "runner": runner,
            "batch_size": batch_size,
            # the server maps the deprecated precision (and refuses a contradiction)
            "dtype": None if precision is not None and dtype == "auto" else dtype,
            "precision": precision,
            "frames": None if frames == "all" else frames,
        }
        answer = self._client.post_json(
            dataset_path(self.name, "embed"), {k: v for k, v in body.items() if v is not None}
        )
        if answer.get("notice"):
            warnings.warn(answer["notice"], FutureWarning, stacklevel=2)
        return dict(job_result(self._client, answer["job"], "embedding", show=progress))

    def export(
        self,
        out: str | os.PathLike[str],
        format: str = "coco",
        *,
        filter: Filter | None = None,
        source: str = "ground_truth",
        min_score: float | None = None,
        classes: Iterable[str] | None = None,
        splits: str | Mapping[str, float] | None = None,
        seed: int = 0,
        images: str = "copy",
        overwrite: bool = False,
        version: int | None = None,
        frames: str | None = None,
        progress: bool = True,
    ) -> dict[str, Any]:
        """Write the samples matching ``filter`` (a grid filter, ``{'ids': [...]}`` for a
        selection) to the folder ``out`` as ``format`` (coco, yolo, voc, classification,
        parquet), as a server job, and wait for it with a progress bar.

        ``out`` is a folder on the server's machine (relative: to this kernel's folder), empty
        unless ``overwrite``; ``source``: ``'ground_truth'`` or a model's name (its labels at
        ``min_score`` or above); ``classes``: a subset (their ids stay); ``splits``: re-drawn
        with ``seed`` (``'train=0.8,val=0.2'``) or the catalog's; ``images``: ``'copy'``,
        ``'symlink'`` or ``'none'``; ``version``: the labels as they were at that version
        (``ds.versions()``), not as they are now; ``frames`` (a dataset of videos):
        ``'labelled'`` (the default), ``'all'`` or ``'every:K'``, with the formats ``'mot'``
        and ``'cvat-video'`` besides coco and yolo. Returns ``{out, format, samples, annotations, files}``;
        nothing is left in ``out`` when it fails. Interrupting the cell cancels the job.
        """
        body = {
            "format": format,
            "out": os.path.abspath(os.path.expanduser(os.fspath(out))),
            "filter": filter_body(filter),
            "source": source,
            "min_score": None if min_score is None else float(min_score),
            "classes": class_names(classes),
            "splits": splits if splits is None or isinstance(splits, str) else plain_json(splits),
            "seed": int(seed),
            "images": images,
            "overwrite": overwrite,
            "version": version,
            "frames": frames,
        }
        answer = self._client.post_json(dataset_path(self.name, "exports"), body)
        return dict(job_result(self._client, answer["job"], "export", show=progress))

    def subset(
        self, filter: Filter | None = None, *, name: str, progress: bool = True
    ) -> dict[str, Any]:
        """Copy the samples matching ``filter`` (a grid filter; ``{'tags': {'any': [t]}}``,
        ``{'ids': [...]}`` for a selection) into a new dataset ``name``, as a server job:
        every label kind, the predictions, the evaluations' per-object results, tags,
        fields and the embeddings' vectors (copied, not computed again); media are shared.
        The new dataset is independent of this one. Returns ``{dataset, source, samples,
        annotations, vectors, evaluations}``; a failure leaves no dataset behind.
        Interrupting the cell cancels the job."""
        body = {"to": name, "filter": filter_body(filter)}
        answer = self._client.post_json(dataset_path(self.name, "subset"), body)
        return dict(job_result(self._client, answer["job"], "subset", show=progress))

    def merge(self, source: str, *, key: str, progress: bool = True) -> dict[str, Any]:
        """Merge the samples of the dataset ``source`` into this one, matched by ``key``
        (``'file_name'``, or ``'image_id'``: the source's image id), as a server job. A
        matched sample keeps this dataset's row and gets ``source``'s labels appended; an
        unmatched one is added with its tags, fields and vectors. Returns ``{source, target,
        key, matched, added, labels, size_conflicts, missing_classes, vectors, label_maps}``:
        a key matching samples of different image sizes is left out and listed, the classes
        this dataset lacked are added and listed, the semantic and panoptic masks copied
        (and those of a matched sample this dataset kept) counted per source; label maps
        whose classes or encoding differ are refused. ``source`` is not changed; a failure
        changes nothing. Interrupting the cell cancels the job."""
        body = {"from": source, "key": key}
        answer = self._client.post_json(dataset_path(self.name, "merge"), body)
        return dict(job_result(self._client, answer["job"], "merge", show=progress))

    def predict(
        self,
        model: str,
        task: str = "detect",
        *,
        name: str | None = None,
        classes: Iterable[str] | None = None,
        filter: Filter | None = None,
        device: str = "auto",
        dtype: str = "auto",
        batch_size: int | str | None = None,
        min_score: float | None = None,
        runner: str = "process",
        progress: bool = True,
        questions: Iterable[dict[str, Any]] | None = None,
        workers: int | None = None,
        frames: str = "all",
    ) -> dict[str, Any]:
        """Run a transformers model on the dataset (or the samples matching ``filter``) as a
        server job, offline, and wait for it with a progress bar.

        ``model``: a checkpoint folder *on the server's machine* or a hub id already in its
        cache; ``task``: ``'detect'`` (a prediction set named ``name``, default the model's
        last path part; ``classes`` prompt an open-vocabulary detector) or ``'caption'``
        (the ``computed.caption`` field) or ``'classify'`` (zero-shot with an open_clip
        model, ``ARCH:TAG`` or a checkpoint, prompted with ``classes`` or the dataset's
        classes) or ``'vlm'`` (an image-text-to-text model answers ``questions``,
        ``[{"key", "question", "answers": [...]}]``, default lighting, weather, occlusion,
        scene and crowding, into ``computed.vlm_<key>`` fields; docs/models.md);
        ``torchvision:BUILDER[=/path/weights.pth]`` runs a torchvision detector. Images the same run already did are skipped. ``dtype``: ``auto``
        (bf16 on a CUDA GPU that has it, fp16 on others, float32 on the CPU), ``float32``,
        ``bfloat16`` or ``float16``. ``runner``: ``process``
        (a worker process of the server), ``kernel[:KERNELSPEC]`` (a kernel the server
        starts for the job) or ``ray[:ADDRESS]`` (a Ray cluster, docs/deploy/ray.md).
        ``workers``: on a CPU, the worker processes (one torch thread each) that share the
        images; default as many as the job's compute threads that fit in memory.
        ``frames``: which frames of the dataset's videos, ``'all'``, ``'every:K'``,
        ``'fps:R'`` or ``'scenes[:T]'`` (docs/video.md, "Models on video").
        ``batch_size``: images per forward pass, or ``'auto'`` (None too): found on the
        job's first batches (docs/models.md, "Batch size warm-up").
        Returns the job result (processed, skipped, predictions, device, dtype,
        images_per_second, seconds, ...). Interrupting the cell cancels the job.
        """
        if os.path.exists(os.path.expanduser(model)):
            model = os.path.abspath(os.path.expanduser(model))
        body = {
            "model": model,
            "task": task,
            "name": name,
            "classes": class_names(classes),
            "filter": filter_body(filter),
            "device": device,
            "dtype": dtype,
            "batch_size": batch_size,
            "min_score": None if min_score is None else float(min_score),
            "runner": runner,
            "questions": None if questions is None else [dict(q) for q in questions],
            "workers": workers,
            "frames": None if frames == "all" else frames,
        }
        answer = self._client.post_json(
            dataset_path(self.name, "predict"), {k: v for k, v in body.items() if v is not None}
        )
        return dict(job_result(self._client, answer["job"], "model", show=progress))
