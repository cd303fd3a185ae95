"""The demo's selection benchmark (``benchmarks/bench_select_demo.py``) on a tiny demo, so
that it cannot rot: ``visionlens demo`` builds and embeds it, the stored vectors line up
with the images and labels they belong to (checked against the demo's own files and the
built-in embedder run here), ``visionlens select`` and the in-process service make the same
choice, and the goal check of ``select_proof`` reads the means as the issue states them."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np
import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import bench_select_demo as bench  # noqa: E402 - after the benchmarks folder is on the path
import select_proof  # noqa: E402

from visionlens_jlab.embed.builtin import ColorGradientEmbedder  # noqa: E402
from visionlens_jlab.embed.decode import decode  # noqa: E402


@pytest.fixture(scope="module")
def tiny_demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bench.DemoSpace]:
    data = tmp_path_factory.mktemp("demo")
    bench.build_demo(data, 40)
    return data, bench.read_demo(data)


def test_the_stored_vectors_and_labels_are_the_demo_images(
    tiny_demo: tuple[Path, bench.DemoSpace],
) -> None:
    data, demo = tiny_demo
    sources = data / "demo-sources" / "demo"
    with (sources / "image_labels.csv").open() as f:
        truth = {row["file_name"]: row["label"] for row in csv.DictReader(f)}
    assert sorted(demo.files) == sorted(truth) and len(demo.ids) == 40
    classes = sorted(set(truth.values()))
    shapes = demo.labels[bench.IMAGE_LABEL]
    assert [classes[c] for c in shapes] == [truth[name] for name in demo.files]
    rows = [0, 17, 39]
    embedder = ColorGradientEmbedder()
    # decoded as the embedding job decodes them (JPEG at a reduced DCT scale)
    pixels = [decode((sources / "images" / demo.files[r]).read_bytes(), embedder.input_spec)
              for r in rows]  # fmt: skip
    again = embedder.embed_images(np.stack(pixels))
    np.testing.assert_allclose(demo.vectors[rows], again, atol=1e-4)


def test_the_cli_and_the_service_choose_the_same(tiny_demo: tuple[Path, bench.DemoSpace]) -> None:
    data, demo = tiny_demo
    calls = bench.Calls({}, {})
    cli = bench.selection_picker(data, demo, "representativeness", "cli", calls)
    service = bench.selection_picker(data, demo, "representativeness", "service")
    chosen = cli(demo.vectors, 8, 0)
    assert len(set(chosen.tolist())) == 8
    np.testing.assert_array_equal(np.sort(chosen), np.sort(service(demo.vectors, 8, 0)))
    assert list(calls.wall) == [("representativeness", 8)]
    values = select_proof.accuracies(
        demo.vectors, demo.labels[bench.CONTROL], {"representativeness": cli}, [8], 1
    )
    assert 0.0 <= values["representativeness"][8][0] <= 1.0


def test_the_goals_are_read_as_the_issue_states_them() -> None:
    def run(**means: tuple[float, float]) -> dict[str, dict[int, list[float]]]:
        return {name.replace("_", " "): {20: [a], 50: [b]} for name, (a, b) in means.items()}

    names = {"random": select_proof.RANDOM, "apricot": select_proof.APRICOT}
    values = {names.get(k, k): v for k, v in run(
        random=(0.60, 0.80), apricot=(0.80, 0.90), typicality=(0.79, 0.87),
        diversity=(0.55, 0.85),
    ).items()}  # fmt: skip
    lines = select_proof.goal_lines(values)
    assert "random + 19.0 points" in lines[0] and lines[0].endswith("**met**")
    assert "random + 7.0 points" in lines[1] and "apricot -3.0" in lines[1]
    assert lines[1].endswith("**not met**")  # 3 points under apricot
    assert lines[2] == "- K = 20: under random: diversity (-5.0)"
    assert lines[3] == "- K = 50: none under random"


def test_out_replaces_the_runs_own_section_and_keeps_the_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    title = "## Selection on the demo (40 images, via service, K = 8)"
    earlier = "# Selection\n\n## An earlier, hand-written section\n\nKept.\n"
    results = tmp_path / "select.md"
    results.write_text(f"{earlier}\n{title} (an earlier run)\n\nOld figures.\n")
    argv = ["bench_select_demo.py", "--images", "40", "--seeds", "1", "--budgets", "8"]
    argv += ["--via", "service", "--data", str(tmp_path / "demo"), "--out", str(results)]
    monkeypatch.setattr(sys, "argv", argv)
    bench.main()
    text = results.read_text()
    assert text.startswith(earlier + "\n" + title + " (20")  # in place, dated now
    assert text.count(title) == 1 and "Old figures." not in text
    assert "#### Seconds per selection" in text  # the whole result, subsections included
