"""What every ``visionlens`` subcommand shares: exit codes, the one-line error, and running
a command through the live server's REST API or on the catalog itself."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..config import SERVER_INFO_FILE, resolve_data_dir
from ..server_info import read_server_info

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_LOCKED = 0, 1, 2, 3


class CliError(Exception):
    """A failure to report as one clear line (and in the JSON object with ``--json``)."""

    def __init__(self, message: str, code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.code = code


@contextmanager
def usage_errors() -> Iterator[None]:
    """Report whatever the checks of a command's options raise as a usage error (exit 2)."""
    try:
        yield
    except Exception as exc:
        raise CliError(str(exc), EXIT_USAGE) from exc


def filter_option(text: str | None) -> dict[str, Any] | None:
    """The ``--filter`` option's JSON object (None when not given)."""
    if text is None:
        return None
    try:
        spec = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"--filter is not JSON: {exc}") from exc
    if not isinstance(spec, dict):
        raise ValueError("--filter must be a JSON object")
    return spec


def batch_size_option(text: str) -> int | str:
    """``--batch-size``: a positive number, or ``auto`` (found on the job's first batches)."""
    if text == "auto":
        return text
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"a positive number or auto, not {text!r}")
    return value


def add_view_options(parser: argparse.ArgumentParser) -> None:
    """The view a command reads: ``--filter`` JSON and ``--selection`` (a stored selection's
    samples, ``visionlens select``); both given, the samples both select."""
    parser.add_argument("--filter", help="a samples filter as JSON (as the REST API takes it)")
    parser.add_argument(
        "--selection",
        type=int,
        metavar="ID",
        help="only the samples stored selection ID chose (see `visionlens select`)",
    )


def add_frames_option(parser: argparse.ArgumentParser) -> None:
    """``--frames``: which frames of the videos a model job reads (still images always)."""
    parser.add_argument(
        "--frames",
        default="all",
        metavar="all|every:K|fps:R|scenes[:T]",
        help="frames of the dataset's videos to run on: all (default), every K-th (frame 1, "
        "1+K, ...), R per second of each video, or the first of each scene (scene changes "
        "above threshold T, default 30); still images are always included",
    )


def view_filter(args: argparse.Namespace) -> dict[str, Any] | None:
    """The filter of :func:`add_view_options`' options: ``--filter``, with ``ids`` narrowed to
    the chosen samples of ``--selection`` (read from the catalog or through its server)."""
    with usage_errors():
        spec = filter_option(args.filter)
    if args.selection is None:
        return spec

    def local(catalog: Any) -> dict[str, Any]:
        from ..select.records import read_selection

        return read_selection(catalog, args.dataset, args.selection)

    def remote(client: Any) -> dict[str, Any]:
        return dict(client.get_json(f"datasets/{args.dataset}/selections/{args.selection}"))

    chosen = [row["sample_id"] for row in run_local_or_remote(args, local, remote)["rows"]]
    spec = dict(spec or {})
    if spec.get("ids") is not None:
        asked = set(spec["ids"])
        chosen = [i for i in chosen if i in asked]
    spec["ids"] = sorted(chosen)
    return spec


def add_common_options(
    parser: argparse.ArgumentParser, json_help: str = "print one JSON object"
) -> None:
    """The options every subcommand takes: ``--data-dir`` and ``--json``."""
    parser.add_argument("--data-dir", help="data directory (default: $VISIONLENS_DATA_DIR)")
    parser.add_argument("--json", action="store_true", help=json_help)


def server_client(data_dir: Path) -> Any:
    """A REST client of the live server owning ``data_dir``, or ``None``."""
    info = read_server_info(data_dir)
    if info is None:
        return None
    from ..rest_client import CONNECT_GRACE_S, RestClient

    return RestClient(
        info["url"],
        info.get("token"),
        origin=str(data_dir / SERVER_INFO_FILE),
        connect_grace=CONNECT_GRACE_S,
    )


def open_catalog(data_dir: Path) -> Any:
    """Open the catalog for this process, with a clear error when another process holds it."""
    from ..catalog import Catalog, CatalogLockedError
    from ..catalog.store.ingest_reservations import INGEST_MEMORY_LIMIT
    from ..features import load as load_features

    load_features()  # their tables and migration steps, before the catalog opens
    try:
        # this process reads nothing else while it ingests: bound the ingest's memory
        return Catalog(data_dir, ingest_memory_limit=INGEST_MEMORY_LIMIT)
    except CatalogLockedError as exc:
        raise CliError(
            f"{exc} No running VisionLens server was found for {data_dir} "
            "(no live server.json), so the command cannot go through it either.",
            EXIT_LOCKED,
        ) from exc


def run_local_or_remote(
    args: argparse.Namespace,
    local: Callable[[Any], dict[str, Any]],
    remote: Callable[[Any], dict[str, Any]],
) -> dict[str, Any]:
    """Run ``remote(client)`` if a server owns the data dir, else ``local(catalog)``."""
    data_dir = resolve_data_dir(args.data_dir)
    client = server_client(data_dir)
    if client is not None:
        from ..rest_client import VisionLensError  # requests: only with a server to call

        try:
            return remote(client)
        except VisionLensError as exc:
            raise CliError(f"the VisionLens server refused: {exc}") from exc
    catalog = open_catalog(data_dir)
    try:
        return local(catalog)
    finally:
        catalog.close()


def run_model_job(
    args: argparse.Namespace,
    local: Callable[[Any], dict[str, Any]],
    remote: Callable[[Any], dict[str, Any]],
) -> dict[str, Any]:
    """:func:`run_local_or_remote` for the model jobs (embeddings, predictions, masks): a
    model that cannot load or run is one clear line, and the samples the job could not read
    (its ``errors``) are named on stderr."""
    from ..embed.base import EmbedError

    try:
        result = run_local_or_remote(args, local, remote)
    except EmbedError as exc:
        raise CliError(str(exc)) from exc
    for sample in result.get("errors", []):
        print(f"visionlens: sample {sample['sample_id']}: {sample['message']}", file=sys.stderr)
    return result


def absolute_path(path: str | None) -> str | None:
    """A path as the server must read it: resolved here, since the server's working
    folder may differ (a ``gs://`` location as it is; none or empty: None)."""
    if not path:
        return None
    if path.startswith("gs://"):
        return path
    return str(Path(path).expanduser().resolve())


def job_result(client: Any, answer: dict[str, Any], job_name: str = "job") -> dict[str, Any]:
    """Wait for the server job ``answer`` started and return its result (a failed or
    cancelled job raises :class:`CliError`: its error, or ``job_name`` and its status)."""
    job = client.wait_job(answer["job"]["id"])
    if job["status"] != "done":
        raise CliError(job.get("error") or f"{job_name} {job['status']}")
    return dict(job["result"])
