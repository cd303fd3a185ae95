"""Image quality on synthetic photos with planted issues: each planted issue found with its
flag, the same flags as cleanvision's ``Imagelab`` on the same files (the reference, run
here), and the job end to end (real worker processes, DuckDB, the REST API, the CLI)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from cleanvision import Imagelab
from PIL import Image

from visionlens_jlab.catalog import Catalog, NotFoundError
from visionlens_jlab.catalog.reads.queries import facets, sample_ids, samples_page
from visionlens_jlab.handlers.image_quality import IMAGE_QUALITY_JOB
from visionlens_jlab.image_quality import ISSUES
from visionlens_jlab.image_quality.job import run_image_quality, summary
from visionlens_jlab.image_quality.measure import RAW_COLUMNS, edge_std, measure_image
from visionlens_jlab.image_quality.scores import IssueScores, score_issues
from visionlens_jlab.jobs import JobManager
from visionlens_jlab.media.imaging import render_thumbnail

from .image_quality_fixtures import PLANTED, add_dataset, write_images
from .notebook_fixtures import running_kernel
from .test_cli_server_routing import run_cli

# two of each planted issue among clean photos
ISSUE_LIST = [*PLANTED, *(["clean"] * 6), *PLANTED, *(["clean"] * 6)]
# Flags a planted image gets besides its own, by construction: a 1:4 strip is also far from
# the others' sizes (sqrt(150 x 600) = 300), as cleanvision's quartile fences say too.
ALSO = {"odd_aspect_ratio": {"odd_size"}}


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    root = tmp_path_factory.mktemp("quality")
    return root, write_images(root, ISSUE_LIST, seed=3)


def ours(root: Path, files: dict[str, Any]) -> IssueScores:
    """Our scores measured from each file's 256-px thumbnail, as the job does."""
    rows, sizes = [], []
    for name, (_issue, size) in files.items():
        thumb, _ = render_thumbnail((root / name).read_bytes(), 256, "auto")
        rows.append(measure_image(thumb, *size))
        sizes.append(size)
    raw = np.array(rows)
    w, h = np.array(sizes, dtype=float).T
    return score_issues({c: raw[:, i] for i, c in enumerate(RAW_COLUMNS)}, w, h)


def test_planted_issues_found_with_their_flags(images: tuple) -> None:
    root, files = images
    scored = ours(root, files)
    names = list(files)
    for k, name in enumerate(names):
        planted = files[name][0]
        expected = set() if planted == "clean" else {planted} | ALSO.get(planted, set())
        flagged = {issue for issue in ISSUES if scored.flags[issue][k]}
        if planted == "odd_aspect_ratio" and files[name][1] == (800, 200):
            expected = {"odd_aspect_ratio"}  # sqrt(800 x 200) = 400: inside the fences
        assert flagged == expected, (name, planted, flagged)
    # every score in [0, 1], lower is worse: the planted images score below the clean ones
    for issue in ISSUES:
        s = scored.scores[issue]
        assert np.all((s >= 0) & (s <= 1)), issue
        planted = np.array([files[n][0] == issue for n in names])
        clean = np.array([files[n][0] == "clean" for n in names])
        assert s[planted].max() < s[clean].min(), issue


def test_same_flags_and_scores_as_cleanvision(images: tuple) -> None:
    root, files = images
    paths = [str(root / name) for name in files]
    lab = Imagelab(filepaths=paths)
    lab.find_issues({issue: {} for issue in ISSUES}, n_jobs=1, verbose=False)
    theirs = lab.issues.loc[paths]
    scored = ours(root, files)
    assert int(theirs["is_blurry_issue"].sum()) == 2  # the reference does flag the plants
    for issue in ISSUES:
        their_flags = theirs[f"is_{issue}_issue"].to_numpy(bool)
        assert their_flags.tolist() == scored.flags[issue].tolist(), issue
        their_scores = theirs[f"{issue}_score"].to_numpy(float)
        # thumbnails, not originals: brightness percentiles and entropy move a little;
        # sizes and modes come out exact
        tolerance = {"dark": 0.04, "light": 0.04, "low_information": 0.15, "blurry": 0.25}
        assert np.abs(their_scores - scored.scores[issue]).max() <= tolerance.get(issue, 1e-9)


