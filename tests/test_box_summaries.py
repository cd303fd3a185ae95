"""Per-sample box summaries (catalog/tables/box_summaries.py) and the paths that read them
(summary_filters.py, summary_pages.py).

Every answer is compared with an oracle written here in plain Python over the boxes, the
evaluation rows and the samples (no SQL shared with the code under test): randomised
filters and sorts give the same ids, in the same order, with the same totals. Every kind of
write keeps the stored summaries equal to a recomputation from the rows."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pytest

import visionlens_jlab.evaluate as ev
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.reads import queries
from visionlens_jlab.catalog.writes.dataset_writer import write_dataset, write_predictions
from visionlens_jlab.catalog.writes.sample_tags import update_tags

from .catalog_fixtures import PredictionRowsSource, RowsSource
from .random_rows import random_predictions, random_rows

N = 300
SOURCES = ["ground_truth", "m1", "m2", "predictions", None]
FIELDS = ["score", "area", "w", "h", "x", "y"]


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Catalog]:
    rnd = random.Random(5)
    cat = Catalog(tmp_path_factory.mktemp("summaries"), result_cache_mb=0)
    samples, boxes = random_rows(rnd, N)
    write_dataset(cat, "rich", RowsSource(samples, boxes, [f"c{k}" for k in range(12)]))
    other, other_boxes = random_rows(rnd, 40)  # another dataset: must never leak in
    write_dataset(cat, "other", RowsSource(other, other_boxes, ["c0"]))
    write_predictions(cat, "rich", "m1", PredictionRowsSource(random_predictions(rnd, N, 2, False)))
    write_predictions(cat, "rich", "m2", PredictionRowsSource(random_predictions(rnd, N, 3, False)))
    update_tags(cat, "rich", {"sample": {"split": {"in": ["val"]}}}, add=["t1"])
    ev.evaluate_model(cat, "rich", "m1")
    yield cat
    cat.close()


# ----------------------------------------------------------------------------- the oracle


class Oracle:
    """The dataset's rows in Python, and filters and sorts evaluated box by box."""

    def __init__(self, cat: Catalog, dataset: str) -> None:
        with cat.cursor() as cur:
            ds = cat.dataset_id(cur, dataset)
            self.samples = {
                int(r[0]): r[1]
                for r in cur.execute(
                    "SELECT sample_id, split FROM samples WHERE dataset_id = ?", [ds]
                ).fetchall()
            }
            cols = ["sample_id", "ann_id", "source", "label", *FIELDS]
            self.boxes = [
                dict(zip(cols, r, strict=True))
                for r in cur.execute(
                    f"SELECT {', '.join(cols)} FROM annotations WHERE dataset_id = ?",  # noqa: S608 - test constants
                    [ds],
                ).fetchall()
            ]
            self.evals = cur.execute(
                "SELECT e.eval_key, e.ann_id, e.status, v.model, v.latest FROM box_evaluations e "
                "JOIN evaluations v ON v.eval_key = e.eval_key AND v.dataset_id = e.dataset_id"
            ).fetchall()

    @staticmethod
    def _source_ok(box: dict[str, Any], source: str | None) -> bool:
        if source is None:
            return True
        if source == "predictions":
            return bool(box["source"] != "ground_truth")
        return bool(box["source"] == source)

    @staticmethod
    def _cond_ok(value: Any, cond: dict[str, Any]) -> bool:
        if value is None:
            return False
        return all(
            (op == "min" and value >= t) or (op == "max" and value <= t) for op, t in cond.items()
        )

    def _box_ok(self, box: dict[str, Any], spec: dict[str, Any]) -> bool:
        if not self._source_ok(box, spec.get("source")):
            return False
        if "classes" in spec and box["label"] not in spec["classes"]:
            return False
        if "score" in spec and not self._cond_ok(box["score"], spec["score"]):
            return False
        for name, cond in spec.get("where", {}).items():
            if not self._cond_ok(box[name], cond):
                return False
        if "eval" in spec:
            want = spec["eval"]
            anns = {
                a
                for key, a, status, model, latest in self.evals
                if latest
                and model == want.get("model", model)
                and status in want.get("status", [status])
            }
            if box["ann_id"] not in anns:
                return False
        return True

    def matches(self, spec: dict[str, Any]) -> set[int]:
        out = set(self.samples)
        if "ids" in spec:
            out &= set(spec["ids"])
        if "sample" in spec:
            out = {i for i in out if self.samples[i] in spec["sample"]["split"]["in"]}
        for label_spec in spec.get("labels", []):
            out &= {b["sample_id"] for b in self.boxes if self._box_ok(b, label_spec)}
        if "box_count" in spec:
            bc = spec["box_count"]
            counts = {i: 0 for i in out}
            for b in self.boxes:
                if b["sample_id"] in counts and self._box_ok(b, {"source": bc.get("source")}):
                    counts[b["sample_id"]] += 1
            bounds = {k: v for k, v in bc.items() if k in ("min", "max")}
            out = {i for i, c in counts.items() if self._cond_ok(c, bounds)}
        return out

    def key(self, sort: str | None, sample_id: int) -> Any:
        if sort is None:
            return sample_id
        kind, _, rest = sort.partition(".")
        if kind == "box_count":
            return sum(
                1 for b in self.boxes if b["sample_id"] == sample_id and self._source_ok(b, rest)
            )
        field, _, source = rest.partition(".")
        values = [
            b[field]
            for b in self.boxes
            if b["sample_id"] == sample_id and self._source_ok(b, source) and b[field] is not None
        ]
        if not values:
            return None
        return max(values) if kind == "box_max" else min(values)

    def page(
        self, spec: dict[str, Any], sort: str | None, order: str, offset: int, limit: int
    ) -> tuple[int, list[int]]:
        ids = sorted(self.matches(spec))
        keyed = [(self.key(sort, i), i) for i in ids]
        present = [p for p in keyed if p[0] is not None]
        present.sort(key=lambda p: p[1])  # ties by sample id, ascending
        present.sort(key=lambda p: p[0], reverse=order == "desc")
        ordered = [i for _, i in present] + [i for k, i in keyed if k is None]
        return len(ids), ordered[offset : offset + limit]


