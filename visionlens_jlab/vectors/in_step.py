"""A stamp that the embedded store and the catalog were left in step, so that the next
process to open the store may skip :func:`~.reconcile.reconcile`'s read of every point.

Reconcile reads each point of each space (seconds at a million points), which every CLI
command that opens the store would pay. The process that held the store writes
``{data_dir}/vectors/in_step.json`` when it closes the store having kept both in step:
no write to the store raised (:attr:`~.base.VectorStore.write_failed`) and no dataset's
points wait for deletion. The stamp holds a fingerprint of the catalog's samples (count
and a sum of hashes of ``(sample_id, dataset_id)``) and each space's point count. The
next process reads them again after opening: equal, and nothing can have drifted since
(a catalog or store changed by any other process changes its fingerprint), so reconcile
is skipped. The stamp is deleted as soon as the store opens, before anything writes: a
process that dies holding the store leaves none, and the next one reconciles.

Only the embedded Edge store is stamped: it has one holder at a time. A Qdrant server may
be written by others meanwhile, so it is reconciled at every open as before.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from ..catalog import Catalog
from .base import VectorStore

log = logging.getLogger(__name__)

STAMP_FILE = "in_step.json"
STAMPED_KIND = "edge"


def catalog_fingerprint(catalog: Catalog) -> list[int]:
    """``[count, sum of hash(sample_id, dataset_id)]`` over the catalog's samples: changed by
    any sample added, removed or moved to another dataset (one DuckDB pass, ~10 ms at 1M)."""
    with catalog.cursor() as cur:
        count, hashed = cur.execute(
            "SELECT COUNT(*), COALESCE(SUM(hash(sample_id, dataset_id)), 0) FROM samples"
        ).fetchall()[0]
    return [int(count), int(hashed)]


def store_fingerprint(store: VectorStore) -> dict[str, int]:
    """Each space's point count."""
    return {info.name: store.count(info.name) for info in store.spaces()}


def _read(path: Path) -> dict[str, Any] | None:
    try:
        stamp = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except ValueError as exc:
        log.warning("ignoring unreadable %s: %s", path, exc)
        return None
    return stamp if isinstance(stamp, dict) else None


def stamp_holds(path: Path, catalog: Catalog, store: VectorStore) -> bool:
    """Whether ``path`` stamps the state the catalog and ``store`` are in now."""
    if store.kind != STAMPED_KIND:
        return False
    stamp = _read(path)
    if stamp is None:
        return False
    return stamp.get("catalog") == catalog_fingerprint(catalog) and stamp.get(
        "spaces"
    ) == store_fingerprint(store)


def clear_stamp(path: Path) -> None:
    """Delete the stamp: the store is open, and may be written, from now on."""
    path.unlink(missing_ok=True)


def write_stamp(path: Path, catalog: Catalog, store: VectorStore) -> None:
    """Stamp the current state as in step (call only when it is: see the module's note)."""
    if store.kind != STAMPED_KIND:
        return
    stamp = {"catalog": catalog_fingerprint(catalog), "spaces": store_fingerprint(store)}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(stamp))
    tmp.replace(path)
