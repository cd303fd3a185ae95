"""A selection run: candidates, strategies, the greedy choice, the tag and the record.

The candidates are the samples the filter matches (the planner's id route, as
``POST /datasets/{name}/ids`` reads them; at a saved ``version`` its labels and tags),
less those carrying an excluded tag and, if asked, those with ground truth (objects, image
labels or label maps; both as the dataset is now: what is already sent or labelled).
Vector strategies read the candidates' vectors from the embedding space (a candidate
without one is left out). The chosen samples get the tag through the tag writer, one batch
of the operation log (undo takes it back; a version names it), and the run is stored as a
record (:mod:`.records`), in one transaction: a chosen sample deleted while the run chose
writes neither. A tag already on samples is added to the chosen too (one tag for every
round of labelling); each record lists its own chosen.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NoReturn

import numpy as np

from ..catalog import GROUND_TRUTH, ConflictError, NotFoundError
from ..catalog.reads import queries
from ..catalog.reads.model_kinds import LABEL_MAP_TABLE
from ..catalog.tables.labels_at import version_position
from ..catalog.tables.labels_view import labels_at
from ..catalog.writes.sample_tags import DEFAULT_USER, update_tags_in
from . import records, score_gains
from .greedy import Chosen, Gain, Weighted, choose
from .request import VECTOR_WORDS, SelectionError, SelectionRequest

if TYPE_CHECKING:
    import duckdb

    from ..catalog import Catalog
    from ..search.matrix_cache import VectorMatrixCache
    from ..vectors import VectorStore

Progress = Callable[[int, int], None]
LABELLED = ({"labels": {"source": "ground_truth"}}, {"classifications": {"source": "ground_truth"}})
"""The filters of samples with ground truth (objects, or an image label; label maps have
no filter key: :func:`_with_label_maps`)."""
MODEL_WORDS = frozenset({"uncertainty", "entropy", "margin", "disagreement"})
"""The strategies that read a model's predictions (``models``)."""


def candidate_ids(
    catalog: Catalog, dataset: str, request: SelectionRequest
) -> tuple[np.ndarray, np.ndarray]:
    """The filter's sample ids (sorted) less the excluded ones; and the filter's samples
    left out for their ground truth (``exclude_labelled``), which the vector strategies
    count as chosen already."""

    def ids_of(spec: dict[str, Any], version: int | None = None) -> np.ndarray:
        found = queries.sample_ids(catalog, dataset, spec, version)
        return np.asarray(found.to_numpy(zero_copy_only=False), dtype=np.int64)

    ids = ids_of(dict(request.filter.raw), request.version)
    matched = len(ids)
    if request.exclude_tags:
        tagged = ids_of({"tags": {"any": list(request.exclude_tags)}})
        ids = np.setdiff1d(ids, tagged, assume_unique=True)
    untagged = len(ids)
    labelled = np.empty(0, dtype=np.int64)
    if request.exclude_labelled:
        for spec in LABELLED:
            labelled = np.union1d(labelled, np.intersect1d(ids, ids_of(spec)))
        labelled = np.union1d(labelled, np.intersect1d(ids, _with_label_maps(catalog, dataset)))
        ids = np.setdiff1d(ids, labelled, assume_unique=True)
    if not len(ids):
        _refuse_no_candidates(request, matched, matched - untagged, len(labelled))
    return ids, labelled


def _refuse_no_candidates(
    request: SelectionRequest, matched: int, tagged: int, labelled: int
) -> NoReturn:
    """Refuse a run with no candidate, saying what took them: before, it stored an empty
    selection (a record and a tag on nothing) as if it had chosen."""
    where = "" if request.version is None else f" at version {request.version}"
    if not matched:
        raise SelectionError(
            f"no candidates: the filter matches no sample{where}; widen or drop 'filter'"
        )
    took = []
    if tagged:
        took.append(f"{tagged:,} carry an excluded tag ({', '.join(request.exclude_tags)}): "
                    "drop it from 'exclude_tags'")  # fmt: skip
    if labelled:
        took.append(f"{labelled:,} have ground truth: set 'exclude_labelled' to false")
    raise SelectionError(
        f"no candidates: the filter matches {matched:,} samples{where}, and of them "
        + "; ".join(took)
        + ", or widen 'filter'"
    )


def _with_label_maps(catalog: Catalog, dataset: str) -> np.ndarray:
    """The samples with a ground-truth label map (semantic segmentation): labelled too, and
    no filter names them (before, ``exclude_labelled`` left a segmentation dataset whole)."""
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        found = cur.execute(
            f"SELECT DISTINCT sample_id FROM {LABEL_MAP_TABLE} "  # noqa: S608 - a declared table
            "WHERE dataset_id = ? AND source = ?",
            [dataset_id, GROUND_TRUTH],
        ).fetchnumpy()
    return np.asarray(found["sample_id"], dtype=np.int64)


