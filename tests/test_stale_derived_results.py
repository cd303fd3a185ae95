"""Dataset-wide results after their samples change (issue #54): duplicate groups, blind
spots, maps and label quality say ``stale`` (and why) once samples are deleted, restored or
added or the labels they read changed (visionlens_jlab/catalog/reads/result_basis.py), never
serve a deleted sample as a member, and are fresh again after an undo or a recompute. A real
catalog ("rich": 40 samples, its "t1" view, model m1) and a real Qdrant Edge store."""

from __future__ import annotations

from typing import Any

from visionlens_jlab import edits
from visionlens_jlab.blindspots.results import computed_basis, last_result, save_result
from visionlens_jlab.bulk.delete_labels import delete_view_labels
from visionlens_jlab.bulk.delete_samples import delete_view_samples
from visionlens_jlab.bulk.merge import merge_datasets
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.dedup import last_result as last_duplicates
from visionlens_jlab.dedup.job import run_duplicates
from visionlens_jlab.label_quality import stored
from visionlens_jlab.label_quality.job import run_label_quality
from visionlens_jlab.maps.answers import select_ids
from visionlens_jlab.maps.jobs import run_map
from visionlens_jlab.maps.store import descriptor, resolve
from visionlens_jlab.quality_view import quality_overview
from visionlens_jlab.vectors import EdgeVectorStore

from .test_bulk_subset import dataset_id, sample_ids, store  # noqa: F401 - the store fixture
from .test_facet_index import catalog  # noqa: F401 - the fixture: "rich", "bare" with m1

VIEW = {"tags": {"any": ["t1"]}}
FRESH = {"stale": False, "stale_reason": None, "samples_removed": 0, "samples_added": 0}


def view_ids(cat: Catalog) -> tuple[list[int], list[int]]:
    """The ids of the "t1" view of "rich" and of the rest."""
    with cat.cursor() as cur:
        rows = cur.execute(
            "SELECT s.sample_id, list_contains(s.tags, 't1') FROM samples s JOIN datasets d "
            "USING (dataset_id) WHERE d.name = 'rich' ORDER BY s.sample_id"
        ).fetchall()
    return [int(s) for s, t in rows if t], [int(s) for s, t in rows if not t]


def staleness_of(answer: dict[str, Any]) -> dict[str, Any]:
    return {k: answer[k] for k in FRESH}


def test_duplicates_stale_after_a_delete_fresh_after_undo_and_recompute(
    catalog: Catalog,  # noqa: F811
    store: EdgeVectorStore,  # noqa: F811
) -> None:
    gone, kept = view_ids(catalog)
    # two near-duplicate pairs: one across the view (its view member is deleted), one outside
    space = store.spaces()[0].name
    _, vecs = store.get_vectors(space, [kept[0], kept[1]])
    ds = dataset_id(catalog, "rich")
    store.upsert(space, [gone[0], kept[2]], vecs, dataset_ids=ds)
    run_duplicates(catalog, store, "rich", threshold=0.999, hashes=False)
    before = last_duplicates(catalog, "rich")
    assert before is not None and staleness_of(before) == FRESH
    assert sorted(before["groups"]) == sorted(
        [sorted([kept[0], gone[0]]), sorted([kept[1], kept[2]])]
    )

    delete_view_samples(catalog, "rich", VIEW, "tester", vectors=lambda: store)
    after = last_duplicates(catalog, "rich")
    assert after is not None
    assert staleness_of(after) == {
        "stale": True,
        "stale_reason": f"{len(gone)} samples deleted since it was computed",
        "samples_removed": len(gone),
        "samples_added": 0,
    }
    # the deleted sample is no member any more: its group of two is no group
    assert after["groups"] == [sorted([kept[1], kept[2]])]
    assert after["deleted_members"] == 1
    named = {s for r in after["pair_list"] for s in (r["sample_id"], r["duplicate_id"])}
    assert named == {kept[1], kept[2]}

    edits.undo(catalog, "rich", "tester", vectors=lambda: store)
    undone = last_duplicates(catalog, "rich")
    assert undone is not None and staleness_of(undone) == FRESH
    assert undone["groups"] == before["groups"] and undone["deleted_members"] == 0

    edits.redo(catalog, "rich", "tester", vectors=lambda: store)
    assert last_duplicates(catalog, "rich")["stale"] is True  # type: ignore[index]
    run_duplicates(catalog, store, "rich", threshold=0.999, hashes=False)
    again = last_duplicates(catalog, "rich")
    assert again is not None and staleness_of(again) == FRESH
    assert again["groups"] == [sorted([kept[1], kept[2]])]


