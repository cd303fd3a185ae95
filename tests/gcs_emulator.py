"""A ``gcp-storage-emulator`` on loopback for a block of code: the tests' session fixture
(:func:`tests.media_fixtures.gcs_emulator`) and the ``gs://`` benchmarks start it the same
way, and stop only the process they started, by its PID."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_emulator() -> Iterator[str]:
    """A ``gcp-storage-emulator`` on 127.0.0.1 (in memory), stopped by its PID; sets
    ``STORAGE_EMULATOR_HOST`` meanwhile (google-cloud-storage, and worker processes, which
    inherit the environment, talk to it anonymously) and yields it."""
    port = _free_port()
    exe = Path(sys.executable).with_name("gcp-storage-emulator")
    proc = subprocess.Popen(
        [str(exe), "start", "--host", "127.0.0.1", "--port", str(port), "--in-memory", "-q"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError("the GCS emulator did not start") from None
            time.sleep(0.1)
    host = f"http://127.0.0.1:{port}"
    old = os.environ.get("STORAGE_EMULATOR_HOST")
    os.environ["STORAGE_EMULATOR_HOST"] = host
    try:
        yield host
    finally:
        if old is None:
            os.environ.pop("STORAGE_EMULATOR_HOST", None)
        else:
            os.environ["STORAGE_EMULATOR_HOST"] = old
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
