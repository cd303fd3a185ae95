"""The real JupyterHub of the hub UI tests (ui-tests/playwright-hub.config.js).

    python tests/hub/serve_for_ui.py STATE_FILE HUB_DIR

Starts the test hub of tests/hub_fixtures.py (prefix ``/@/space%20word/``, dummy
authenticator, users alice and bob), starts alice's server and ingests a small YOLO dataset
from her home through the hub's proxy, then writes ``STATE_FILE`` (JSON: hub URL, user,
dataset, sample count, hub log path) and serves until SIGTERM or SIGINT, when it stops the
hub and every user server. On a failure before that it prints the hub's log.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.hub_fixtures import PROXY, Hub, start_hub, stop_hub
from tests.ingest_fixtures import write_yolo

USER = "alice"
DATASET = "alice_ui"
N_IMAGES = 12


def ingest(hub: Hub, server: str) -> None:
    """Ingest alice's dataset through the proxy with her token, as a notebook would."""
    root = hub.home(USER) / "alice-ui-yolo"
    write_yolo(root, N_IMAGES, 3, splits=("train",))
    session = hub.session(USER)
    api = f"{server}visionlens/api/"
    answer = session.post(f"{api}datasets", json={"source": str(root), "name": DATASET}, timeout=60)
    if answer.status_code != 202:
        raise RuntimeError(f"ingest refused: {answer.status_code} {answer.text}")
    job = answer.json()["job"]
    deadline = time.monotonic() + 180
    while job["status"] not in ("done", "failed", "cancelled"):
        if time.monotonic() > deadline:
            raise RuntimeError(f"ingest still {job['status']} after 180 s")
        time.sleep(0.2)
        job = session.get(f"{api}jobs/{job['id']}", timeout=60).json()
    if job["status"] != "done":
        raise RuntimeError(f"ingest {job['status']}: {job}")


def main() -> int:
    state_file, hub_dir = Path(sys.argv[1]), Path(sys.argv[2])
    if not PROXY.exists():
        print("configurable-http-proxy is missing: run `npm ci --prefix tests/hub`", flush=True)
        return 2
    hub_dir.mkdir(parents=True, exist_ok=True)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    hub = start_hub(hub_dir, {"VL_HUB_UI": "1"})
    try:
        try:
            server = hub.start_server(USER)
            ingest(hub, server)
        except BaseException:
            print(f"the hub for the UI tests failed; its log:\n{hub.log()}", flush=True)
            raise
        state = {
            "hub": hub.url,
            "user": USER,
            "server": server,
            "dataset": DATASET,
            "samples": N_IMAGES,
            "log": str(hub.log_path),
        }
        tmp = state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(state))
        tmp.replace(state_file)
        while not stop.wait(1):
            if hub.proc.poll() is not None:
                print(f"the hub exited early; its log:\n{hub.log()}", flush=True)
                return 1
        return 0
    finally:
        stop_hub(hub)


if __name__ == "__main__":
    sys.exit(main())
