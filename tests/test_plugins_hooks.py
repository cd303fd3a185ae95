"""The embedders, blindspot_attributes and agent_tools hooks on a real server: a plugin's
model is listed and embeds a dataset into its own space, its attribute is computed and read
by the blind-spot units, and its tool is offered to (and called by) the agent."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

import numpy as np
import pytest
from PIL import Image
from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    ToolCallPart,
    ToolReturnPart,
)
from pydantic_ai.models.function import AgentInfo, FunctionModel

from tests.plugin_fixtures import EXTRAS_PLUGIN
from visionlens_jlab.blindspots.agent import build_agent
from visionlens_jlab.blindspots.units import plugin_attribute_columns

GREYS = [20, 60, 100, 140, 180, 220]


@pytest.fixture
def vl_settings(vl_data_dir: Path) -> dict[str, Any]:
    (vl_data_dir / "plugins").mkdir(parents=True)
    (vl_data_dir / "plugins" / "extras.py").write_text(EXTRAS_PLUGIN)
    return {"plugin_folder": "on"}


async def ingest_greys(api: Any, wait_job: Any, root: Path) -> None:
    images = []
    for i, grey in enumerate(GREYS):
        Image.new("RGB", (24, 16), (grey, grey, grey)).save(root / f"g{i}.png")
        images.append({"id": i + 1, "file_name": f"g{i}.png", "width": 24, "height": 16})
    coco = root / "coco.json"
    coco.write_text(json.dumps({"images": images, "annotations": [], "categories": []}))
    status, answer = await api("POST", "datasets", {"source": str(coco), "name": "greys"})
    assert status == 202 and (await wait_job(answer["job"]))["status"] == "done"


async def test_embedder_attribute_and_tool_hooks(
    api: Any, wait_job: Any, vl_app: Any, tmp_path: Path
) -> None:
    _, listing = await api("GET", "plugins")
    extras = next(p for p in listing["plugins"] if p["name"] == "extras")
    assert extras["status"] == "loaded", extras
    assert extras["hooks"] == ["embedders", "blindspot_attributes", "agent_tools"]

    status, models = await api("GET", "models", timeout=120)  # starts a worker: slow under load
    row = next(m for m in models["models"] if m["name"] == "meancolour")
    assert (row["dim"], row["source"], row["pretrained"]) == (3, "plugin extras", "plugin-0.3")

    await ingest_greys(api, wait_job, tmp_path)
    status, answer = await api("POST", "datasets/greys/embed", {"model": "meancolour"})
    assert status == 202, answer
    job = await wait_job(answer["job"])
    assert job["status"] == "done", job
    _, spaces = await api("GET", "datasets/greys/spaces")
    space = next(s for s in spaces["spaces"] if s["model"] == "meancolour")
    assert (space["dim"], space["count"], space["version"]) == (3, len(GREYS), "plugin-0.3")

    status, answer = await api("POST", "datasets/greys/plugin-fields", {"plugin": "extras"})
    job = await wait_job(answer["job"])
    assert job["status"] == "done" and job["result"]["fields"] == {"brightness": len(GREYS)}
    with vl_app.catalog.cursor() as cur:
        dataset_id = vl_app.catalog.dataset_id(cur, "greys")
        ids = np.array([r[0] for r in cur.execute(
            "SELECT sample_id FROM samples WHERE dataset_id = ? ORDER BY file_name", [dataset_id]
        ).fetchall()])  # fmt: skip
    columns = plugin_attribute_columns(vl_app.catalog, dataset_id, ids)
    assert list(columns) == ["computed.brightness"]
    assert np.allclose(columns["computed.brightness"].to_pylist(), GREYS, atol=1)

    calls: list[list[ModelMessage]] = []

    def script(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        calls.append(messages)
        if len(calls) == 1:
            assert "shout" in {t.name for t in info.function_tools}
            return ModelResponse(parts=[ToolCallPart("shout", {"text": "fog"})])
        return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, {"claims": []})])

    run = await build_agent().run("go", deps=cast(Any, None), model=FunctionModel(script))
    returns = [p for m in run.all_messages() if isinstance(m, ModelRequest) for p in m.parts
               if isinstance(p, ToolReturnPart)]  # fmt: skip
    assert returns[0].tool_name == "shout" and returns[0].content == "FOG!"
