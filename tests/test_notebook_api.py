"""The notebook DataFrame API, run in a real kernel against a real Jupyter server."""

from __future__ import annotations

import io
import json
from typing import Any

import pyarrow as pa
import pytest

from tests.catalog_fixtures import PredictionRowsSource, RowsSource, prediction_rows, toy_rows
from tests.notebook_fixtures import running_kernel
from visionlens_jlab.catalog.writes.dataset_writer import write_dataset, write_predictions


@pytest.fixture
def toy(vl_app: Any, http_server_client: Any) -> str:
    """The six-sample toy dataset with model 'm1', written through the server's catalog.

    ``http_server_client`` makes the test server listen on its port, so kernels reach it.
    """
    write_dataset(vl_app.catalog, "toy", RowsSource(*toy_rows()))
    write_predictions(vl_app.catalog, "toy", "m1", PredictionRowsSource(prediction_rows()))
    return "toy"


def _arrow(raw: bytes) -> pa.Table:
    return pa.ipc.open_stream(io.BytesIO(raw)).read_all()


async def test_export_samples_endpoint(api: Any, toy: str) -> None:
    status, raw = await api(
        "POST", f"datasets/{toy}/export/samples", {"filter": {"sample": {"split": {"in": ["val"]}}}}
    )
    assert status == 200
    table = _arrow(raw)
    assert table.column("file_name").to_pylist() == ["c.jpg", "d.jpg"]
    assert table.column("box_count.ground_truth").to_pylist() == [3, 1]
    assert table.column("box_count.m1").to_pylist() == [2, 0]
    assert json.loads(table.column("fields")[0].as_py()) == {"weather": "rain", "brightness": 0.5}
    assert table.column("tags").to_pylist() == [[], []]
    for compression in ("lz4", "zstd"):  # compressed buffers decode to the same table
        status, packed = await api(
            "POST",
            f"datasets/{toy}/export/samples",
            {"filter": {"sample": {"split": {"in": ["val"]}}}, "compression": compression},
        )
        assert status == 200 and _arrow(packed).equals(table)


async def test_export_annotations_endpoint(api: Any, toy: str) -> None:
    status, raw = await api("POST", f"datasets/{toy}/export/annotations", {"source": "m1"})
    assert status == 200
    table = _arrow(raw)
    assert table.num_rows == 5  # the prediction on unknown image "999" was never written
    assert set(table.column("source").to_pylist()) == {"m1"}
    status, raw = await api(
        "POST",
        f"datasets/{toy}/export/annotations",
        {"filter": {"labels": {"classes": ["dog"]}}, "source": "ground_truth"},
    )
    table = _arrow(raw)
    assert table.column("label").to_pylist() == ["cat", "dog"]  # every box of sample a.jpg
    assert json.loads(table.column("attributes")[1].as_py()) == {"truncated": True}
    assert table.column_names == [
        "ann_id", "sample_id", "source", "label", "x", "y", "w", "h", "score", "area",
        "iscrowd", "difficult", "source_ann_id", "segmentation", "attributes",
        "keypoints", "num_keypoints", "mask_area", "obb", "polyline", "image_width", "image_height",
        "eval_status", "eval_iou", "eval_matched_ann_id", "eval_error_type", "eval_confused_with",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("path", "body", "status", "needle"),
    [
        ("datasets/nope/export/samples", {}, 404, "no dataset named 'nope'"),
        ("datasets/toy/export/samples", {"filter": {"bogus": 1}}, 400, "unknown filter keys"),
        (
            "datasets/toy/export/samples",
            {"filter": [1]},
            400,
            "'filter': [1] is not of type 'object'",
        ),
        ("datasets/toy/export/annotations", {"source": "m2"}, 400, "unknown source 'm2'"),
        (
            "datasets/toy/export/annotations",
            {"source": 3},
            400,
            "'source': 3 is not of type 'string'",
        ),
        (
            "datasets/toy/export/samples",
            {"compression": "gzip"},
            400,
            "'compression': 'gzip' is not one of",
        ),
        (
            "datasets/toy/export/annotations",
            {"evaluation": 1},
            400,
            "'evaluation': 1 is not of type 'string'",
        ),
    ],
)
async def test_export_errors(
    api: Any, toy: str, path: str, body: dict[str, Any], status: int, needle: str
) -> None:
    code, answer = await api("POST", path, body)
    assert code == status
    assert needle in answer["message"]