def _models(cur: duckdb.DuckDBPyConnection, dataset_id: int, asked: tuple[str, ...]) -> list[str]:
    """The models asked for (checked), else the dataset's models, newest first: those with
    objects or image labels, what the model strategies score (a semantic segmentation
    model's label maps, or an import that found no prediction, give them nothing)."""
    known = [
        r[0]
        for r in cur.execute(
            """
            SELECT name FROM models m WHERE dataset_id = $d AND (
                EXISTS (SELECT 1 FROM annotations a WHERE a.dataset_id = $d AND a.source = m.name)
                OR EXISTS (SELECT 1 FROM classifications c
                           WHERE c.dataset_id = $d AND c.source = m.name))
            ORDER BY created_at DESC, name
            """,
            {"d": dataset_id},
        ).fetchall()
    ]
    absent = [m for m in asked if m not in known and not _is_model(cur, dataset_id, m)]
    if absent:  # a typo is a 404 that names what there is, as a model route answers
        raise NotFoundError(f"no model {absent[0]!r} on this dataset (known: {known or 'none'})")
    for model in asked:
        if model not in known:
            raise SelectionError(
                f"no model {model!r} with objects or image labels on this dataset "
                f"(known: {known or 'none'})"
            )
    return list(asked) or known


def _is_model(cur: duckdb.DuckDBPyConnection, dataset_id: int, name: str) -> bool:
    """Whether the dataset has a model ``name`` at all (with or without rows to score)."""
    return bool(
        cur.execute(
            "SELECT 1 FROM models WHERE dataset_id = ? AND name = ?", [dataset_id, name]
        ).fetchall()
    )


def _check_target(request: SelectionRequest, values: list[str | None]) -> None:
    """Refuse a ``balance_target`` that wants none of the candidates' values: balance never
    chooses a value the target leaves out, so the run chose nothing and said only
    "0 of N candidates" (a typo in a class name, a field's values spelled otherwise)."""
    target = request.balance_target
    if target is None or not values:
        return
    if any(v is not None and target.get(v, 0) > 0 for v in values):
        return
    present = sorted({v for v in values if v is not None})
    shown = ", ".join(repr(v) for v in present[:10]) + (", ..." if len(present) > 10 else "")
    raise SelectionError(
        f"'balance_target' wants none of the candidates' values of {request.balance_field!r} "
        f"(theirs: {shown or 'none'}): nothing could be chosen"
    )


_PREDICTIONS_HOW = (
    "import a model's with `visionlens predictions {0} FILE --model NAME`, or run one with "
    "`visionlens predict {0} --model MODEL`"
)
"""How a dataset gets the predictions the model strategies read (their refusals say it)."""


def score_gain(
    catalog: Catalog, dataset: str, request: SelectionRequest, word: str, ids: np.ndarray
) -> Gain:
    """The :class:`~.greedy.Gain` of non-vector strategy ``word`` over candidates ``ids``
    (read at the request's version)."""
    if word == "random":
        return score_gains.Random()
    with catalog.cursor() as cur, labels_at(catalog, cur, dataset, request.version):
        dataset_id = catalog.dataset_id(cur, dataset)
        if word == "balance":
            values = score_gains.field_values(cur, dataset_id, ids, request.balance_field)
            _check_target(request, values)
            return score_gains.Balance(values, request.balance_target)
        if word in ("label_quality", "image_quality"):
            scores = score_gains.quality_gain(
                cur, dataset_id, ids, _quality_fields(cur, dataset_id, dataset, word))  # fmt: skip
            if not np.isfinite(scores).any():
                command = word.replace("_", "-")
                raise SelectionError(
                    f"{word!r}: none of the {len(ids):,} candidates has a {command} score; "
                    f"widen 'filter' to scored samples, or run `visionlens {command} {dataset}`"
                )
            return score_gains.Static(word, scores)
        models = _models(cur, dataset_id, request.models)
        if word == "disagreement":
            if len(models) < 2:
                raise SelectionError(
                    f"'disagreement' needs two models on the dataset (it has "
                    f"{', '.join(map(repr, models)) or 'none'}): {_PREDICTIONS_HOW.format(dataset)}"
                )
            pair = (models[0], models[1])
            kinds = [score_gains.model_kind(cur, dataset_id, m) for m in pair]
            if kinds[0] != kinds[1]:
                # image labels against boxes share nothing: every score was NaN (nothing
                # ranked) or 1 (every box unmatched), a choice that looked like an answer
                raise SelectionError(
                    f"'disagreement' compares two models of one kind: {pair[0]!r} has "
                    f"{kinds[0]} predictions, {pair[1]!r} {kinds[1]}; name two in 'models'"
                )
            return score_gains.Static(word, score_gains.disagreement(cur, dataset_id, ids, pair))
        if not models:
            raise SelectionError(
                f"{word!r} reads a model's predictions: this dataset has none: "
                + _PREDICTIONS_HOW.format(dataset)
            )
        model = models[0]
        if not score_gains.predicted_count(cur, dataset_id, ids, model):
            # every score was the same (none): the "choice" was the candidates in id order
            raise SelectionError(
                f"{word!r}: none of the {len(ids):,} candidates has a prediction of model "
                f"{model!r}; widen 'filter' to samples it predicted on, name another model in "
                f"'models', or run it on these: `visionlens predict {dataset} --model MODEL`"
            )
        if score_gains.model_kind(cur, dataset_id, model) == "classification":
            how = "margin" if word == "margin" else "entropy"
            scores = score_gains.classification_uncertainty(cur, dataset_id, ids, model, how)
        else:
            scores = score_gains.detection_uncertainty(cur, dataset_id, ids, model)
        return score_gains.Static(word, scores)


