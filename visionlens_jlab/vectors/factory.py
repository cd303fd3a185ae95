"""Pick the vector store: Qdrant Edge in the data dir by default, a Qdrant server when configured."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

from .base import VectorStore, VectorStoreError
from .edge import EdgeVectorStore
from .edge_process import EdgeProcessStore

URL_ENV = "VISIONLENS_QDRANT_URL"
API_KEY_ENV = "VISIONLENS_QDRANT_API_KEY"
PREFIX_ENV = "VISIONLENS_QDRANT_PREFIX"
VECTORS_DIR = "vectors"
EDGE_DIR = "edge"
STORE_FILE = "store.json"


def vectors_dir(data_dir: str | os.PathLike[str]) -> Path:
    """``{data_dir}/vectors``: the Edge shards and the store's instance id."""
    return Path(data_dir) / VECTORS_DIR


def instance_prefix(data_dir: str | os.PathLike[str]) -> str:
    """The collection prefix of this data dir on a shared Qdrant server: ``vl_<id>_``.

    Every catalog numbers its samples from 1, so two users (or two data dirs) writing to one
    cluster under the same collection names would overwrite each other's vectors. The id is
    created once and kept in ``{data_dir}/vectors/store.json``.
    """
    path = vectors_dir(data_dir) / STORE_FILE
    try:
        instance = str(json.loads(path.read_text())["instance_id"])
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        instance = uuid.uuid4().hex[:12]
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"instance_id": instance}))
        tmp.replace(path)
    except (ValueError, KeyError, TypeError) as exc:
        raise VectorStoreError(f"unreadable {path}: {exc}; delete it to start afresh") from exc
    return f"vl_{instance}_"


def open_vector_store(
    data_dir: str | os.PathLike[str],
    url: str | None = None,
    api_key: str | None = None,
    *,
    prefix: str | None = None,
    edge_in_child: bool = False,
) -> VectorStore:
    """Open the vector store of ``data_dir``.

    With no ``url`` (argument or ``$VISIONLENS_QDRANT_URL``) this is the embedded Qdrant
    Edge store in ``{data_dir}/vectors/edge``; with one, the Qdrant server/cluster there,
    authenticated by ``api_key`` (or ``$VISIONLENS_QDRANT_API_KEY``), its collections named
    with ``prefix`` (or ``$VISIONLENS_QDRANT_PREFIX``, else :func:`instance_prefix`).
    Only one process may hold the embedded store: the Jupyter server, while it runs.
    ``edge_in_child`` runs the Edge store in a child process of the caller (the server's
    choice: its calls then never hold the server's GIL, see :mod:`.edge_process`).
    """
    url = url or os.environ.get(URL_ENV) or None
    if url:
        # imported here: qdrant-client's models take a second to import, which every
        # command on the embedded store would pay
        from .client import QdrantClientVectorStore

        key = api_key or os.environ.get(API_KEY_ENV) or None
        chosen = prefix or os.environ.get(PREFIX_ENV) or instance_prefix(data_dir)
        return QdrantClientVectorStore.connect(url, key, prefix=chosen)
    root = vectors_dir(data_dir) / EDGE_DIR
    return EdgeProcessStore(root) if edge_in_child else EdgeVectorStore(root)
