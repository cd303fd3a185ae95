"""Selection on the edges a real user hits, through the service's public functions: bounds
the record cannot keep, shares and model pairs that would choose nothing or everything by
accident, a tag already in use, and samples deleted while the run chose them (nothing is
written: the record and the tag commit together)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from visionlens_jlab.catalog import Catalog, ConflictError
from visionlens_jlab.catalog.reads.queries import sample_ids
from visionlens_jlab.catalog.writes.dataset_writer import write_dataset, write_predictions
from visionlens_jlab.catalog.writes.sample_tags import update_tags
from visionlens_jlab.edits.sample_deletes import delete_samples
from visionlens_jlab.embed.imported import import_embeddings
from visionlens_jlab.select.records import list_selections
from visionlens_jlab.select.request import SelectionError, parse_request
from visionlens_jlab.select.score_gains import classification_uncertainty
from visionlens_jlab.select.service import run_selection
from visionlens_jlab.semantic.ingest import ingest_semantic
from visionlens_jlab.semantic.layouts import open_semantic
from visionlens_jlab.vectors import open_vector_store

from .media_fixtures import add_dataset
from .semantic_fixtures import write_voc
from .test_embeddings_import import cli
from .test_evaluate_classification import CLASSES, LabelsSource

N = 12


@pytest.fixture
def pics(tmp_path: Path) -> Any:
    """Twelve images of three classes, ground truth on each."""
    catalog = Catalog(tmp_path / "catalog")
    gt = [{"sample_index": i, "label": CLASSES[i % 3]} for i in range(N)]
    write_dataset(catalog, "pics", LabelsSource(N, gt))
    yield catalog, sample_ids(catalog, "pics", None).to_numpy()
    catalog.close()


def _select(catalog: Catalog, **body: Any) -> dict[str, Any]:
    return run_selection(catalog, None, "pics", parse_request(body), user="tester")


def test_a_seed_past_64_bits_is_refused_before_the_run(pics: Any) -> None:
    catalog, _ = pics
    with pytest.raises(SelectionError, match="'seed' must be a whole number from 0 to"):
        _select(catalog, count=2, strategies="random", seed=2**63)
    assert _select(catalog, count=2, strategies="random", seed=2**63 - 1)["chosen"] == 2
    assert [s["seed"] for s in list_selections(catalog, "pics")] == [2**63 - 1]


def test_an_infinite_balance_share_is_refused(pics: Any) -> None:
    """JSON's ``Infinity`` parses: a share of it made every share NaN and chose nothing."""
    catalog, _ = pics
    with pytest.raises(SelectionError, match="'balance_target' must map values to finite"):
        _select(catalog, count=3, strategies="balance", balance_target={"k0": float("inf")})
    out = _select(catalog, count=3, strategies="balance", balance_target={"k0": 1e300, "k1": 1})
    assert out["chosen"] == 3


def test_disagreement_of_a_model_with_itself_is_refused(pics: Any) -> None:
    """A model agrees with itself everywhere: every score was 0 and the 'choice' id order."""
    catalog, _ = pics
    labels = [{"image_ref": str(i), "label": CLASSES[0], "score": 0.6} for i in range(N)]
    write_predictions(catalog, "pics", "clf", LabelsSource(0, labels, predictions=True))
    with pytest.raises(SelectionError, match="'clf' is named twice"):
        _select(catalog, count=3, strategies="disagreement", models=["clf", "clf"])


def test_samples_deleted_while_choosing_write_nothing(pics: Any) -> None:
    """The record and the tag commit together: before, the record named all twelve chosen
    and the tag went on the six still there."""
    catalog, ids = pics

    def delete_half(done: int, count: int) -> None:
        if done == count:  # the choice is made; the write comes next
            delete_samples(catalog, "pics", ids[:6], "someone", None)

    request = parse_request({"count": N, "strategies": "random", "tag": "next"})
    with pytest.raises(ConflictError, match="6 of the 12 chosen samples were deleted"):
        run_selection(catalog, None, "pics", request, progress=delete_half)
    assert list_selections(catalog, "pics") == []
    assert len(sample_ids(catalog, "pics", {"tags": {"any": ["next"]}})) == 0
    assert run_selection(catalog, None, "pics", request)["chosen"] == 6  # run again: the rest


