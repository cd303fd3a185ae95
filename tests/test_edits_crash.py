"""kill -9 during a bulk edit leaves all or nothing: the edit is one DuckDB transaction."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.writes.dataset_writer import write_dataset

from .catalog_fixtures import RowsSource
from .edit_fixtures import CLASSES, rows
from .random_rows import random_rows

REPO = Path(__file__).resolve().parents[1]

# The child deletes every ground-truth object (and adds one) in one batch; with ``pause``
# it stops for the kill once the rows, the log and the derived tables are written, inside
# the transaction, before its commit.
CHILD = """
import json, sys, time
sys.path.insert(0, {repo!r})
from visionlens_jlab import features
features.load()
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.edits import apply_edits, engine

real = engine.apply_change

def paused(*args):
    real(*args)
    print("written", flush=True)
    time.sleep(120)

if {pause!r}:
    engine.apply_change = paused
catalog = Catalog({data!r})
with catalog.cursor() as cur:
    ids = [r[0] for r in cur.execute(
        "SELECT ann_id FROM annotations WHERE source = 'ground_truth'").fetchall()]
    sample = cur.execute("SELECT MIN(sample_id) FROM samples").fetchall()[0][0]
ops = [{{"op": "delete", "annotation_ids": ids}},
       {{"op": "add", "sample_id": sample, "label": "c1", "bbox": [0, 0, 2, 2]}}]
print(json.dumps(apply_edits(catalog, "big", ops, "child")), flush=True)
catalog.close()
"""


def run_child(data: Path, pause: bool) -> subprocess.Popen[str]:
    script = textwrap.dedent(CHILD.format(repo=str(REPO), data=str(data), pause=pause))
    return subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def test_kill_during_a_bulk_edit_leaves_all_or_nothing(tmp_path: Path) -> None:
    samples, boxes = random_rows(random.Random(4), 5000)
    with Catalog(tmp_path) as catalog:
        write_dataset(catalog, "big", RowsSource(samples, boxes, CLASSES))
        with catalog.cursor() as cur:
            ds = catalog.dataset_id(cur, "big")
        before = rows(catalog, ds)
    assert len(before[0]) > 15_000
    child = run_child(tmp_path, pause=True)
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        assert line.strip() == "written", child.stderr.read() if child.stderr else ""
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    with Catalog(tmp_path) as catalog:  # nothing of the killed batch
        assert rows(catalog, ds) == before
        with catalog.cursor() as cur:
            assert cur.execute("SELECT COUNT(*) FROM edit_ops").fetchall() == [(0,)]
        assert catalog.get_dataset("big")["num_annotations"] == len(before[0])
    child = run_child(tmp_path, pause=False)  # and all of it when it is not killed
    out, err = child.communicate(timeout=300)
    assert child.returncode == 0, err
    with Catalog(tmp_path) as catalog:
        objects, _ = rows(catalog, ds)
        assert len(objects) == 1 and catalog.get_dataset("big")["num_annotations"] == 1
        with catalog.cursor() as cur:
            logged = cur.execute("SELECT COUNT(*) FROM edit_ops").fetchall()[0][0]
        assert logged == len(before[0]) + 1
