"""One ``dtype`` option for every model job: embedding jobs take the predict jobs' vocabulary
(``auto|float32|bfloat16|float16``), and their former ``precision`` (``auto|fp32|bf16``)
still works as a deprecated alias. A real tiny open_clip checkpoint, the real CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from visionlens_jlab import cli
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.embed.base import EmbedError
from visionlens_jlab.embed.models import parse_model
from visionlens_jlab.embed.openclip import OpenClipEmbedder
from visionlens_jlab.embed.registry import load_embedder
from visionlens_jlab.jobs.accelerator import DTYPES, dtype_option

from .embed_fixtures import CARTUCHO_IMAGES, photos, save_tiny_clip
from .media_fixtures import add_dataset


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_clip(tmp_path_factory.mktemp("tiny-clip"))


def test_dtype_option_maps_the_deprecated_precision() -> None:
    assert dtype_option(None, None) == ("auto", "")
    assert dtype_option("bfloat16", None) == ("bfloat16", "")
    dtype, notice = dtype_option(None, "fp32")
    assert dtype == "float32" and "deprecated" in notice and "dtype float32" in notice
    assert dtype_option(None, "bf16")[0] == "bfloat16"
    assert dtype_option("bfloat16", "bf16")[0] == "bfloat16"  # the same meaning twice
    assert dtype_option(None, "auto")[0] == "auto"
    with pytest.raises(ValueError, match="contradicts"):
        dtype_option("float32", "bf16")
    with pytest.raises(ValueError, match="unknown precision 'float32'"):
        dtype_option(None, "float32")
    with pytest.raises(ValueError, match="unknown dtype 'fp32'"):
        dtype_option("fp32", None)


def test_open_clip_runs_in_each_dtype_asked(tiny: Path) -> None:
    spec = parse_model(None, str(tiny))
    images = [Image.open(p).convert("RGB") for p in photos(2)]
    full = load_embedder(spec, "cpu", "float32")
    reference = full.embed_images(images)
    assert full.dtype == "float32"
    for dtype in ("bfloat16", "float16"):
        low = load_embedder(spec, "cpu", dtype)
        assert isinstance(low, OpenClipEmbedder)
        vectors = low.embed_images(images)
        # asked for: used as is, no float32 check on the first batch
        assert (low.dtype, low.reduced_cosine) == (dtype, None)
        assert str(low.model.visual.conv1.weight.dtype) == f"torch.{dtype}"
        assert float((vectors * reference).sum(axis=1).min()) > 0.98
    with pytest.raises(EmbedError, match="unknown dtype 'bf16'"):
        load_embedder(spec, "cpu", "bf16")
    assert set(DTYPES) == {"auto", "float32", "bfloat16", "float16"}


def test_cli_takes_dtype_and_the_deprecated_precision(
    tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = [str(p) for p in photos(3)]
    with Catalog(tmp_path / "data") as catalog:
        for name in ("a", "b", "c"):
            add_dataset(catalog, name, str(CARTUCHO_IMAGES), files)

    def embed(name: str, *flags: str) -> tuple[int, str, str]:
        capsys.readouterr()
        argv = ["embed", name, "--checkpoint", str(tiny), "--device", "cpu", *flags]
        code = cli.main([*argv, "--data-dir", str(tmp_path / "data"), "--json"])
        out = capsys.readouterr()
        return code, out.out, out.err

    code, out, err = embed("a", "--precision", "bf16")
    assert code == 0, err
    assert '"dtype": "bfloat16"' in out and '"reduced_cosine": null' in out
    assert "--precision is deprecated: use --dtype bfloat16" in err

    code, out, err = embed("b", "--dtype", "float32")
    assert code == 0, err
    assert '"dtype": "float32"' in out and "deprecated" not in err

    code, out, err = embed("c", "--precision", "bf16", "--dtype", "float32")
    assert code != 0 and "contradicts" in err
