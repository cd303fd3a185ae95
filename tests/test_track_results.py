"""Each object's outcome in a tracking evaluation (step 25), and the ``track`` filter over
it: the frames where an identity switched and the tracks that switched are the ones the
engine's report (equal to TrackEval: test_evaluate_tracking) names for the same MOT files."""

from __future__ import annotations

from typing import Any

import pytest

from tests.test_evaluate_tracking_catalog import mot  # noqa: F401 - the shared fixture
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.query.filters import FilterError
from visionlens_jlab.catalog.reads import queries
from visionlens_jlab.evaluate.tracking import evaluate_tracking, read_mot_folders
from visionlens_jlab.evaluate.tracking.catalog_sequences import evaluate_dataset_tracking

FRAMES = """
SELECT v.name, f.frame_number FROM video_frames f JOIN videos v
  ON v.dataset_id = f.dataset_id AND v.video_id = f.video_id
WHERE f.sample_id IN (SELECT unnest(?::BIGINT[]))
"""


def frames_of(catalog: Catalog, spec: dict[str, Any]) -> set[tuple[str, int]]:
    """The (video, frame number) of every sample the filter ``spec`` matches."""
    page = queries.samples_page(catalog, "m", spec, limit=10_000)
    ids = [s["sample_id"] for s in page["samples"]]
    with catalog.cursor() as cur:
        return {(str(v), int(n)) for v, n in cur.execute(FRAMES, [ids]).fetchall()}


def track(condition: dict[str, Any], source: str = "ground_truth") -> dict[str, Any]:
    return {"labels": [{"source": source, "track": {"model": "trk", **condition}}]}


def test_switches_and_misses_are_the_reports(mot: dict[str, Any]) -> None:  # noqa: F811
    files = evaluate_tracking(read_mot_folders(mot["gt"], mot["results"]))
    with Catalog(mot["data"]) as catalog:
        report = evaluate_dataset_tracking(catalog, "m", "trk")
        switches = {
            (name, int(frame))
            for name, d in files.details.items()
            for frame in d.switch_frame.tolist()
        }
        assert switches and report["tracking"]["num_switches"] == len(switches)
        assert frames_of(catalog, track({"switched": True})) == switches
        assert frames_of(catalog, track({"switched": True}, "trk")) == switches
        # the tracks that switched: every frame their ground truth is on
        switched_ids = {
            (name, int(i))
            for name, d in files.details.items()
            for i in d.track_gt_id[d.track_switches > 0].tolist()
        }
        gt = read_mot_folders(mot["gt"], mot["results"])
        on = {
            (s.name, int(f))
            for s in gt
            for f, i in zip(s.gt_frame.tolist(), s.gt_id.tolist(), strict=True)
            if (s.name, i) in switched_ids
        }
        assert frames_of(catalog, track({"track_switches": {"min": 1}})) == on
        with catalog.cursor() as cur:
            counts = dict(
                cur.execute(
                    "SELECT status, COUNT(*) FROM track_results WHERE model = 'trk' GROUP BY ALL"
                ).fetchall()
            )
        assert counts["missed"] == report["tracking"]["num_misses"]
        assert counts["false_positive"] == report["tracking"]["num_false_positives"]
        # evaluated again: the model's rows are replaced, not added to
        evaluate_dataset_tracking(catalog, "m", "trk")
        with catalog.cursor() as cur:
            total = cur.execute("SELECT COUNT(*) FROM track_results").fetchall()[0][0]
        assert total == sum(counts.values())


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ({"switched": "yes"}, "switched must be true or false"),
        ({"status": ["lost"]}, "labels.track.status must be a list of"),
        ({"track_switches": {"min": 0.5}}, "must be an integer"),
        ({"switches": 1}, "unknown labels.track keys"),
    ],
)
def test_bad_track_conditions_are_refused(
    mot: dict[str, Any],  # noqa: F811
    condition: Any,
    message: str,
) -> None:
    with Catalog(mot["data"]) as catalog:
        with pytest.raises(FilterError, match=message):
            queries.samples_page(catalog, "m", track(condition))