def _label_spec(rnd: random.Random) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    source = rnd.choice(SOURCES)
    if source is not None:
        spec["source"] = source
    kind = rnd.choice(["classes", "bound", "bounds", "eval", "classes+score"])
    classes = rnd.sample([f"c{k}" for k in range(13)], rnd.randint(0, 3))
    if kind in ("classes", "classes+score"):
        spec["classes"] = classes
    if kind == "eval":
        spec["source"] = rnd.choice(["ground_truth", "m1", "predictions"])
        spec["eval"] = {"status": rnd.sample(["tp", "fp", "fn", "ignored"], rnd.randint(1, 2))}
        if rnd.random() < 0.5:
            spec["eval"]["model"] = "m1"
        if rnd.random() < 0.6:
            spec["classes"] = classes
    if kind in ("bound", "bounds", "classes+score"):
        field = "score" if kind == "classes+score" else rnd.choice(FIELDS)
        lo, hi = sorted([rnd.uniform(0, 1), rnd.uniform(0, 1)])
        scale = 1 if field == "score" else (40_000 if field == "area" else 300)
        cond = {"min": lo * scale, "max": hi * scale} if kind == "bounds" else {}
        if not cond:
            cond = {rnd.choice(["min", "max"]): lo * scale}
        if field == "score":
            spec["score"] = cond
        else:
            spec["where"] = {field: cond}
    return spec


def _filter(rnd: random.Random) -> dict[str, Any]:
    roll = rnd.random()
    if roll < 0.15:
        return {}
    if roll < 0.25:
        ids = rnd.sample(range(1, N + 80), rnd.randint(0, 150))
        # in id order (the page skips its sort), with repeats, or in any order
        shape = rnd.choice(["sorted", "repeats", "any"])
        return {
            "ids": sorted(ids)
            if shape == "sorted"
            else sorted(ids + ids[:5])
            if shape == "repeats"
            else ids
        }
    spec: dict[str, Any] = {"labels": [_label_spec(rnd) for _ in range(rnd.choice([1, 1, 2]))]}
    if rnd.random() < 0.2:
        spec["sample"] = {"split": {"in": ["val", "train"]}}
    if rnd.random() < 0.2:
        low = rnd.randint(0, 3)
        bc: dict[str, Any] = {"source": rnd.choice(SOURCES[:4]), "min": low}
        if rnd.random() < 0.5:
            bc["max"] = low + rnd.randint(0, 3)
        spec["box_count"] = bc
    return spec


def _api_spec(spec: dict[str, Any]) -> dict[str, Any]:
    out = dict(spec)
    if "labels" in out and len(out["labels"]) == 1 and random.Random(len(str(out))).random() < 0.5:
        out["labels"] = out["labels"][0]  # one label spec as an object, as the grid sends it
    return out


