"""Filters and query inputs fuzzed against visionlens_jlab/openapi.yaml with schemathesis: whatever a
client sends, the server answers a 4xx with a message or a result, never a 500.

Runs against a real ``jupyter server`` process (schemathesis calls are synchronous), bounded
by ``MAX_EXAMPLES`` per operation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.catalog_fixtures import PredictionRowsSource, RowsSource, prediction_rows, toy_rows
from tests.server_process import TOKEN, ServerProcess
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.writes.dataset_writer import write_dataset, write_predictions

pytestmark = pytest.mark.slow

OPENAPI = Path(__file__).resolve().parents[1] / "visionlens_jlab" / "openapi.yaml"
MAX_EXAMPLES = 40
FUZZED = {
    ("GET", "/datasets/{name}/samples"),
    ("POST", "/datasets/{name}/samples/query"),
    ("POST", "/datasets/{name}/ids"),
    ("POST", "/datasets/{name}/position"),
    ("POST", "/datasets/{name}/export/samples"),
    ("POST", "/datasets/{name}/export/annotations"),
    ("GET", "/datasets/{name}/facets"),
    ("POST", "/datasets/{name}/facets"),
    ("POST", "/datasets/{name}/tags"),
    ("POST", "/datasets/{name}/selection-code"),
    ("GET", "/datasets/{name}/samples/{sample_id}"),
    ("GET", "/datasets/{name}/samples/{sample_id}/image"),
    ("POST", "/datasets/{name}/edits"),
    ("POST", "/datasets/{name}/patches"),
}

SCHEMA = schemathesis.openapi.from_path(OPENAPI)
OPERATIONS = {
    (op.method.upper(), op.path): op
    for op in (cast(Any, result).ok() for result in SCHEMA.get_all_operations())
    if (op.method.upper(), op.path) in FUZZED
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    work = tmp_path_factory.mktemp("fuzz")
    with Catalog(work / "data") as catalog:
        samples, boxes, classes = toy_rows()
        write_dataset(catalog, "toy", RowsSource(samples, boxes, classes))
        write_predictions(catalog, "toy", "m1", PredictionRowsSource(prediction_rows()))
    running = ServerProcess(work / "data", work).wait_ready()
    yield running
    running.kill()


def test_every_fuzzed_operation_is_in_the_spec() -> None:
    assert set(OPERATIONS) == FUZZED


@pytest.mark.parametrize("key", sorted(FUZZED), ids=lambda k: f"{k[0]} {k[1]}")
def test_no_server_errors(server: ServerProcess, key: tuple[str, str]) -> None:
    operation = OPERATIONS[key]
    seen: list[tuple[int, Any]] = []

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        derandomize=True,
    )
    @given(case=operation.as_strategy(), real_name=st.booleans())
    def run(case: Any, real_name: bool) -> None:
        if real_name:  # most inputs should reach the filter code, not stop at a 404
            case.path_parameters = {**(case.path_parameters or {}), "name": "toy"}
        response = case.call(
            base_url=f"{server.url}visionlens/api",
            headers={"Authorization": f"token {TOKEN}"},
            timeout=60,
        )
        seen.append((response.status_code, case.path_parameters))
        assert response.status_code < 500, (
            f"{response.status_code} for {case.method} {case.formatted_path} "
            f"query={case.query} body={case.body!r}: {response.text[:500]}\n{server.log()[-3000:]}"
        )

    run()
    assert len(seen) >= 10
    # Reaching the handler's own checks is the point: an answer, or a 400 about a request for
    # the real dataset (the richer the filter schema, the rarer a random filter is valid).
    reached = any(
        code < 400 or (code == 400 and (params or {}).get("name") == "toy") for code, params in seen
    )
    assert reached or key[1].endswith("{sample_id}/image"), seen


def test_ids_beyond_64_bits_are_a_400(server: ServerProcess) -> None:
    """Found by the fuzzer: such an id used to crash the export with a 500."""
    for path in ("export/samples", "samples/query", "ids"):
        response = server.api("POST", f"datasets/toy/{path}", {"filter": {"ids": [1, 2**64]}})
        assert response.status_code == 400, (path, response.text)
        assert "64-bit" in response.json()["message"]