def _quality_fields(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, dataset: str, word: str
) -> list[str]:
    """The dataset's computed score fields of label or image quality (lower: worse)."""
    from ..catalog.extensions.computed import dataset_computed_fields

    have = dataset_computed_fields(cur, dataset_id)
    if word == "label_quality":
        wanted = [f for f in have if f in ("lq_score", "lq_class_score")]
    else:
        wanted = [f for f in have if f.startswith("quality_") and f.endswith("_score")]
    if not wanted:
        command = word.replace("_", "-")
        raise SelectionError(
            f"{word!r} reads the {command} scores: run `visionlens {command} {dataset}` first"
        )
    return [f"computed.{f}" for f in wanted]


def check_request(catalog: Catalog, dataset: str, request: SelectionRequest) -> None:
    """What can be refused before a run is queued: the dataset, the version or a model the
    strategies read (:class:`NotFoundError`), a model with nothing they read and no
    candidate at all (:class:`SelectionError`)."""
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        if request.version is not None:  # was a queued job that failed at its first read
            version_position(cur, dataset_id, request.version)
        if request.models and any(w in MODEL_WORDS for w, _ in request.strategies):
            _models(cur, dataset_id, request.models)
    candidate_ids(catalog, dataset, request)


def run_selection(
    catalog: Catalog,
    store: VectorStore | None,
    dataset: str,
    request: SelectionRequest,
    *,
    user: str = DEFAULT_USER,
    progress: Progress | None = None,
    cache: VectorMatrixCache | None = None,
) -> dict[str, Any]:
    """Run ``request`` on ``dataset``: tag the chosen samples and store the record; the
    record as :func:`.records.read_selection` answers it, with ``sample_ids`` in rank
    order. ``progress(done, count)`` after each pick (raising there stops the run before
    anything is written); ``cache``: the server's vector matrices (:mod:`.vectors`)."""
    started = time.perf_counter()
    ids, labelled = candidate_ids(catalog, dataset, request)
    space: str | None = None
    options: dict[str, Any] = {}
    vector_words = [w for w, _ in request.strategies if w in VECTOR_WORDS]
    if vector_words:
        from .vectors import vector_gains

        if store is None:
            raise SelectionError("the vector store is not available for the vector strategies")
        side = vector_gains(catalog, store, dataset, request, ids, labelled, cache)
        space, ids, built = side.space, side.ids, side.gains
        options.update(without_vectors=side.left_out, labelled_rows=side.labelled)
    else:
        built = {}
    strategies = [
        Weighted(built[w] if w in built else score_gain(catalog, dataset, request, w, ids), weight)
        for w, weight in request.strategies
    ]
    chosen: Chosen = choose(
        len(ids), request.count, strategies, seed=request.seed, progress=progress
    )
    sample_ids = ids[chosen.positions]
    options.update(
        exclude_tags=list(request.exclude_tags), exclude_labelled=request.exclude_labelled,
        version=request.version, balance_field=request.balance_field,
        balance_target=request.balance_target, models=list(request.models),
        reference_tag=request.reference_tag,
        candidates=len(ids) - options.get("labelled_rows", 0),
    )  # fmt: skip
    record: dict[str, Any] = {
        "strategies": [{"name": w, "weight": weight} for w, weight in request.strategies],
        "filter": dict(request.filter.raw), "options": options, "space": space,
        "seed": request.seed, "count": request.count, "created": records.now(),
    }  # fmt: skip
    with catalog.write() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        catalog.scope_write(dataset_id, keeps_derived=True, keeps_indexes=True)
        record["id"] = records.next_id(cur)
        record["tag"] = request.tag or f"selected-{record['id']}"
        record["seconds"] = round(time.perf_counter() - started, 3)
        records.store_selection(cur, dataset_id, record, sample_ids, chosen.contributions)
        if len(sample_ids):
            # the record and the tag commit together: a tag written apart from its record
            # left a record naming samples deleted meanwhile, tagged on fewer
            tagged = update_tags_in(catalog, cur, dataset_id, {"ids": sample_ids.tolist()},
                                    add=[record["tag"]], user=user)  # fmt: skip
            if tagged != len(sample_ids):  # raising rolls the record and the tag back
                raise ConflictError(
                    f"{len(sample_ids) - tagged:,} of the {len(sample_ids):,} chosen samples "
                    "were deleted while the selection ran: nothing was written, run it again"
                )
    return {**records.read_selection(catalog, dataset, record["id"]),
            "sample_ids": sample_ids.tolist()}  # fmt: skip
