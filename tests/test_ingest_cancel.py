"""A cancel that arrives in the dataset writer's last, summarising transaction (issue #46):
that transaction aggregates the whole dataset (seconds on a big one) and used to run to its
end and commit, so a cancelled ingest finished "done" and kept its dataset. Now its
statements are interrupted and it rolls back, and the rows written before go too."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.ingest_fixtures import count, write_coco
from visionlens_jlab.catalog import Catalog, WriteCancelled
from visionlens_jlab.catalog.writes import dataset_writer
from visionlens_jlab.ingest.open import open_dataset, open_predictions

ENDLESS = "SELECT sum(range) FROM range(10_000_000_000_000)"
"""Hours of work: stands in for a summarising statement that takes long on a big dataset."""
STOP_BOUND = 60.0
"""Generous: proves the writer stops rather than hangs, not how fast it stops."""


def _write(catalog: Catalog, source: Path, cancel: threading.Event) -> BaseException | None:
    """Run ``write_dataset`` on a thread; returns what it raised. A writer still running
    after :data:`STOP_BOUND` fails the test (its write is interrupted to free the thread)."""
    raised: list[BaseException] = []

    def run() -> None:
        try:
            dataset_writer.write_dataset(
                catalog, "toy", open_dataset(str(source), "coco"), cancelled=cancel.is_set
            )
        except BaseException as exc:  # handed to the test
            raised.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(STOP_BOUND)
    if thread.is_alive():
        catalog.interrupt_writes(STOP_BOUND)
        thread.join()
        pytest.fail(f"the cancel was ignored: the writer still ran {STOP_BOUND} s later")
    return raised[0] if raised else None


def _nothing_kept(catalog: Catalog) -> None:
    assert catalog.list_datasets() == []
    for table in ("samples", "annotations", "categories", "facet_parts"):
        assert count(catalog, f"SELECT count(*) FROM {table}") == 0, table  # noqa: S608


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "toy.json"
    write_coco(path, 50, 3)
    return path


def test_a_cancel_interrupts_a_long_summarising_statement(
    tmp_path: Path, source: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cancel = threading.Event()

    def cancelled_then_long(catalog: Catalog, cur: Any, change: Any) -> Any:
        written = apply_change(catalog, cur, change)
        cancel.set()
        cur.execute(ENDLESS)
        return written

    apply_change = dataset_writer.apply_change
    monkeypatch.setattr(dataset_writer, "apply_change", cancelled_then_long)
    with Catalog(tmp_path / "data") as catalog:
        raised = _write(catalog, source, cancel)
        assert isinstance(raised, WriteCancelled), raised
        assert isinstance(raised.__cause__, duckdb.InterruptException), raised.__cause__
        _nothing_kept(catalog)


def test_a_cancel_after_the_last_statement_still_rolls_the_dataset_back(
    tmp_path: Path, source: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cancel = threading.Event()

    def then_cancelled(catalog: Catalog, cur: Any, change: Any) -> Any:
        written = apply_change(catalog, cur, change)
        cancel.set()  # after every statement but the commit
        return written

    apply_change = dataset_writer.apply_change
    monkeypatch.setattr(dataset_writer, "apply_change", then_cancelled)
    with Catalog(tmp_path / "data") as catalog:
        assert isinstance(_write(catalog, source, cancel), WriteCancelled)
        _nothing_kept(catalog)


def test_a_cancel_before_the_summarising_transaction_stops_the_writer(
    tmp_path: Path, source: Path
) -> None:
    """The writer reports the summarising stage before it takes the write lock; a job's
    progress raises there once the job is cancelled."""
    messages: list[str] = []

    class Cancelled(Exception):
        pass

    def progress(_fraction: float, message: str) -> None:
        messages.append(message)
        if message.startswith("summarising"):
            raise Cancelled

    with Catalog(tmp_path / "data") as catalog:
        with pytest.raises(Cancelled):
            dataset_writer.write_dataset(
                catalog, "toy", open_dataset(str(source), "coco"), progress=progress
            )
        _nothing_kept(catalog)
    assert messages[-1] == "summarising 50 samples, 150 objects", messages


def test_a_cancelled_predictions_import_keeps_the_models_previous_set(
    tmp_path: Path, source: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A predictions import is one transaction too: a cancel in its last statements rolls
    the replacement back and the model's previous predictions stay."""
    categories = {i: f"class_{i - 1}" for i in range(1, 81)}

    def import_set(catalog: Catalog, images: int, cancelled: Any = None) -> None:
        path = tmp_path / f"preds-{images}.json"
        rows = [
            {"image_id": i, "category_id": 1, "bbox": [1, 1, 5, 5], "score": 0.5}
            for i in range(1, images + 1)
        ]
        path.write_text(json.dumps(rows))
        parsed = open_predictions(str(path), "coco", categories=categories)
        dataset_writer.write_predictions(catalog, "toy", "m", parsed, cancelled=cancelled)

    kept = "SELECT count(*) FROM annotations WHERE source = 'm'"
    with Catalog(tmp_path / "data") as catalog:
        dataset_writer.write_dataset(catalog, "toy", open_dataset(str(source), "coco"))
        import_set(catalog, 50)
        assert count(catalog, kept) == 50
        cancel = threading.Event()

        def then_cancelled(catalog: Catalog, cur: Any, change: Any) -> Any:
            written = apply_change(catalog, cur, change)
            cancel.set()  # after every statement of the replacement but the commit
            return written

        apply_change = dataset_writer.apply_change
        monkeypatch.setattr(dataset_writer, "apply_change", then_cancelled)
        with pytest.raises(WriteCancelled):
            import_set(catalog, 20, cancel.is_set)
        assert count(catalog, kept) == 50
        monkeypatch.undo()
        import_set(catalog, 20)  # the same import, not cancelled, replaces the set
        assert count(catalog, kept) == 20
