"""Which runner a job uses (jobs/runners.py): one choice for embedding and model jobs, the
server's and the CLI's. The server-side checks run through the REST API in
test_embed_jobs.py, test_embed_ray_options.py and test_predict_server.py."""

from __future__ import annotations

import pytest

from visionlens_jlab.jobs.runners import (
    Runner,
    RunnerError,
    local_runner,
    parse_runner,
    server_runner,
)


def test_runner_names() -> None:
    assert parse_runner("") == ("process", None)
    assert parse_runner("ray") == ("ray", None)
    assert parse_runner("ray:127.0.0.2:6379") == ("ray", "127.0.0.2:6379")
    assert parse_runner("ray:ray://head:10001") == ("ray", "ray://head:10001")
    assert parse_runner("kernel:python3") == ("kernel", "python3")
    for bad in ("dask", "process:2"):
        with pytest.raises(RunnerError, match=r"ray\[:ADDRESS\]"):
            parse_runner(bad)


def test_a_process_without_a_server_runs_no_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    assert local_runner("process") == Runner("process")
    with pytest.raises(RunnerError, match="needs a running JupyterLab server"):
        local_runner("kernel:python3")
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    with pytest.raises(RunnerError, match="no Ray cluster address|needs Ray"):
        local_runner("ray")


def test_the_kernel_runner_needs_the_servers_event_loop() -> None:
    with pytest.raises(RunnerError, match="only through a running Jupyter server"):
        server_runner("kernel", serverapp=None, ray_setting=None)


async def test_a_server_checks_the_kernelspec_on_its_loop() -> None:
    class Specs:
        def find_kernel_specs(self) -> dict[str, str]:
            return {"python3": "/k/python3"}

    class App:
        kernel_spec_manager = Specs()

    chosen = server_runner("kernel:python3", App(), None)
    assert (chosen.kind, chosen.kernelspec, chosen.loop is not None) == ("kernel", "python3", True)
    with pytest.raises(RunnerError, match="no kernelspec named 'gpu'; installed: python3"):
        server_runner("kernel:gpu", App(), None)