def test_a_tag_in_use_gains_the_next_rounds_choice(pics: Any) -> None:
    """One tag for every round of labelling: a second run under a tag adds its chosen to the
    samples carrying it (the earlier round's and a user's own stay tagged), while each
    record lists its own chosen."""
    catalog, ids = pics
    update_tags(catalog, "pics", {"ids": [int(ids[0])]}, add=["batch"])
    first = _select(catalog, count=2, strategies="random", tag="batch", seed=5,
                    exclude_tags=["batch"])  # fmt: skip
    second = _select(catalog, count=2, strategies="random", tag="batch", seed=6,
                     exclude_tags=["batch"])  # fmt: skip
    assert not set(first["sample_ids"]) & set(second["sample_ids"])  # excluded: tagged
    tagged = sample_ids(catalog, "pics", {"tags": {"any": ["batch"]}}).to_pylist()
    assert sorted(tagged) == sorted([int(ids[0]), *first["sample_ids"], *second["sample_ids"]])
    records = list_selections(catalog, "pics")
    assert [r["tag"] for r in records] == ["batch", "batch"]
    assert [r["chosen"] for r in records] == [2, 2]


def test_no_vectors_names_the_commands_that_compute_them(pics: Any, tmp_path: Path) -> None:
    """A vector strategy without embeddings says how to get them, for the whole dataset
    and for a view whose samples have none (the others are left out and counted)."""
    catalog, ids = pics
    with open_vector_store(catalog.data_dir) as store:
        run = lambda **body: run_selection(catalog, store, "pics", parse_request(body))  # noqa: E731
        with pytest.raises(SelectionError, match="no embeddings yet: .*`visionlens embed pics`"):
            run(count=2, strategies="diversity")
        source = tmp_path / "v.parquet"
        vectors = pa.array(np.eye(N, 8)[:6].tolist(), pa.list_(pa.float32()))
        pq.write_table(pa.table({"sample_id": ids[:6], "vector": vectors}), source)
        import_embeddings(None, catalog, store, "pics", "mine", str(source))
        with pytest.raises(SelectionError, match="none of the 2 candidates has a vector in "
                           r"space 'mine-.*': compute them with `visionlens embed pics`"):  # fmt: skip
            run(count=2, strategies="diversity", filter={"ids": ids[-2:].tolist()})
        out = run(count=N, strategies="diversity")
        assert out["chosen"] == 6 and out["options"]["without_vectors"] == 6


def test_samples_without_a_prediction_come_after_every_scored_one(pics: Any) -> None:
    """Unscored candidates rank with the lowest score, after it: before, they tied with the
    least uncertain scored sample and the lower sample id went first, so a sample with no
    prediction could be chosen before one the model was sure of."""
    catalog, ids = pics
    labels = [{"image_ref": "1", "label": "k0", "score": 0.9},
              {"image_ref": "2", "label": "k0", "score": 0.6}]  # fmt: skip
    write_predictions(catalog, "pics", "clf", LabelsSource(0, labels, predictions=True))
    for word in ("entropy", "margin"):
        out = _select(catalog, count=4, strategies=word)
        assert out["sample_ids"] == [int(ids[2]), int(ids[1]), int(ids[0]), int(ids[3])]
        assert [r["scores"][word] for r in out["rows"][2:]] == [0.0, 0.0]  # unscored: no gain


