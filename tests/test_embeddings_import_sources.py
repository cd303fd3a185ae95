"""``visionlens embeddings-import`` on files as other tools write them: file names with
another root, Windows separators or URLs, a folder of Parquet parts, columns of other names,
and rows whose vector is null or all zeros (no direction in a cosine space)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from visionlens_jlab.catalog import Catalog
from visionlens_jlab.embed.base import EmbedError
from visionlens_jlab.embed.imported import IMPORTED
from visionlens_jlab.embed.spaces import dataset_spaces
from visionlens_jlab.vectors import open_vector_store, space_name

from .media_fixtures import add_dataset
from .test_embeddings_import import cli, run_import, unit

NAMES = ["train/a.jpg", "val/a.jpg", "train/b.jpg", "val/d.jpg", "e.jpg", "sub/e.jpg"]
DIM = 4


@pytest.fixture
def data(tmp_path: Path) -> tuple[Path, dict[str, int]]:
    data_dir = tmp_path / "data"
    with Catalog(data_dir) as catalog:
        ids = add_dataset(catalog, "ds", "/data/coco", [f"/data/coco/{n}" for n in NAMES],
                          file_names=NAMES)  # fmt: skip
    return data_dir, dict(zip(NAMES, ids, strict=True))


def rows(n: int, seed: int = 0) -> list[list[float]]:
    return np.random.default_rng(seed).normal(size=(n, DIM)).astype(np.float32).tolist()


def stored(data_dir: Path, ids: list[int], space: str = "mine") -> dict[int, np.ndarray]:
    with open_vector_store(data_dir) as store:
        found, matrix = store.get_vectors(space_name(space, IMPORTED), ids)
    return {int(i): v for i, v in zip(found, matrix, strict=True)}


def counts(result: dict[str, Any]) -> dict[str, int]:
    return {code: r["count"] for code, r in result["rejected"].items() if r["count"]}


def test_file_names_as_other_tools_write_them(
    data: tuple[Path, dict[str, int]], tmp_path: Path
) -> None:
    data_dir, ids = data
    written = {
        "./train/b.jpg": "train/b.jpg",
        "val\\d.jpg": "val/d.jpg",
        "/data/coco/val/a.jpg": "val/a.jpg",  # FiftyOne's filepath
        "gs://bucket/coco/train/a.jpg": "train/a.jpg",
        "D:\\coco\\sub\\e.jpg": "sub/e.jpg",
        "/mnt/elsewhere/e.jpg": "e.jpg",
        "/mnt/elsewhere/a.jpg": None,  # train/a.jpg or val/a.jpg: reported, not guessed
        "gs://bucket/zz.jpg": None,
    }
    m = rows(len(written))
    table = pa.table({"file_name": list(written), "vector": pa.array(m, pa.list_(pa.float32()))})
    pq.write_table(table, tmp_path / "v.parquet")
    result = run_import(data_dir, tmp_path / "v.parquet")
    assert counts(result) == {"ambiguous_key": 1, "unknown_key": 1}
    assert result["rejected"]["ambiguous_key"]["examples"] == ["/mnt/elsewhere/a.jpg"]
    assert result["rejected"]["unknown_key"]["examples"] == ["gs://bucket/zz.jpg"]
    meant = {ids[name]: np.array(m[i]) for i, name in enumerate(written.values()) if name}
    got = stored(data_dir, list(meant))
    assert set(got) == set(meant) and result["imported"] == 6
    for sample, vector in meant.items():
        np.testing.assert_allclose(got[sample], unit(vector[None])[0], atol=1e-5)


def test_a_folder_of_parquet_parts_hive_partitioned_or_not(
    data: tuple[Path, dict[str, int]], tmp_path: Path
) -> None:
    data_dir, ids = data
    m = rows(len(NAMES))
    table = pa.table({"sample_id": list(ids.values()), "vector": m,
                      "part": [i % 2 for i in range(len(NAMES))]})  # fmt: skip
    (tmp_path / "plain").mkdir()
    for part in (0, 1):  # as Spark writes: parts beside a _SUCCESS marker
        pq.write_table(table.filter(pa.compute.equal(table["part"], part)),
                       tmp_path / "plain" / f"part-{part}.parquet")  # fmt: skip
    (tmp_path / "plain" / "_SUCCESS").write_text("")
    result = run_import(data_dir, tmp_path / "plain")
    assert (result["imported"], result["rows"]) == (len(NAMES), len(NAMES))
    pq.write_to_dataset(table, tmp_path / "hive", partition_cols=["part"])
    assert run_import(data_dir, tmp_path / "hive", "other")["imported"] == len(NAMES)
    got = stored(data_dir, list(ids.values()), "other")
    for i, sample in enumerate(ids.values()):
        np.testing.assert_allclose(got[sample], unit(np.array([m[i]]))[0], atol=1e-5)
    # a folder of something else names what it holds
    (tmp_path / "csvs").mkdir()
    (tmp_path / "csvs" / "v.csv").write_text("x\n")
    with pytest.raises(EmbedError, match=r"without .parquet or .arrow files \(it holds: v.csv\)"):
        run_import(data_dir, tmp_path / "csvs", "third")


def test_a_hugging_face_save_to_disk_folder_of_arrow_streams(
    data: tuple[Path, dict[str, int]], tmp_path: Path
) -> None:
    """``datasets``' ``save_to_disk`` writes Arrow streams (``data-0000K-of-0000N.arrow``)
    beside ``state.json`` and ``dataset_info.json``: its shards are read in order."""
    data_dir, ids = data
    m = rows(len(NAMES))
    table = pa.table({"image_path": [f"/data/coco/{n}" for n in NAMES],
                      "embeddings": pa.array(m, pa.list_(pa.float32()))})  # fmt: skip
    folder = tmp_path / "hf"
    folder.mkdir()
    for k, (start, stop) in enumerate([(0, 4), (4, len(NAMES))]):
        shard = table.slice(start, stop - start)
        with pa.OSFile(str(folder / f"data-0000{k}-of-00002.arrow"), "wb") as sink:
            with pa.ipc.new_stream(sink, shard.schema) as writer:
                writer.write_table(shard)
    (folder / "state.json").write_text('{"_data_files": []}')
    (folder / "dataset_info.json").write_text("{}")
    result = run_import(data_dir, folder, vector_column="embeddings", id_column="image_path")
    assert (result["imported"], result["rows"]) == (len(NAMES), len(NAMES))
    got = stored(data_dir, list(ids.values()))
    for i, sample in enumerate(ids.values()):
        np.testing.assert_allclose(got[sample], unit(np.array([m[i]]))[0], atol=1e-5)


def test_null_zero_and_non_finite_vectors_have_their_own_reasons(
    data: tuple[Path, dict[str, int]], tmp_path: Path
) -> None:
    data_dir, ids = data
    m = rows(3)
    vectors = [m[0], None, [0.0] * DIM, [-0.0] * DIM, [1.0, float("inf"), 0.0, 0.0], m[1]]
    table = pa.table({"file_name": NAMES, "vector": pa.array(vectors, pa.list_(pa.float32()))})
    pq.write_table(table, tmp_path / "v.parquet")
    result = run_import(data_dir, tmp_path / "v.parquet")
    assert counts(result) == {"null_vector": 1, "zero_vector": 2, "not_finite": 1}
    assert result["rejected"]["null_vector"]["examples"] == ["val/a.jpg"]
    assert result["rejected"]["zero_vector"]["examples"] == ["train/b.jpg", "val/d.jpg"]
    assert result["imported"] == 2
    assert set(stored(data_dir, list(ids.values()))) == {ids["train/a.jpg"], ids["sub/e.jpg"]}
    # nothing stored holds NaN (what a zero vector normalized would be)
    assert all(np.isfinite(v).all() for v in stored(data_dir, list(ids.values())).values())


def test_vector_and_id_columns_of_other_names(
    data: tuple[Path, dict[str, int]], tmp_path: Path
) -> None:
    data_dir, ids = data
    m = rows(len(NAMES))
    table = pa.table({"filepath": [f"/data/coco/{n}" for n in NAMES], "clip_vec": m,
                      "vector": ["not this"] * len(NAMES)})  # fmt: skip
    pq.write_table(table, tmp_path / "v.parquet")
    result = run_import(data_dir, tmp_path / "v.parquet", vector_column="clip_vec",
                        id_column="filepath")  # fmt: skip
    assert (result["imported"], result["key"]) == (len(NAMES), "file_name")
    # numbers in a column of another name: say what they are
    numbered = pa.table({"id": list(ids.values()), "clip_vec": m})
    pq.write_table(numbered, tmp_path / "n.parquet")
    with pytest.raises(EmbedError, match="say what the 'id' column holds: --key sample_id"):
        run_import(data_dir, tmp_path / "n.parquet", vector_column="clip_vec", id_column="id")
    assert run_import(data_dir, tmp_path / "n.parquet", "by-id", key="sample_id",
                      vector_column="clip_vec", id_column="id")["imported"] == len(NAMES)  # fmt: skip
    with pytest.raises(EmbedError, match="no 'vector' column .* name another with --vector-col"):
        run_import(data_dir, tmp_path / "n.parquet", "x", id_column="id", key="sample_id")
    # the CLI's options
    out = cli(data_dir, "embeddings-import", "ds", str(tmp_path / "v.parquet"), "--space",
              "cli", "--vector-column", "clip_vec", "--id-column", "filepath")  # fmt: skip
    assert out.returncode == 0, out.stderr
    with Catalog(data_dir) as catalog, open_vector_store(data_dir) as store:
        spaces = {row["model"]: row["count"] for row in dataset_spaces(catalog, store, "ds")}
    assert spaces == {"mine": len(NAMES), "by-id": len(NAMES), "cli": len(NAMES)}