@pytest.mark.parametrize("seed", range(6))
def test_random_filters_and_sorts_match_the_oracle(catalog: Catalog, seed: int) -> None:
    rnd = random.Random(seed)
    oracle = Oracle(catalog, "rich")
    sorts = [None, None, "box_count.ground_truth", "box_count.m1", "box_count.predictions",
             "box_max.score.m1", "box_min.area.ground_truth", "box_max.w.m2",
             "box_max.score.ground_truth"]  # fmt: skip
    for _ in range(25):
        spec = _filter(rnd)
        sort = rnd.choice(sorts)
        order = rnd.choice(["asc", "desc"])
        offset = rnd.choice([0, 0, rnd.randint(0, N), N - 5])
        limit = rnd.choice([0, 7, 60])
        page = queries.samples_page(
            catalog, "rich", _api_spec(spec), offset=offset, limit=limit, sort=sort,
            order=order, include_annotations=False,
        )  # fmt: skip
        total, ids = oracle.page(spec, sort, order, offset, limit)
        got = [s["sample_id"] for s in page["samples"]]
        assert (page["total"], got) == (total, ids), (spec, sort, order, offset, limit)


def test_unfiltered_pages_at_every_offset_and_both_orders(catalog: Catalog) -> None:
    oracle = Oracle(catalog, "rich")
    for order in ("asc", "desc"):
        for offset in (0, 1, 150, N - 1, N, N + 10):
            page = queries.samples_page(
                catalog, "rich", None, offset=offset, limit=20, order=order,
                include_annotations=False,
            )  # fmt: skip
            assert (page["total"], [s["sample_id"] for s in page["samples"]]) == oracle.page(
                {}, None, order, offset, 20
            )


# ----------------------------------------------------------------------------- writers


MASKS = ["mask0", "mask1", "mask2", "mask3", "rest"]


def _stored(cat: Catalog) -> tuple[list[Any], list[Any]]:
    """The stored summaries, their class bits decoded into sorted class names (last)."""
    with cat.cursor() as cur:
        bits = {
            (ds, bit): label
            for ds, label, bit in cur.execute("SELECT * FROM summary_classes").fetchall()
        }

        def decoded(table: str) -> list[Any]:
            cols = ", ".join(MASKS)
            rows = cur.execute(
                f"SELECT * EXCLUDE ({cols}), {cols} FROM {table}"  # noqa: S608 - test constants
            ).fetchall()
            out = []
            for r in rows:
                *keys, m0, m1, m2, m3, rest = r
                names = {
                    bits[(keys[0], 64 * k + b)]
                    for k, word in enumerate((m0, m1, m2, m3))
                    for b in range(64)
                    if word >> b & 1
                }
                out.append((*keys, sorted(names | set(rest or []))))
            return sorted(out, key=repr)

        return decoded("box_summaries"), decoded("eval_summaries")


def _recomputed(cat: Catalog) -> tuple[list[Any], list[Any]]:
    """The summaries from the rows, by a query written here (not the writer's)."""
    with cat.cursor() as cur:
        boxes = cur.execute(
            """
            SELECT dataset_id, sample_id, source, count(*), max(score), min(score),
                   max(area), min(area), max(w), min(w), max(h), min(h), max(x), min(x),
                   max(y), min(y), list_sort(list_distinct(array_agg(label)))
            FROM annotations GROUP BY dataset_id, sample_id, source
            """
        ).fetchall()
        evals = cur.execute(
            """
            SELECT e.dataset_id, e.eval_key, a.sample_id, a.source, e.status,
                   list_sort(list_distinct(array_agg(a.label)))
            FROM box_evaluations e, annotations a WHERE a.ann_id = e.ann_id
            GROUP BY ALL
            """
        ).fetchall()
    return sorted(boxes, key=repr), sorted(evals, key=repr)


def _check(cat: Catalog) -> None:
    stored, recomputed = _stored(cat), _recomputed(cat)
    assert [(*r[:-1], list(r[-1])) for r in stored[0]] == [
        (*r[:-1], list(r[-1])) for r in recomputed[0]
    ]
    assert [(*r[:-1], list(r[-1])) for r in stored[1]] == [
        (*r[:-1], list(r[-1])) for r in recomputed[1]
    ]