def test_margin_of_a_lone_label_under_a_half_counts_the_rest_as_the_top(pics: Any) -> None:
    """A prediction of one label at 0.3 leaves 0.7 to the other classes: the top two are
    0.7 and 0.3, margin 1 - 0.4 = 0.6. Before, the left-out mass was appended unsorted
    (margin 1 - (0.3 - 0.7) = 1.4, above the strategy's range), so the 0.3 ranked as more
    uncertain than a 0.5 / 0.5 split (margin 1)."""
    catalog, ids = pics
    labels = [{"image_ref": "0", "label": "k0", "score": 0.3},
              {"image_ref": "1", "label": "k0", "score": 0.5},
              {"image_ref": "2", "label": "k0", "score": 0.9}]  # fmt: skip
    write_predictions(catalog, "pics", "clf", LabelsSource(0, labels, predictions=True))
    out = _select(catalog, count=3, strategies="margin")
    assert out["sample_ids"] == [int(ids[1]), int(ids[0]), int(ids[2])]
    with catalog.cursor() as cur:
        got = classification_uncertainty(
            cur, catalog.dataset_id(cur, "pics"), ids[:3], "clf", "margin"
        )
    assert got.tolist() == pytest.approx([1 - (0.7 - 0.3), 1 - (0.5 - 0.5), 1 - (0.9 - 0.1)])


def test_non_finite_model_scores_rank_as_unscored(pics: Any) -> None:
    """An import keeps NaN and Infinity in a label's score and per-class scores: before, the
    per-class NaN failed the whole selection (orjson refuses it). A prediction with a
    non-finite probability now ranks as no prediction does: after every scored sample."""
    catalog, ids = pics
    nan = float("nan")
    labels = [
        {"image_ref": "0", "label": "k0", "score": nan},
        {"image_ref": "1", "label": "k0", "score": 0.9},
        {"image_ref": "2", "label": "k0", "score": 0.6},
        {"image_ref": "3", "label": "k0", "score": float("inf")},
        {"image_ref": "4", "label": "k0", "score": 0.6, "scores": '{"k0": 0.6, "k1": NaN}'},
    ]  # images 5 to 11: no prediction
    write_predictions(catalog, "pics", "clf", LabelsSource(0, labels, predictions=True))
    for word in ("entropy", "margin"):
        out = _select(catalog, count=N, strategies=word)
        assert out["sample_ids"][:2] == [int(ids[2]), int(ids[1])]  # 0.6 is the less sure
        assert [r["scores"][word] for r in out["rows"][2:]] == [0.0] * (N - 2)


def test_exclude_labelled_leaves_out_ground_truth_label_maps(tmp_path: Path) -> None:
    """A segmentation dataset's ground truth is label maps, which no filter names: before,
    ``exclude_labelled`` kept every labelled sample a candidate (none is left: refused)."""
    voc, _, _, _ = write_voc(tmp_path, 4)
    with Catalog(tmp_path / "data") as catalog:
        ingest_semantic(catalog, "seg", open_semantic(str(voc)))
        request = parse_request({"count": 3, "strategies": "random", "exclude_labelled": True})
        with pytest.raises(SelectionError, match="of them 4 have ground truth"):
            run_selection(catalog, None, "seg", request)
        assert list_selections(catalog, "seg") == []