def test_edge_filter_is_pils_find_edges() -> None:
    from PIL import ImageFilter

    grey = np.random.default_rng(1).integers(0, 256, (17, 23), dtype=np.uint8)
    edges = np.asarray(Image.fromarray(grey).filter(ImageFilter.FIND_EDGES), dtype=float)
    assert edge_std(grey) == pytest.approx(edges.std())


@pytest.fixture
def catalog_with_images(images: tuple, tmp_path: Path) -> Any:
    root, files = images
    catalog = Catalog(tmp_path / "data")
    ids = add_dataset(catalog, root, files, "photos")
    yield catalog, ids, files
    catalog.close()


def test_job_stores_fields_for_filters_facets_and_sort(catalog_with_images: tuple) -> None:
    catalog, ids, files = catalog_with_images
    with pytest.raises(NotFoundError, match="no image quality computed"):
        summary(catalog, "photos")
    result = run_image_quality(catalog, "photos", workers=2)  # two real worker processes
    assert result["measured"] == result["images"] == len(files)
    counts = {e["issue"]: e["count"] for e in result["issues"]}
    assert [e["issue"] for e in result["issues"]] == list(ISSUES)
    assert counts["dark"] == 2 and counts["grayscale"] == 2 and counts["blurry"] == 2
    assert result["issues"][5]["thresholds"]["threshold"] == 0.5  # odd_size, with its fences
    assert summary(catalog, "photos")["issues"] == result["issues"]
    for entry in result["issues"]:
        got = set(sample_ids(catalog, "photos", entry["filter"]).to_pylist())
        assert len(got) == entry["count"], entry["issue"]
    dark = {ids[n] for n, (issue, _) in files.items() if issue == "dark"}
    assert set(sample_ids(catalog, "photos", result["issues"][0]["filter"]).to_pylist()) == dark
    page = samples_page(
        catalog, "photos", None, sort="computed.quality_dark_score", order="asc", limit=3
    )
    assert {s["sample_id"] for s in page["samples"][:2]} == dark  # worst first
    out = {f["name"]: f for f in facets(catalog, "photos", None)["facets"]}
    assert out["computed.quality_blurry_score"]["count"] == len(files)
    flags = {v["value"]: v["count"] for v in out["computed.is_grayscale_issue"]["values"]}
    assert flags == {"true": 2, "false": len(files) - 2}


def test_rerun_replaces_and_unreadable_images_get_no_value(
    catalog_with_images: tuple, images: tuple
) -> None:
    catalog, ids, files = catalog_with_images
    root, _ = images
    run_image_quality(catalog, "photos", in_process=True)
    broken = next(n for n, (issue, _) in files.items() if issue == "dark")
    original = (root / broken).read_bytes()
    try:
        (root / broken).write_bytes(b"not an image")
        result = run_image_quality(catalog, "photos", workers=1)
    finally:
        (root / broken).write_bytes(original)
    assert result["unreadable"] == 1 and result["measured"] == len(files) - 1
    assert result["issues"][0]["count"] == 1  # the other dark image
    unset = {"sample": {"computed.quality_dark_score": {"is_null": True}}}
    assert sample_ids(catalog, "photos", unset).to_pylist() == [ids[broken]]
    # sizes come from the samples table: the broken file still has its odd-size score
    size_set = {"sample": {"computed.quality_odd_size_score": {"is_null": False}}}
    assert len(sample_ids(catalog, "photos", size_set)) == len(files)
    with catalog.cursor() as cur:
        rows = cur.execute(
            "SELECT COUNT(*) FROM computed_values WHERE field = 'is_dark_issue'"
        ).fetchall()
    assert rows == [(len(files) - 1,)]  # replaced, not added to