def test_samples_added_since_are_counted(catalog: Catalog) -> None:  # noqa: F811
    """A write that adds samples (an ingest appending, a merge: new ids above every stored
    one) makes the result stale with the count added."""
    run_duplicates(catalog, None, "rich", hashes=False)
    ds = dataset_id(catalog, "rich")
    with catalog.write(ds) as cur:  # as a merge adds samples: ids above every stored one
        cur.execute(
            "INSERT INTO samples SELECT * REPLACE (sample_id + 1000 AS sample_id) FROM samples "
            "WHERE dataset_id = ? ORDER BY sample_id LIMIT 3",
            [ds],
        )
    answer = last_duplicates(catalog, "rich")
    assert answer is not None
    assert staleness_of(answer) == {
        "stale": True,
        "stale_reason": "3 samples added since it was computed",
        "samples_removed": 0,
        "samples_added": 3,
    }


def test_map_stale_after_a_delete_and_its_lasso_names_no_deleted_sample(
    catalog: Catalog,  # noqa: F811
    store: EdgeVectorStore,  # noqa: F811
) -> None:
    gone, kept = view_ids(catalog)
    key = resolve(catalog, store, "rich", None, "pca", None)
    made = run_map(catalog, store, key)
    assert made["stale"] is False and made["deleted"] == 0
    everywhere: dict[str, Any] = {"rect": [-1e9, -1e9, 1e9, 1e9]}
    assert len(select_ids(catalog, "rich", key.id, **everywhere)) == len(gone) + len(kept)

    delete_view_samples(catalog, "rich", VIEW, "tester", vectors=lambda: store)
    desc = descriptor(catalog, store, "rich", key.id)
    assert desc["stale"] is True and desc["deleted"] == len(gone)
    assert desc["stale_reason"] == f"{len(gone)} samples deleted since it was computed"
    # the lasso's cached points were of before the delete: it must not answer those ids
    assert select_ids(catalog, "rich", key.id, **everywhere).tolist() == kept

    edits.undo(catalog, "rich", "tester", vectors=lambda: store)
    desc = descriptor(catalog, store, "rich", key.id)
    assert desc["stale"] is False and desc["deleted"] == 0 and desc["stale_reason"] is None
    assert len(select_ids(catalog, "rich", key.id, **everywhere)) == len(gone) + len(kept)


def test_label_quality_stale_after_sample_and_label_deletes(
    catalog: Catalog,  # noqa: F811
    store: EdgeVectorStore,  # noqa: F811
) -> None:
    gone, _ = view_ids(catalog)
    run_label_quality(catalog, "rich", "m1")
    assert staleness_of(stored(catalog, "rich", "m1")) == FRESH
    assert quality_overview(catalog, "rich")["label"]["stale"] is False

    delete_view_samples(catalog, "rich", VIEW, "tester", vectors=lambda: store)
    answer = stored(catalog, "rich", "m1")
    assert answer["stale"] is True and answer["samples_removed"] == len(gone)
    assert not {b["sample_id"] for b in answer["boxes"]} & set(gone)
    assert not {i["sample_id"] for i in answer["images"]} & set(gone)
    assert quality_overview(catalog, "rich")["label"]["stale"] is True

    edits.undo(catalog, "rich", "tester", vectors=lambda: store)
    assert staleness_of(stored(catalog, "rich", "m1")) == FRESH

    # the model's labels of the view deleted (an edit batch): stale, and stays so after its
    # undo (the edit log says the labels were edited since, as evaluations read it)
    delete_view_labels(catalog, "rich", VIEW, "m1", "tester")
    answer = stored(catalog, "rich", "m1")
    assert answer["stale"] is True and answer["labels_changed"] is True
    assert answer["stale_reason"] == "labels changed since it was computed"
    edits.undo(catalog, "rich", "tester")
    assert stored(catalog, "rich", "m1")["stale"] is True
    run_label_quality(catalog, "rich", "m1")
    assert stored(catalog, "rich", "m1")["stale"] is False