async def test_dataframes_in_a_kernel(toy: str) -> None:
    async with running_kernel() as k:
        out = await k.check(
            "import json, visionlens_jlab.notebook as vl\n"
            "d = vl.datasets()\n"
            "ds = vl.dataset('toy')\n"
            "tagged = ds.tag(['review', 'x'], {'sample': {'file_name': {'eq': 'c.jpg'}}})\n"
            "s = ds.samples(filter={'sample': {'split': {'in': ['val']}}})\n"
            "gt = ds.annotations(source='ground_truth')\n"
            "pr = ds.annotations(source='predictions')\n"
            "one = ds.annotations(filter={'ids': s.sample_id[:1]}, source='m1')\n"
            "print(json.dumps({'names': d.name.tolist(), 'models': d.models.tolist(),\n"
            "  'files': s.file_name.tolist(), 'gt': s['box_count.ground_truth'].tolist(),\n"
            "  'm1': s['box_count.m1'].tolist(), 'weather': s['fields.weather'].tolist(), 'bright': s['fields.brightness'].tolist(), 'cols': s.columns.tolist(),\n"
            "  'tags': [sorted(t) for t in s.tags], 'tagged': tagged, 'n_gt': len(gt), 'n_pr': len(pr),\n"
            "  'labels': sorted(gt.label.unique().tolist()), 'one': one.label.tolist(),\n"
            "  'count': ds.count({'tags': {'any': ['x']}}), 'len': len(ds),\n"
            "  'ids': ds.ids({'sample': {'split': {'in': ['test']}}}).tolist()}))\n"
        )
        got = json.loads(out)
        assert got["names"] == ["toy"] and got["models"] == [["m1"]]
        assert got["files"] == ["c.jpg", "d.jpg"]
        assert got["gt"] == [3, 1] and got["m1"] == [2, 0]
        assert got["weather"] == ["rain", "fog"] and got["bright"][0] == 0.5
        assert got["cols"][:8] == [
            "sample_id",
            "file_name",
            "location",
            "width",
            "height",
            "split",
            "source_image_id",
            "tags",
        ]
        assert got["cols"][-2:] == ["box_count.ground_truth", "box_count.m1"]
        assert got["tags"] == [["review", "x"], []] and got["tagged"] == 1
        assert got["n_gt"] == 7 and got["n_pr"] == 5
        assert got["labels"] == ["cat", "dog", 'o\'brien "x"', "person"]
        assert sorted(got["one"]) == ["cat", "person"]  # m1's boxes on c.jpg
        assert got["count"] == 1 and got["len"] == 6 and len(got["ids"]) == 1


async def test_kernel_errors_are_clear(toy: str) -> None:
    async with running_kernel() as k:
        await k.check("import visionlens_jlab.notebook as vl")
        out = await k.execute("vl.dataset('missing')")
        assert out["error"] == "VisionLensError: no dataset named 'missing' (HTTP 404)"
        out = await k.execute("vl.dataset('toy').samples(filter={'labels': {'score': 'high'}})")
        assert out["error"] == (
            "VisionLensError: 'filter.labels.score': 'high' is not of type 'object' (HTTP 400)"
        )
        out = await k.execute("vl.dataset('toy').annotations(source='nobody')")
        assert "unknown source 'nobody'" in out["error"]
        out = await k.execute("vl.dataset('toy').samples(filter='split == val')")
        assert "a filter is a dict" in out["error"]
        out = await k.execute("vl.connect('http://127.0.0.1:9/', 'x'); vl.datasets()")
        assert "cannot reach the Jupyter server at http://127.0.0.1:9/" in out["error"]
        assert "vl.connect(" in out["error"]


async def test_jupyterhub_token_fallback(jp_serverapp: Any, toy: str) -> None:
    # Under JupyterHub VISIONLENS_TOKEN is empty and the hub's API token authenticates.
    token = jp_serverapp.identity_provider.token
    async with running_kernel({"VISIONLENS_TOKEN": "", "JUPYTERHUB_API_TOKEN": token}) as k:
        assert (
            await k.check("import visionlens_jlab.notebook as vl; print(len(vl.dataset('toy')))")
        ).strip() == "6"
    async with running_kernel({"VISIONLENS_TOKEN": "wrong"}) as k:
        out = await k.execute("import visionlens_jlab.notebook as vl; vl.datasets()")
        assert "refused the credentials (HTTP 403)" in out["error"] or "(HTTP 401)" in out["error"]


async def test_kernel_without_a_server(tmp_path: Any) -> None:
    # No server at all: nothing in the environment, no server.json in the data dir.
    env = {"VISIONLENS_SERVER_URL": "", "VISIONLENS_DATA_DIR": str(tmp_path)}
    async with running_kernel(env) as k:
        out = await k.execute("import visionlens_jlab.notebook as vl; vl.datasets()")
        assert out["error"].startswith("VisionLensError: no VisionLens server found")
        assert "vl.connect('http://127.0.0.1:8888/', token=" in out["error"]


