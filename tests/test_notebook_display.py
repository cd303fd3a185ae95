"""What a session shows in its cell: a status line that follows the link, not a snapshot.

A real kernel; the test plays the JupyterLab frontend (see ``test_notebook_comm.py``).
"""

from __future__ import annotations

from typing import Any

from tests.notebook_fixtures import KernelHarness, running_kernel
from tests.test_notebook_api import toy  # noqa: F401 - fixture
from tests.test_notebook_comm import ids_buffer, selection


def text(msg: dict[str, Any]) -> str:
    return str(msg["content"]["data"]["text/plain"])


def display_id(msg: dict[str, Any]) -> str:
    return str(msg["content"]["transient"]["display_id"])


def update(k: KernelHarness, needle: str) -> Any:
    """The next update of a displayed status line whose text contains ``needle``."""
    return k.wait_display(
        lambda m: m["header"]["msg_type"] == "update_display_data" and needle in text(m)
    )


async def test_the_cell_follows_the_session(toy: str) -> None:  # noqa: F811
    async with running_kernel() as k:
        out = await k.execute(
            "import visionlens_jlab.notebook as vl\nsession = vl.open('toy')\nsession"
        )
        assert out["error"] is None and out["result"] is None  # no '<Session (waiting)>' repr
        shown = await k.wait_display(lambda m: m["header"]["msg_type"] == "display_data")
        assert text(shown) == (
            "VisionLens: 'toy' (6 samples): opening in the VisionLens grid beside this notebook…"
        )
        assert "text/html" not in shown["content"]["data"]
        line = display_id(shown)
        comm_id = k.comm_opens.pop()["content"]["comm_id"]

        # The lab attaches, opens the grid and sends its view: the line says so.
        k.send_comm(comm_id, {"v": 1, "type": "hello", "id": "f1", "frontend": "test"})
        k.send_comm(comm_id, {"v": 1, "type": "view", "id": "f2", "dataset": "toy", "filter": {}})
        msg = await update(k, "is open")
        assert display_id(msg) == line
        assert text(msg).startswith(
            "VisionLens: 'toy' (6 samples) is open in the VisionLens grid beside this notebook: "
            "0 selected\n"
        )

        # Selections and filters made in the panels show up in the same line.
        ids = [int(i) for i in (await k.check("print(*vl.dataset('toy').ids())")).split()]
        k.send_comm(comm_id, selection("f3", "toy", count=2), [ids_buffer(ids[:2])])
        assert display_id(await update(k, ": 2 selected\n")) == line
        k.send_comm(
            comm_id,
            {"v": 1, "type": "view", "id": "f4", "dataset": "toy", "filter": {"tags": {}}},
        )
        await update(k, "2 selected, filtered (session.view)")
        k.send_comm(comm_id, {"v": 1, "type": "view", "id": "f5", "dataset": "other", "filter": {}})
        await update(k, "the panels show 'other' now; session.show() brings 'toy' back")

        # session.show(): the grid is asked for again and the status is shown in this cell too.
        await k.check("session.show()")
        request = await k.wait_comm_msg(lambda d: d["type"] == "request")
        assert request["content"]["data"]["params"] == {"dataset": "toy"}
        again = await k.wait_display(lambda m: m["header"]["msg_type"] == "display_data")
        assert display_id(again) == line and "the panels show 'other'" in text(again)

        # The lab goes away: every copy of the line says the session is closed.
        close = k.kc.session.msg("comm_close", {"comm_id": comm_id, "data": {}})
        k.kc.session.send(k.kc.shell_channel.socket, close)
        msg = await update(k, "this session is closed")
        assert display_id(msg) == line and "vl.open('toy') opens a new one" in text(msg)