def test_blind_spot_evidence_leaves_deleted_samples_out(
    catalog: Catalog,  # noqa: F811
    store: EdgeVectorStore,  # noqa: F811
) -> None:
    """The stored result as the engine stores it (its basis taken before the run), its
    findings' evidence naming samples of the view that is then deleted."""
    gone, kept = view_ids(catalog)
    ds, basis = computed_basis(catalog, "rich", "m1")
    finding = {"id": "f1", "evidence": [gone[0], kept[0], gone[1]]}
    save_result(catalog, ds, "m1", {"findings": [finding], "tested": 1}, basis)
    fresh = last_result(catalog, "rich", "m1")
    assert fresh is not None and staleness_of(fresh) == FRESH
    assert fresh["findings"][0]["evidence"] == [gone[0], kept[0], gone[1]]

    delete_view_samples(catalog, "rich", VIEW, "tester", vectors=lambda: store)
    after = last_result(catalog, "rich", "m1")
    assert after is not None and after["stale"] is True
    assert after["samples_removed"] == len(gone) and after["deleted_members"] == 2
    assert after["findings"][0]["evidence"] == [kept[0]]

    edits.undo(catalog, "rich", "tester", vectors=lambda: store)
    undone = last_result(catalog, "rich", "m1")
    assert undone is not None and staleness_of(undone) == FRESH
    assert undone["findings"][0]["evidence"] == [gone[0], kept[0], gone[1]]


def test_a_result_stored_before_bases_is_judged_by_the_log(
    catalog: Catalog,  # noqa: F811
    store: EdgeVectorStore,  # noqa: F811
) -> None:
    """An older catalog's result has no basis: stale once a batch deleted samples since."""
    ds, _ = computed_basis(catalog, "rich", "m1")
    with catalog.write(ds, keeps_derived=True) as cur:
        cur.execute(
            "INSERT INTO duplicate_results VALUES (?, now()::TIMESTAMP - INTERVAL 1 HOUR, ?)",
            [ds, '{"groups": [], "pair_list": [], "leaks": []}'],
        )
    old = last_duplicates(catalog, "rich")
    assert old is not None and old["stale"] is False and old["samples_removed"] is None
    delete_view_samples(catalog, "rich", VIEW, "tester", vectors=lambda: store)
    old = last_duplicates(catalog, "rich")
    assert old is not None and old["stale"] is True
    assert old["stale_reason"] == "samples were deleted or restored"


async def test_rest_answers_say_stale_after_a_delete_and_fresh_after_undo(
    api: Any, vl_app: Any
) -> None:
    """Through a real server: the duplicates, label-quality and quality answers of "toy"
    (its val samples deleted over REST, then undone)."""
    from tests.catalog_fixtures import PredictionRowsSource, RowsSource, prediction_rows, toy_rows
    from visionlens_jlab.catalog.writes.dataset_writer import write_dataset, write_predictions

    cat = vl_app.catalog
    write_dataset(cat, "toy", RowsSource(*toy_rows()))
    write_predictions(cat, "toy", "m1", PredictionRowsSource(prediction_rows()))
    run_duplicates(cat, None, "toy", hashes=False)
    run_label_quality(cat, "toy", "m1")
    view = {"sample": {"split": {"in": ["val"]}}}
    paths = ("datasets/toy/duplicates", "datasets/toy/label-quality")
    m1 = {"model": "m1"}
    for path in paths:
        status, answer = await api("GET", path, params=m1)
        assert status == 200 and staleness_of(answer) == FRESH, (path, answer)

    status, deleted = await api("POST", "datasets/toy/edits/delete_samples", {"filter": view})
    assert status == 200 and deleted["samples"] > 0
    for path in paths:
        status, answer = await api("GET", path, params=m1)
        assert status == 200 and answer["stale"] is True, (path, answer)
        assert answer["samples_removed"] == deleted["samples"]
        assert answer["stale_reason"].startswith(f"{deleted['samples']} sample")
    status, overview = await api("GET", "datasets/toy/quality", params=m1)
    assert status == 200 and overview["label"]["stale"] is True

    status, _ = await api("POST", "datasets/toy/edits/undo")
    assert status == 200
    for path in paths:
        status, answer = await api("GET", path, params=m1)
        assert status == 200 and staleness_of(answer) == FRESH, (path, answer)


def test_a_merge_into_the_dataset_makes_its_results_stale(catalog: Catalog) -> None:  # noqa: F811
    """``merge bare --into rich`` (no file name in common: every sample added, with its
    labels): the samples added are counted, and label quality sees the labels changed."""
    run_duplicates(catalog, None, "rich", hashes=False)
    run_label_quality(catalog, "rich", "m1")
    merged = merge_datasets(catalog, "bare", "rich", "file_name")
    assert merged.added > 0 and merged.labels > 0, merged
    duplicates = last_duplicates(catalog, "rich")
    assert duplicates is not None and duplicates["stale"] is True
    assert duplicates["samples_added"] == merged.added and duplicates["samples_removed"] == 0
    quality = stored(catalog, "rich", "m1")
    assert quality["stale"] is True and quality["samples_added"] == merged.added
    assert quality["labels_changed"] is True  # the added samples came with labels
