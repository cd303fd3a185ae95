"""The comm protocol, driven from a real kernel; the test plays the JupyterLab frontend."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from tests.notebook_fixtures import KernelHarness, running_kernel
from tests.test_notebook_api import toy  # noqa: F401 - fixture
from visionlens_jlab.notebook import protocol as P
from visionlens_jlab.rest_client import VisionLensError


def ids_buffer(ids: list[int]) -> bytes:
    return np.asarray(ids, dtype="<i8").tobytes()


def buffer_ids(msg: dict[str, Any]) -> list[int]:
    return np.frombuffer(bytes(msg["buffers"][0]), dtype="<i8").tolist()


def selection(msg_id: str, dataset: str, **fields: Any) -> dict[str, Any]:
    """A frontend ``selection`` message as the bridge sends it (``mode`` from the fields)."""
    mode = "all" if "filter" in fields else "ids"
    return {
        "v": 1,
        "type": "selection",
        "id": msg_id,
        "dataset": dataset,
        "origin": "panels",
        "mode": mode,
        **fields,
    }


async def open_session(k: KernelHarness, name: str = "toy", var: str = "session") -> str:
    """``vl.open`` in the kernel, answer its hello like the bridge; return the comm id."""
    await k.check(
        "import json, visionlens_jlab.notebook as vl\n"
        f"{var} = vl.open(vl.dataset({name!r}))\n"
        f"calls_{var} = []\n{var}.on_select(calls_{var}.append)\n"
    )
    await k.drain(0.1)
    opening = k.comm_opens.pop()
    content = opening["content"]
    assert content["target_name"] == "visionlens"
    hello = content["data"]
    assert hello["v"] == 1 and hello["type"] == "hello" and hello["dataset"] == name
    assert hello["open"] is True and hello["session"] and hello["id"]
    comm_id = content["comm_id"]
    k.send_comm(
        comm_id,
        {
            "v": 1,
            "type": "hello",
            "id": "f1",
            "reply_to": hello["id"],
            "frontend": "test",
            "shown": name,
        },
    )
    return str(comm_id)


async def state(k: KernelHarness, var: str = "session") -> dict[str, Any]:
    out = await k.check(
        f"print(json.dumps({{'selected': {var}.selected, 'view': {var}.view, "
        f"'calls': calls_{var}, 'n': len({var}.selection()), 'closed': {var}.closed, "
        f"'frontend': ({var}.frontend or {{}}).get('frontend'), 'error': {var}.last_error}}))"
    )
    return dict(json.loads(out))


async def test_selection_round_trips(toy: str) -> None:  # noqa: F811
    async with running_kernel() as k:
        comm_id = await open_session(k)
        ids = json.loads(await k.check("print(json.dumps(vl.dataset('toy').ids().tolist()))"))
        assert len(ids) == 6

        # The user selects two samples in the grid.
        k.send_comm(
            comm_id,
            selection("f2", "toy", count=2),
            [ids_buffer(ids[1:3])],
        )
        got = await state(k)
        assert got["selected"] == ids[1:3] and got["n"] == 2
        assert got["calls"] == [ids[1:3]] and got["frontend"] == "test"

        # Python selects three: one select message with an int64 buffer, state updated at once.
        out = await k.check(f"print(session.select({ids[3:6]}))")
        assert out.strip() == "3"
        msg = await k.wait_comm_msg(lambda d: d["type"] == "select")
        data = msg["content"]["data"]
        assert data["v"] == 1 and data["dataset"] == "toy" and data["count"] == 3
        assert buffer_ids(msg) == ids[3:6]
        got = await state(k)
        assert got["selected"] == ids[3:6] and got["n"] == 3

        # The bridge echoes the applied selection: no on_select call for our own change.
        k.send_comm(
            comm_id,
            selection("f3", "toy", count=3, reply_to=data["id"]),
            [ids_buffer(ids[3:6])],
        )
        got = await state(k)
        assert got["calls"] == [ids[1:3]]

        # DataFrames, filters, add/remove, clear.
        await k.check(
            "session.select(vl.dataset('toy').samples({'sample': {'split': {'in': ['val']}}}))"
        )
        msg = await k.wait_comm_msg(lambda d: d["type"] == "select")
        assert msg["content"]["data"]["count"] == 2
        await k.check("session.select({'labels': {'source': 'm1'}})")
        msg = await k.wait_comm_msg(lambda d: d["type"] == "select")
        assert len(buffer_ids(msg)) == 3  # a.jpg, c.jpg, f.jpg have m1 boxes
        await k.check(f"session.select([{ids[1]}], mode='add')")  # b.jpg: no m1 box
        msg = await k.wait_comm_msg(lambda d: d["type"] == "select")
        assert len(buffer_ids(msg)) == 4 and ids[1] in buffer_ids(msg)
        await k.check(f"session.select([{ids[1]}], mode='remove'); session.clear()")
        await k.wait_comm_msg(lambda d: d["type"] == "select" and d["count"] == 3)
        msg = await k.wait_comm_msg(lambda d: d["type"] == "select")
        assert msg["content"]["data"]["count"] == 0
        got = await state(k)
        assert got["selected"] == [] and got["n"] == 0

        # Select-all in the grid arrives as a filter and is resolved through the server.
        k.send_comm(
            comm_id,
            selection("f4", "toy", filter={"sample": {"split": {"in": ["train"]}}}),
        )
        got = await state(k)
        assert got["n"] == 3 and len(got["calls"]) == 2


async def test_selected_annotations_and_bad_selects(toy: str) -> None:  # noqa: F811
    async with running_kernel() as k:
        comm_id = await open_session(k)
        ids = json.loads(await k.check("print(json.dumps(vl.dataset('toy').ids().tolist()))"))
        k.send_comm(
            comm_id,
            selection("f2", "toy", count=1),
            [ids_buffer(ids[2:3])],
        )
        out = await k.check(
            "a = session.selected_annotations(); p = session.selected_annotations('m1')\n"
            "print(len(a), len(p), sorted(set(a.source)))"
        )
        assert out.strip() == "5 2 ['ground_truth', 'm1']"
        result = await k.execute("session.select([10**9])")
        assert "1 of the 1 ids are not samples of dataset 'toy'" in result["error"]
        result = await k.execute("session.select('abc')")
        assert "select() takes sample ids" in result["error"]
        result = await k.execute("session.select([[1, 2], [3, 4]])")
        assert "flat list of sample ids" in result["error"]
        result = await k.execute("session.select([1], mode='toggle')")
        assert "mode must be" in result["error"]
        result = await k.execute("session.filter({'sample': {'nope': {'eq': 1}}})")
        assert "unknown sample field 'nope'" in result["error"]


async def test_filter_and_view(toy: str) -> None:  # noqa: F811
    async with running_kernel() as k:
        comm_id = await open_session(k)
        out = await k.check("print(session.filter({'sample': {'split': {'in': ['val']}}}))")
        assert out.strip() == "2"
        msg = await k.wait_comm_msg(lambda d: d["type"] == "filter")
        assert msg["content"]["data"]["filter"] == {"sample": {"split": {"in": ["val"]}}}
        assert (await state(k))["view"] == {"sample": {"split": {"in": ["val"]}}}
        # The user changes the filter in the panels.
        k.send_comm(
            comm_id,
            {
                "v": 1,
                "type": "view",
                "id": "f5",
                "dataset": "toy",
                "filter": {"tags": {"any": ["x"]}},
            },
        )
        assert (await state(k))["view"] == {"tags": {"any": ["x"]}}
        await k.check("session.view = None")
        msg = await k.wait_comm_msg(lambda d: d["type"] == "filter")
        assert msg["content"]["data"]["filter"] is None
        await k.check("session.show()")
        msg = await k.wait_comm_msg(lambda d: d["type"] == "request")
        assert msg["content"]["data"]["method"] == "open"
        assert msg["content"]["data"]["params"] == {"dataset": "toy"}


async def test_sessions_on_two_datasets(toy: str, vl_app: Any) -> None:  # noqa: F811
    from tests.notebook_fixtures import write_synthetic

    write_synthetic(vl_app.catalog, "syn", 20, 1)
    async with running_kernel() as k:
        comm_a = await open_session(k, "toy", "sa")
        comm_b = await open_session(k, "syn", "sb")
        syn_ids = json.loads(await k.check("print(json.dumps(vl.dataset('syn').ids().tolist()))"))
        # A selection for 'syn' reaches session b only, even if sent on a's comm.
        for comm_id in (comm_a, comm_b):
            k.send_comm(
                comm_id,
                selection("x", "syn", count=4),
                [ids_buffer(syn_ids[:4])],
            )
        assert (await state(k, "sa"))["selected"] == []
        got = await state(k, "sb")
        assert got["selected"] == syn_ids[:4] and got["n"] == 4


async def test_protocol_errors_resume_and_close(toy: str) -> None:  # noqa: F811
    async with running_kernel() as k:
        comm_id = await open_session(k)
        k.send_comm(comm_id, {"v": 2, "type": "selection", "id": "bad"})
        msg = await k.wait_comm_msg(lambda d: d["type"] == "error")
        assert msg["content"]["data"]["reply_to"] == "bad"
        assert "protocol version 2 is not supported" in msg["content"]["data"]["message"]
        k.send_comm(
            comm_id,
            selection("bad2", "toy", count=5),
            [ids_buffer([1, 2])],
        )
        msg = await k.wait_comm_msg(lambda d: d["type"] == "error")
        assert "5 ids announced, 2 received" in msg["content"]["data"]["message"]
        assert (await state(k))["selected"] == []
        # A message without a field of its type (comm_messages.json) is answered with error.
        k.send_comm(comm_id, {"v": 1, "type": "view", "id": "bad3", "dataset": "toy"})
        msg = await k.wait_comm_msg(lambda d: d["type"] == "error")
        data = msg["content"]["data"]
        assert data["reply_to"] == "bad3" and "needs the field 'filter'" in data["message"]

        # A reloaded page re-attaches to the comm and asks who it is.
        k.send_comm(comm_id, {"v": 1, "type": "hello", "id": "r1", "resume": True})
        msg = await k.wait_comm_msg(lambda d: d["type"] == "hello")
        data = msg["content"]["data"]
        assert data["reply_to"] == "r1" and data["dataset"] == "toy" and data["open"] is False

        # The frontend closes the comm (no VisionLens in that JupyterLab): clear error.
        msg = k.kc.session.msg("comm_close", {"comm_id": comm_id, "data": {}})
        k.kc.session.send(k.kc.shell_channel.socket, msg)
        assert (await state(k))["closed"] is True
        out = await k.execute("session.select([])")
        assert "this session is closed" in out["error"]


def test_open_outside_a_kernel() -> None:
    from types import SimpleNamespace

    from visionlens_jlab.notebook.session import Session

    with pytest.raises(VisionLensError, match="run it in a notebook"):
        Session(SimpleNamespace(name="toy"))  # type: ignore[arg-type]  # only its name is read


def test_ids_buffers() -> None:
    array, wire = P.encode_ids([5, 3, 3, 2**40])
    assert array.tolist() == [3, 5, 2**40]
    assert P.decode_ids([bytes(wire)], 3).tolist() == [3, 5, 2**40]
    assert P.decode_ids([], 0).tolist() == []
    with pytest.raises(P.ProtocolError, match="whole number"):
        P.decode_ids([b"123"], None)
    with pytest.raises(P.ProtocolError, match="no buffer"):
        P.decode_ids([], 2)


def test_sorted_ids_cross_the_wire_without_a_copy() -> None:
    # What the frontend sends and the server returns is sorted and unique: decoding and
    # encoding a 100K selection must not copy, hash or sort it (np.unique's hash table
    # costs 100s of ms; the distinct values themselves: tests/test_int_unique.py).
    wire = np.arange(1, 100_001, dtype="<i8").tobytes()
    decoded = P.decode_ids([wire], 100_000)
    array, out = P.encode_ids(decoded)
    assert np.shares_memory(array, np.frombuffer(wire, dtype="<i8")) and out == wire