async def test_annotations_carry_evaluation_status(api: Any, toy: str, vl_app: Any) -> None:
    from visionlens_jlab.evaluate import evaluate_model

    status, raw = await api("POST", f"datasets/{toy}/export/annotations", {})
    assert status == 200
    assert set(_arrow(raw).column("eval_status").to_pylist()) == {None}  # nothing evaluated

    evaluate_model(vl_app.catalog, toy, "m1", protocol="voc", iou=0.5)
    status, raw = await api("POST", f"datasets/{toy}/export/annotations", {})
    table = _arrow(raw)
    rows = table.select(["source", "label", "eval_status", "eval_error_type"]).to_pylist()
    preds = [r for r in rows if r["source"] == "m1"]
    gt = [r for r in rows if r["source"] == "ground_truth"]
    # Every prediction is a 3x4 box at (1, 2): only c.jpg's 5x5 cat at (1, 1) overlaps one
    # (IoU 0.48 < 0.5: a localization error); the others hit background.
    assert sorted((r["label"], r["eval_status"], r["eval_error_type"]) for r in preds) == [
        ("cat", "fp", "background"), ("cat", "fp", "localization"),
        ("dog", "fp", "background"), ("dog", "fp", "background"),
        ("person", "fp", "background"),
    ]  # fmt: skip
    # The only evaluated model gives the ground truth its status; 'dog' is difficult.
    assert sorted((r["label"], r["eval_status"]) for r in gt) == sorted(
        [("cat", "fn")] * 3 + [("person", "fn")] * 2 + [('o\'brien "x"', "fn"), ("dog", "ignored")]
    )
    code, answer = await api("POST", f"datasets/{toy}/export/annotations", {"evaluation": "nobody"})
    assert code == 400 and "'evaluation' must name a model" in answer["message"]


async def test_real_coco_subset_in_a_kernel(vl_app: Any, http_server_client: Any) -> None:
    from tests.paths import DATASETS
    from visionlens_jlab.ingest.open import open_dataset

    path = DATASETS / "coco-val2014-100" / "annotations" / "instances_val2014_100.json"
    coco = json.loads(path.read_text())
    summary = write_dataset(vl_app.catalog, "coco-val", open_dataset(str(path)))
    assert summary.samples == len(coco["images"])
    async with running_kernel() as k:
        out = await k.check(
            "import json, visionlens_jlab.notebook as vl\n"
            "ds = vl.dataset('coco-val')\n"
            "s, a = ds.samples(), ds.annotations(source='ground_truth')\n"
            "crowd = ds.annotations(filter={'labels': {'where': {'iscrowd': {'eq': True}}}})\n"
            "print(json.dumps({'n': len(s), 'boxes': len(a), 'sum': int(s['box_count.ground_truth'].sum()),\n"
            "  'files': sorted(s.file_name)[:3], 'crowd_samples': crowd.sample_id.nunique(),\n"
            "  'per_image': {int(i): int(n) for i, n in a.groupby('sample_id').size().items()}\n"
            "      == {int(i): int(n) for i, n in zip(s.sample_id, s['box_count.ground_truth']) if n},\n"
            "  'labels': int(a.label.nunique()), 'seg': sum(x is not None for x in a.segmentation)}))\n"
        )
    got = json.loads(out)
    n_crowd_images = len({a["image_id"] for a in coco["annotations"] if a["iscrowd"]})
    assert got["n"] == len(coco["images"])
    assert got["boxes"] == summary.annotations == got["sum"]
    assert got["files"] == sorted(i["file_name"] for i in coco["images"])[:3]
    assert got["crowd_samples"] == n_crowd_images
    assert got["per_image"] is True
    assert got["labels"] == len({a["category_id"] for a in coco["annotations"]})
    assert got["seg"] == got["boxes"]  # every COCO box here has a polygon or RLE


async def test_kernel_finds_the_server_through_server_json(toy: str, vl_data_dir: Any) -> None:
    # A kernel without the URL variable (started elsewhere) but sharing the data dir.
    assert (vl_data_dir / "server.json").exists()
    async with running_kernel({"VISIONLENS_SERVER_URL": "", "VISIONLENS_TOKEN": ""}) as k:
        out = await k.check(
            "import visionlens_jlab.notebook as vl\n"
            "c = vl.connect()\nprint(len(vl.dataset('toy')), c.origin.endswith('server.json'))"
        )
        assert out.split() == ["6", "True"]
