"""Selection proven by the model it trains, on the demo, through the product (issue #49
item 5).

The demo is built as a user builds it, ``visionlens demo --images N --data-dir TMP`` (the
drawn images, their ground truth and the weight-free built-in embedder's vectors in the
data folder's vector store); every choice is ``visionlens select demo --count K --strategy
S --seed SEED --json``, a fresh process each (``--via service`` calls ``run_selection`` in
this process instead: the same service the CLI runs, without the process start). The
vectors the classifier learns from are the ones VisionLens stored for the demo, read as
the selection reads them (the dataset's newest space).

Labels: each demo image's ground-truth **image label** (the demo's classification: the
class of its largest object, as the demo generator defines it; 8 shapes). As a control,
**scene + background** (the image's sample fields, 3 x 3): what the built-in embedder
describes (colour histograms, gradients, layout), while the shapes it hardly does. Per
label: the classifier trained on every other image (5-fold) is the vectors' ceiling, and
the largest class's share is what predicting one class scores.

Per strategy, budget K and seed: the same classifier as ``bench_select_quality.py``
(logistic regression) trained on the K chosen with their labels, scored on the rest; 10
seeds, mean and range, beside random, apricot's facility location and a plain TypiClust on
the same vectors in the same run; the seconds of each ``visionlens select`` (process start
included) and of the selection inside it.

    python benchmarks/bench_select_demo.py --images 3000 --seeds 10 [--out benchmarks/results/select.md]
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from harness import (
    checked,
    child_env,
    cli_command,
    environment,
    header,
    load_average,
    run_process,
    summary,
    table,
    write_section,
)
from select_proof import (
    REFERENCES,
    STRATEGY_SETS,
    Picker,
    accuracies,
    accuracy_table,
    goal_lines,
    remembered,
)

NAME = "demo"
IMAGE_LABEL = "image label (largest object's shape)"
CONTROL = "scene + background (control)"


@dataclass(frozen=True)
class DemoSpace:
    """The demo's stored vectors (rows in sample-id order), each row's image file and
    labels."""

    space: str
    ids: np.ndarray
    files: list[str]
    vectors: np.ndarray
    labels: dict[str, np.ndarray]


@dataclass
class Calls:
    """Seconds of the selections run, per strategy and budget: the process (``wall``, CLI
    only) and the selection inside it (its record's ``seconds``)."""

    wall: dict[tuple[str, int], list[float]]
    inner: dict[tuple[str, int], list[float]]


def build_demo(data: Path, images: int) -> float:
    """``visionlens demo`` into ``data`` (generated, ingested, embedded); its seconds."""
    argv = cli_command("demo", "--images", str(images), "--data-dir", str(data), "--json")
    done = checked(run_process(argv, env=child_env()), "visionlens demo")
    embedded = done.inner.get("embeddings", {})
    if not embedded.get("embedded") and not embedded.get("skipped"):
        raise SystemExit(f"visionlens demo embedded nothing: {done.stdout[-2000:]}")
    return done.wall_s


def read_demo(data: Path) -> DemoSpace:
    """The vectors VisionLens stored for the demo (its newest space, as ``visionlens select``
    chooses it) and the labels of those samples, read through the catalog's samples pages."""
    from visionlens_jlab.catalog import Catalog
    from visionlens_jlab.catalog.reads import queries
    from visionlens_jlab.features import load as load_features
    from visionlens_jlab.maps.store import choose_space, dataset_id_of, read_vectors
    from visionlens_jlab.vectors import open_vector_store

    load_features()
    with Catalog(data) as catalog, open_vector_store(data) as store:
        dataset_id = dataset_id_of(catalog, NAME)
        space = choose_space(store, dataset_id, None)
        got, vectors = read_vectors(store, space.name, store.ids(space.name, dataset_id))
        order = np.argsort(got, kind="stable")
        ids, vectors = np.asarray(got, dtype=np.int64)[order], vectors[order]
        samples: dict[int, dict[str, Any]] = {}
        page = queries.MAX_PAGE
        for offset in range(0, len(ids) + page, page):
            found = queries.samples_page(catalog, NAME, None, offset=offset, limit=page)
            samples.update((s["sample_id"], s) for s in found["samples"])
    rows = [samples[int(i)] for i in ids]
    shape = [next(c["label"] for c in s["classifications"] if c["source"] == "ground_truth")
             for s in rows]  # fmt: skip
    scene = [f"{s['fields']['scene']} / {s['fields']['background']}" for s in rows]
    labels = {IMAGE_LABEL: _codes(shape), CONTROL: _codes(scene)}
    return DemoSpace(space.name, ids, [s["file_name"] for s in rows], vectors, labels)


def _codes(labels: list[str]) -> np.ndarray:
    classes = sorted(set(labels))
    return np.array([classes.index(label) for label in labels])


def selection_picker(
    data: Path, demo: DemoSpace, name: str, via: str, calls: Calls | None = None
) -> Picker:
    """Strategy ``name`` of :data:`STRATEGY_SETS` as VisionLens runs it on the demo: a
    ``visionlens select`` process per (K, seed) (``via="cli"``), or ``run_selection`` in this
    process (``"service"``); its choice as rows of ``demo``, remembered so that every label
    scores the same choice."""
    words = ",".join(STRATEGY_SETS[name])
    chosen: dict[tuple[int, int], np.ndarray] = {}

    def pick(x: np.ndarray, k: int, seed: int) -> np.ndarray:
        if (k, seed) not in chosen:
            tag = f"bench-{words.replace(',', '-')}-{k}-{seed}"
            if via == "cli":
                argv = cli_command(
                    "select", NAME, "--count", str(k), "--strategy", words,
                    "--seed", str(seed), "--tag", tag, "--json", "--data-dir", str(data),
                )  # fmt: skip
                done = checked(run_process(argv, env=child_env()), f"select {words}")
                answer, wall = done.inner, done.wall_s
            else:
                answer, wall = select_in_process(data, k, words, seed, tag), None
            if calls is not None:
                calls.inner.setdefault((name, k), []).append(float(answer["seconds"]))
                if wall is not None:
                    calls.wall.setdefault((name, k), []).append(wall)
            rows = np.searchsorted(demo.ids, answer["sample_ids"])
            if len(rows) != k or not np.array_equal(demo.ids[rows], answer["sample_ids"]):
                raise SystemExit(f"select {words} K={k}: chose {answer['sample_ids']!r}")
            chosen[k, seed] = rows
        return chosen[k, seed]

    return pick


def select_in_process(data: Path, k: int, words: str, seed: int, tag: str) -> dict[str, Any]:
    """``run_selection`` as the CLI runs it without a server (the ``--via service`` path)."""
    from visionlens_jlab.catalog import Catalog
    from visionlens_jlab.features import load as load_features
    from visionlens_jlab.select.request import parse_request
    from visionlens_jlab.select.service import run_selection
    from visionlens_jlab.vectors import open_vector_store

    load_features()
    body = {"count": k, "strategies": words.split(","), "seed": seed, "tag": tag}
    with Catalog(data) as catalog, open_vector_store(data) as store:
        return run_selection(catalog, store, NAME, parse_request(body))


def ceiling_table(demo: DemoSpace) -> str:
    """Per label: classes, the largest class's share, and the classifier trained on every
    other image (5-fold cross-validation): what the stored vectors can teach at most."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_score

    rows = []
    for label, y in demo.labels.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cv = cross_val_score(LogisticRegression(max_iter=3000), demo.vectors, y, cv=5)
        share = np.bincount(y).max() / len(y)
        rows.append([label, str(y.max() + 1), f"{share:.3f}", f"{cv.mean():.3f}"])
    head = ["label", "classes", "largest class's share", "trained on all others (5-fold)"]
    return table(head, rows)


def mix_table(demo: DemoSpace, pickers: dict[str, Picker], budgets: list[int], seeds: int) -> str:
    """What the choice's class mix alone is worth, per strategy and budget (image label):
    the chosen set's most common class predicted for every other image (mean over seeds),
    and how many of the classes the choice holds. Where the vectors hardly describe the
    label, the classifier trained on a small choice scores about this."""
    y = demo.labels[IMAGE_LABEL]
    rows = []
    for name, pick in pickers.items():
        cells = []
        for k in budgets:
            scores, held = [], []
            for seed in range(seeds):
                chosen = pick(demo.vectors, k, seed)
                rest = np.setdiff1d(np.arange(len(y)), chosen)
                top = np.bincount(y[chosen]).argmax()
                scores.append(float(np.mean(y[rest] == top)))
                held.append(len(set(y[chosen].tolist())))
            cells.append(f"{np.mean(scores):.3f}, {np.mean(held):.1f} classes")
        rows.append([name, *cells])
    return table(["strategy", *[f"K = {k}" for k in budgets]], rows)


def time_table(calls: Calls, budgets: list[int]) -> str:
    """Median (range) seconds of each strategy's selections over its seeds, per budget."""
    rows = []
    for name in STRATEGY_SETS:
        cells = []
        for k in budgets:
            inner = summary(calls.inner[name, k]).fmt(2, "s")
            wall = calls.wall.get((name, k))
            cells.append(f"{summary(wall).fmt(1, 's')} / {inner}" if wall else inner)
        rows.append([name, *cells])
    return table(["strategy", *[f"K = {k}" for k in budgets]], rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=3000)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--budgets", default="20,50,100,200")
    parser.add_argument("--via", choices=("cli", "service"), default="cli")
    parser.add_argument(
        "--data", help="a data folder to build the demo in and keep (default: a temporary one)"
    )
    parser.add_argument(
        "--out",
        type=Path,
        help="also write the result as a section on top of this results file (e.g. "
        "benchmarks/results/select.md), in place of an earlier run's with the same title",
    )
    args = parser.parse_args()
    budgets = [int(b) for b in args.budgets.split(",")]
    env, load_start = environment(), load_average()
    kept = contextlib.nullcontext(args.data) if args.data else None
    with kept or tempfile.TemporaryDirectory(prefix="vl-select-demo-") as where:
        data = Path(where)
        built = build_demo(data, args.images)
        demo = read_demo(data)
        calls = Calls({}, {})
        pickers: dict[str, Picker] = {
            **{name: remembered(pick) for name, pick in REFERENCES.items()},
            **{name: selection_picker(data, demo, name, args.via, calls) for name in STRATEGY_SETS},
        }
        values = {
            label: accuracies(demo.vectors, y, pickers, budgets, args.seeds)
            for label, y in demo.labels.items()
        }
        mix = mix_table(demo, pickers, budgets, args.seeds)
    budgets_text = ", ".join(map(str, budgets))
    title = f"Selection on the demo ({len(demo.ids):,} images, via {args.via}, K = {budgets_text})"
    what = "`visionlens select` process / selection inside it" if args.via == "cli" else ""
    parts = [
        header(title, env, load_start, load_average()),
        f"`visionlens demo --images {args.images}` (generate, ingest, embed): {built:.1f} s; "
        f"space `{demo.space}`, {demo.vectors.shape[1]}-d.\n",
        "#### What the stored vectors hold\n",
        ceiling_table(demo),
    ]
    for label, by_name in values.items():
        parts += [
            f"\n#### Accuracy of the classifier trained on the K chosen: {label}\n",
            accuracy_table(by_name),
            "\nGoals (issue #49 item 5), on these means:\n",
            "\n".join(goal_lines(by_name)),
        ]
    parts += [
        "\n#### The choice's class mix alone (image label): its most common class predicted\n",
        mix,
        f"\n#### Seconds per selection, median (range) over {args.seeds} seeds: {what}\n",
        time_table(calls, budgets),
    ]
    text = "\n".join(parts)
    print(text)
    if args.out:  # this run's section only: the other sections of the file stay
        write_section(args.out, f"## {title}", text, top=True)


if __name__ == "__main__":
    from harness import run_locked

    run_locked(main)
