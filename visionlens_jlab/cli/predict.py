"""``visionlens predict``: run a detector or a captioner on a dataset (or a view of it)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from ..embed.base import EmbedError
from ..jobs.accelerator import DEVICES, DTYPES
from ..jobs.stages import summary as stage_summary
from ..predict.tasks import REGISTRY, TASK_NAMES
from ..predict.tasks.protocol import FIELDS
from .common import (
    EXIT_USAGE,
    CliError,
    add_common_options,
    add_frames_option,
    batch_size_option,
    job_result,
    run_model_job,
)

JSON_KEYS = (
    "dataset",
    "model",
    "task",
    "processed",
    "skipped",
    "device",
    "dtype",
    "images_per_second",
    "seconds",
    "stages",
)
"""What ``--json`` prints: a stable contract (and, with the ray runner, ``runner`` and
``cluster``)."""


def add_parser(subparsers: Any) -> None:
    """Register ``predict`` on the ``visionlens`` CLI."""
    p = subparsers.add_parser(
        "predict",
        help="run a detector, a captioner or a zero-shot classifier on a dataset",
        description="Run a transformers model on a dataset's images, offline: a detector "
        "(DETR, RT-DETR, YOLOS; OWLv2 / Grounding-DINO prompted with the class names) makes "
        "a prediction set named after the model; a captioner (BLIP, GIT, ...) fills the "
        "computed.caption field; an open_clip model (ARCH:TAG or checkpoint) classifies "
        "zero-shot with the class names as prompts; a VLM (--task vlm) answers fixed "
        "questions per image into computed.vlm_<question> fields. Images the same run "
        "already did are skipped.",
    )
    p.add_argument("dataset")
    p.add_argument(
        "--model",
        required=True,
        help="a checkpoint folder, a hub id already in the cache, or torchvision:BUILDER"
        "[=/path/weights.pth] (a torchvision detector; cached COCO weights without a path)",
    )
    p.add_argument("--task", default=TASK_NAMES[0], choices=TASK_NAMES)
    p.add_argument(
        "--questions",
        help="--task vlm: a JSON file of questions, [{key, question, answers: [...]}] "
        "(default: lighting, weather, occlusion, scene, crowding)",
    )
    p.add_argument("--name", help="the prediction set's name (default: the model's last part)")
    p.add_argument(
        "--classes",
        help="comma-separated prompts of an open-vocabulary detector, or a torchvision "
        "checkpoint's class names in its label order",
    )
    p.add_argument("--filter", help="a view: the filter as JSON (the REST API's filter)")
    add_frames_option(p)
    p.add_argument(
        "--runner",
        default="process",
        help="process (default), kernel[:KERNELSPEC] (a kernel the server starts) or "
        "ray[:ADDRESS] (a Ray cluster; default address: the server's setting or $RAY_ADDRESS)",
    )
    p.add_argument("--device", default="auto", choices=DEVICES)
    p.add_argument(
        "--decode",
        default="full",
        choices=["full", "reduced"],
        help="reduced: JPEGs decoded at the smallest 1/2, 1/4 or 1/8 scale that still covers "
        "the model's input (faster where the processor shrinks the images anyway; the "
        "pixels the model sees change slightly, see docs/models.md)",
    )
    p.add_argument(
        "--dtype",
        default="auto",
        choices=list(DTYPES),
        help="what the model computes in (auto: bfloat16 on a CUDA GPU that has it, float16 on "
        "other CUDA GPUs, float32 on the CPU)",
    )
    p.add_argument(
        "--batch-size",
        type=batch_size_option,
        help="images per forward pass, or auto (the default): found on the first batches, "
        "doubled from the device's default while images/s improves by 10%% and memory "
        "allows; halved on out-of-memory either way",
    )
    p.add_argument("--min-score", type=float, help="drop detections below this score")
    p.add_argument(
        "--workers",
        type=int,
        help="worker processes on a CPU, each with one torch thread, each over a share of "
        "the images (default: the compute threads, fewer if the model copies would not fit "
        "in memory; always 1 on CUDA)",
    )
    add_common_options(p)
    p.set_defaults(func=cmd_predict)


def _options(args: argparse.Namespace) -> dict[str, Any]:
    from pathlib import Path

    from ..predict.base import is_torchvision, with_absolute_path

    model = args.model
    # the server may run elsewhere: paths become absolute
    if is_torchvision(model):
        try:
            model = with_absolute_path(model)
        except EmbedError as exc:
            raise CliError(str(exc), EXIT_USAGE) from exc
    elif Path(model).expanduser().exists():
        model = str(Path(model).expanduser().resolve())
    try:
        view = json.loads(args.filter) if args.filter else None
    except ValueError as exc:
        raise CliError(f"--filter is not JSON: {exc}") from exc
    classes = [c.strip() for c in args.classes.split(",")] if args.classes else None
    questions = None
    if args.questions:
        from ..predict.vlm import read_questions_file

        try:
            questions = read_questions_file(args.questions)
        except EmbedError as exc:
            raise CliError(str(exc), EXIT_USAGE) from exc
    return {
        "model": model,
        "task": args.task,
        "name": args.name,
        "classes": classes,
        "filter": view,
        "runner": args.runner,
        "device": args.device,
        "dtype": args.dtype,
        "decode": args.decode,
        "batch_size": args.batch_size,
        "min_score": args.min_score,
        "questions": questions,
        "workers": args.workers,
        "frames": args.frames,
    }


def cmd_predict(args: argparse.Namespace) -> dict[str, Any]:
    from ..predict.base import PredictOptions

    body = _options(args)
    try:
        options = PredictOptions(
            args.dataset,
            **{
                **body,
                "classes": tuple(body["classes"] or ()) or None,
                "questions": tuple(body["questions"]) if body["questions"] else None,
            },
        )
    except EmbedError as exc:
        raise CliError(str(exc), EXIT_USAGE) from exc

    def local(catalog: Any) -> dict[str, Any]:
        from ..jobs.ray_pipeline import RayRunnerError
        from ..jobs.ray_pool import run_once
        from ..jobs.runners import RunnerError, local_runner
        from ..predict.job import run_prediction
        from ..predict.ray_runner import ray_predict_stream
        from ..predict.workers import sharded_source

        try:
            runner = local_runner(options.runner)
        except RunnerError as exc:
            raise CliError(str(exc), EXIT_USAGE) from exc
        address = runner.address
        if address is None:
            # the same worker processes as the server's process runner (this process writes)
            return run_prediction(None, catalog, options, sharded_source(None, options.workers))
        try:  # this process is the Ray driver, and the writer
            result = run_prediction(
                None,
                catalog,
                options,
                lambda request, items: run_once(address, ray_predict_stream, request, items),
            )
        except RayRunnerError as exc:
            raise CliError(str(exc)) from exc
        result["runner"] = f"ray:{address}"
        return result

    def remote(client: Any) -> dict[str, Any]:
        answer = client.post_json(
            f"datasets/{args.dataset}/predict", {k: v for k, v in body.items() if v is not None}
        )
        return job_result(client, answer, "the model job was")

    result = run_model_job(args, local, remote)
    if args.json:
        extra = ("runner", "cluster") if "cluster" in result else ()
        return {key: result.get(key) for key in (*JSON_KEYS, *extra)}
    task = REGISTRY[result["task"]]  # fields count their values, prediction sets their rows
    what = task.result_kind if FIELDS in task.effects else f"predictions as {result['name']}"
    result["text"] = (
        f"{result['dataset']}: {result['processed']} images done, {result['skipped']} skipped, "
        f"{result['failed']} unreadable; {result['predictions']} {what} "
        f"({result['device'] or '-'} {result['dtype'] or ''}, "
        f"{result['images_per_second']} images/s, {result['seconds']} s)"
    )
    if result.get("unknown_classes"):
        result["text"] += "\nclasses the dataset lacks: " + ", ".join(result["unknown_classes"])
    if result.get("stages"):
        result["text"] += "\n" + stage_summary(result["stages"])
    return result