def test_the_cli_says_which_space_and_how_many_had_no_vector(tmp_path: Path) -> None:
    """Of ten candidates four have a vector in the newest space (the default): four are
    chosen of the eight asked, and the output says why, not only ``count: 4``."""
    data_dir = tmp_path / "data"
    with Catalog(data_dir) as catalog:
        ids = add_dataset(
            catalog, "ds", str(tmp_path), [str(tmp_path / f"{i}.jpg") for i in range(10)]
        )
        m = np.random.default_rng(0).normal(size=(10, 4)).tolist()
        pq.write_table(pa.table({"sample_id": ids[:4], "vector": m[:4]}), tmp_path / "v.parquet")
        with open_vector_store(data_dir) as store:
            import_embeddings(None, catalog, store, "ds", "part", str(tmp_path / "v.parquet"))
    out = cli(data_dir, "select", "ds", "--count", "8", "--tag", "round1")
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    assert (got["count"], got["asked"], got["candidates"], got["without_vectors"]) == (4, 8, 4, 6)
    assert got["space"].startswith("part-") and sorted(got["sample_ids"]) == ids[:4]
    text = subprocess.run(
        [sys.executable, "-m", "visionlens_jlab.cli", "select", "ds", "--count", "8",
         "--data-dir", str(data_dir)], capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert text.returncode == 0, text.stderr
    assert f"6 candidates without a vector in space {got['space']} were left out" in text.stdout


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"strategies": 5}, "'strategies' must be words"),  # was a TypeError
        ({"strategies": "balance", "balance_field": 5}, "'balance_field' must be a string"),
        ({"strategies": "similar", "reference_tag": ["a"]}, "'reference_tag' must be a string"),
        ({"strategies": "diversity", "space": 3}, "'space' must be a string"),
        # "no" was read as true: every labelled sample left out, nothing chosen
        ({"strategies": "random", "exclude_labelled": "no"}, "'exclude_labelled' must be true"),
        # a lone surrogate (a JSON escape) failed the run at its write, with DuckDB's message
        ({"strategies": "random", "tag": "round\ud800"}, "'tag' must be a string"),
        ({"strategies": "random", "exclude_tags": ["x\udc80"]}, "'exclude_tags' must be a list"),
        ({"strategies": "uncertainty", "models": ["m\ud800"]}, "'models' must be a list"),
        ({"strategies": "balance", "balance_target": {"k\ud800": 1}}, "'balance_target' must map"),
    ],
)
def test_a_value_of_the_wrong_kind_is_refused_by_name(
    pics: Any, body: dict[str, Any], message: str
) -> None:
    """What the notebook or a script may pass that the REST contract would have refused."""
    catalog, _ = pics
    with pytest.raises(SelectionError, match=message):
        _select(catalog, count=3, **body)
    assert list_selections(catalog, "pics") == []


def test_a_tag_of_bytes_no_text_holds_is_a_usage_error(tmp_path: Path) -> None:
    """A ``--tag`` of bytes that are not UTF-8 (a shell's Latin-1 word) reaches Python as
    surrogate escapes: before, the run failed at its write with a DuckDB traceback."""
    data_dir = tmp_path / "data"
    with Catalog(data_dir) as catalog:
        write_dataset(catalog, "pics", LabelsSource(N, [{"sample_index": 0, "label": "k0"}]))
    done = subprocess.run(
        [sys.executable, "-m", "visionlens_jlab.cli", "select", "pics", "--count", "2",
         "--strategy", "random", "--tag", b"r\xe9vision", "--data-dir", str(data_dir)],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2 and "'tag' must be a string" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    with Catalog(data_dir) as catalog:
        assert list_selections(catalog, "pics") == []


def test_a_balance_target_wanting_no_candidate_value_names_the_values(pics: Any) -> None:
    """Balance never chooses a value its target leaves out: a target of only absent values
    (a class name misspelled) chose nothing and stored an empty record, with no reason."""
    catalog, _ = pics
    with pytest.raises(SelectionError, match=r"wants none of the candidates' values of "
                       r"'class' \(theirs: 'k0', 'k1', 'k2'\)"):  # fmt: skip
        _select(catalog, count=3, strategies="balance,random", balance_target={"K0": 1})
    assert list_selections(catalog, "pics") == []
    assert _select(catalog, count=3, strategies="balance", balance_target={"k0": 1})["chosen"] == 3


@pytest.mark.parametrize(
    ("strategy", "command"),
    [
        ("uncertainty", "`visionlens predictions pics FILE --model NAME`"),
        ("disagreement", "`visionlens predict pics --model MODEL`"),
        ("label_quality", "`visionlens label-quality pics`"),
        ("image_quality", "`visionlens image-quality pics`"),
    ],
)
def test_a_strategy_without_its_scores_names_the_command_that_makes_them(
    pics: Any, strategy: str, command: str
) -> None:
    """Before, 'this dataset has none' or 'run label-quality': no command to copy."""
    catalog, _ = pics
    with pytest.raises(SelectionError) as caught:
        _select(catalog, count=3, strategies=strategy)
    assert command in str(caught.value)