def test_every_write_keeps_the_summaries_exact(tmp_path: Any) -> None:
    rnd = random.Random(3)
    cat = Catalog(tmp_path, result_cache_mb=0)
    samples, boxes = random_rows(rnd, 120)
    write_dataset(cat, "a", RowsSource(samples, boxes, [f"c{k}" for k in range(12)]))
    write_dataset(cat, "b", RowsSource(*random_rows(rnd, 30), ["c0"]))
    _check(cat)
    assert _stored(cat)[0], "the ingest wrote summaries"
    write_predictions(cat, "a", "m1", PredictionRowsSource(random_predictions(rnd, 120, 1, False)))
    _check(cat)
    ev.evaluate_model(cat, "a", "m1")
    _check(cat)
    assert _stored(cat)[1], "the evaluation wrote summaries"
    # new predictions of the evaluated model: its old evaluation rows now name other boxes
    # (or none); the summaries and the filters follow exactly what the boxes say
    write_predictions(cat, "a", "m1", PredictionRowsSource(random_predictions(rnd, 120, 2, False)))
    _check(cat)
    oracle = Oracle(cat, "a")
    for spec in (
        {"labels": [{"source": "m1", "eval": {"status": ["tp"]}}]},
        {"labels": [{"source": "ground_truth", "classes": ["c1"], "eval": {"status": ["fn"]}}]},
    ):
        page = queries.samples_page(cat, "a", spec, limit=500, include_annotations=False)
        assert (page["total"], [s["sample_id"] for s in page["samples"]]) == oracle.page(
            spec, None, "asc", 0, 500
        )
    ev.evaluate_model(cat, "a", "m1")
    write_predictions(cat, "b", "m2", PredictionRowsSource(random_predictions(rnd, 30, 1, False)))
    ev.evaluate_model(cat, "b", "m2")
    _check(cat)
    before = _stored(cat)
    update_tags(cat, "a", {"labels": {"classes": ["c3"]}}, add=["x"])
    assert _stored(cat) == before, "tags do not touch the summaries"
    cat.delete_dataset("b")
    _check(cat)
    with cat.cursor() as cur:
        assert not cur.execute(
            "SELECT 1 FROM box_summaries WHERE dataset_id NOT IN (SELECT dataset_id FROM datasets)"
        ).fetchall()
    cat.close()


def test_catalogs_without_summaries_are_summarised_on_open(tmp_path: Any) -> None:
    rnd = random.Random(4)
    cat = Catalog(tmp_path)
    write_dataset(cat, "a", RowsSource(*random_rows(rnd, 80), [f"c{k}" for k in range(12)]))
    write_predictions(cat, "a", "m1", PredictionRowsSource(random_predictions(rnd, 80, 1, False)))
    ev.evaluate_model(cat, "a", "m1")
    expected = _stored(cat)
    with cat.write() as cur:  # as a catalog written before the summaries existed
        for table in ("box_summaries", "eval_summaries", "summary_classes"):
            cur.execute(f"DROP TABLE {table}")
        cur.execute("DELETE FROM meta WHERE key = 'box_summaries'")
        cur.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")  # its release
    cat.close()
    cat = Catalog(tmp_path)
    assert _stored(cat) == expected
    _check(cat)
    cat.close()


def test_pages_of_a_dataset_whose_ids_have_gaps(tmp_path: Any) -> None:
    rnd = random.Random(6)
    cat = Catalog(tmp_path, result_cache_mb=0)
    write_dataset(cat, "a", RowsSource(*random_rows(rnd, 60), [f"c{k}" for k in range(12)]))
    with cat.write() as cur:  # a gap: the pages can no longer be ranges of ids
        cur.execute("DELETE FROM samples WHERE sample_id IN (3, 4, 40)")
    oracle = Oracle(cat, "a")
    for spec in ({}, {"ids": list(range(0, 70, 3))}):
        for order in ("asc", "desc"):
            page = queries.samples_page(
                cat, "a", spec, offset=5, limit=30, order=order, include_annotations=False
            )
            got = (page["total"], [s["sample_id"] for s in page["samples"]])
            assert got == oracle.page(spec, None, order, 5, 30)
    cat.close()


def test_classes_past_the_bits_are_kept_by_name(tmp_path: Any) -> None:
    rnd = random.Random(8)
    cat = Catalog(tmp_path, result_cache_mb=0)
    samples, boxes = random_rows(rnd, 200)
    for i, box in enumerate(boxes):  # 300 classes: bits for 256 of them, names for the rest
        box["label"] = f"k{(i * 7) % 300:03d}"
    write_dataset(cat, "many", RowsSource(samples, boxes, [f"k{k:03d}" for k in range(300)]))
    _check(cat)
    with cat.cursor() as cur:
        assert cur.execute("SELECT COUNT(*) FROM box_summaries WHERE rest IS NOT NULL").fetchall()[
            0
        ][0]
    oracle = Oracle(cat, "many")
    for classes in (["k299"], ["k001", "k290"], ["k063", "k064", "k255", "k256"], ["nope"]):
        spec = {"labels": [{"source": "ground_truth", "classes": classes}]}
        for extra in ({}, {"sample": {"split": {"in": ["val", "train"]}}}):
            page = queries.samples_page(
                cat, "many", {**spec, **extra}, limit=300, include_annotations=False
            )
            got = (page["total"], [s["sample_id"] for s in page["samples"]])
            assert got == oracle.page({**spec, **extra}, None, "asc", 0, 300), classes
    cat.close()