def test_cancelled_job_writes_nothing(catalog_with_images: tuple) -> None:
    catalog, _ids, _files = catalog_with_images
    jobs = JobManager(max_workers=1)
    try:
        job = jobs.submit(
            IMAGE_QUALITY_JOB, lambda ctx: run_image_quality(catalog, "photos", ctx=ctx)
        )
        jobs.cancel(job.id)  # while the workers start
        done = jobs.wait(job.id, timeout=60)
    finally:
        jobs.shutdown(timeout=10)
    assert done.status == "cancelled"
    with pytest.raises(NotFoundError):
        summary(catalog, "photos")


async def test_rest_job_and_cli_through_the_server(
    api: Any, wait_job: Any, vl_app: Any, vl_data_dir: Path, images: tuple, http_server_client: Any
) -> None:
    root, files = images
    add_dataset(vl_app.catalog, root, files, "photos")
    code, answer = await api("GET", "datasets/photos/image-quality")
    assert code == 404 and "no image quality computed" in answer["message"]
    for body in ({"workers": 0}, {"workers": "2"}, {"threshold": 1}):
        code, answer = await api("POST", "datasets/photos/image-quality", body)
        assert code == 400, body
    code, answer = await api("POST", "datasets/nope/image-quality", {})
    assert code == 404
    code, answer = await api("POST", "datasets/photos/image-quality", {})
    assert code == 202 and answer["job"]["kind"] == "image_quality"
    job = await wait_job(answer["job"])
    assert job["status"] == "done", job
    counts = {e["issue"]: e["count"] for e in job["result"]["issues"]}
    assert counts["dark"] == 2 and counts["light"] == 2
    code, stored = await api("GET", "datasets/photos/image-quality")
    assert code == 200 and stored["issues"] == job["result"]["issues"]
    flt = job["result"]["issues"][1]["filter"]  # light
    code, page = await api("POST", "datasets/photos/samples/query", {"filter": flt})
    assert code == 200 and page["total"] == 2
    code, out, err = await run_cli("image-quality", "photos", "--json", data_dir=vl_data_dir)
    assert code == 0, err
    assert {e["issue"]: e["count"] for e in json.loads(out)["issues"]} == counts
    code, out, err = await run_cli("image-quality", "photos", data_dir=vl_data_dir)
    assert code == 0 and "dark" in out and "threshold=0.32" in out
    async with running_kernel() as k:  # the notebook API in a real kernel
        out = await k.check(
            "import json, visionlens_jlab as vl\n"
            "f = vl.dataset('photos').image_quality()\n"
            "print(json.dumps({'rows': f.values.tolist(), 'cols': f.columns.tolist(),\n"
            "  'code': f.attrs['code'], 'fences': f.attrs['thresholds']['odd_size']}))\n"
        )
    got = json.loads(out)
    assert got["cols"] == ["issue", "count", "threshold", "score_field", "flag_field"]
    assert {r[0]: r[1] for r in got["rows"]} == counts
    assert got["rows"][0][2:] == [0.32, "computed.quality_dark_score", "computed.is_dark_issue"]
    assert got["code"] == "vl.dataset('photos').image_quality()"
    assert got["fences"]["low"] < got["fences"]["high"]


def test_cli_without_a_server(images: tuple, tmp_path: Path) -> None:
    root, files = images
    data = tmp_path / "data"
    with Catalog(data) as catalog:
        add_dataset(catalog, root, files, "photos")

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "visionlens_jlab.cli", "image-quality", *args,
             "--data-dir", str(data)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip

    out = cli("photos", "--json")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    strips = sum(
        1 for issue, size in files.values() if (issue, size) == ("odd_aspect_ratio", (150, 600))
    )
    assert {e["issue"]: e["count"] for e in result["issues"]}["odd_size"] == 2 + strips
    assert result["code"] == "vl.dataset('photos').image_quality()"
    out = cli("photos", "--workers", "0")
    assert out.returncode == 2 and "--workers" in out.stderr
    out = cli("missing")
    assert out.returncode == 1 and "missing" in out.stderr
