"""What the evaluation adds to the catalog: its manifest, installed when this module is
imported (:mod:`visionlens_jlab.features` and the package import it).

Its tables (``evaluations``, ``box_evaluations``: schema 1, :mod:`.store`; ``eval_summaries``:
schema 1, :mod:`.eval_summaries`, refreshed as a derived structure and rebuilt by step 4;
``tide_objects``: step 24, :mod:`.tide_rows`; ``track_results``: step 25,
:mod:`.track_results`, with its ``track`` label condition), the
reads the catalog makes of them (a box's status in a page, an export's evaluation columns, the
evaluation patches), the ``eval`` label condition with its summary
clause and its mask from the evaluation index, the eval facets and their stored part, and
the map's ``eval.*`` point values, and the evaluation index (in memory: patched after a label
edit, rebuilt by the index warmer).
"""

from __future__ import annotations

from ..catalog.derived import Kind, Structure
from ..catalog.derived.sql_structures import EVAL_SUMMARIES
from ..catalog.extensions.manifest import (
    FacetContribution,
    LabelConditionKind,
    Manifest,
    Table,
    install,
)
from ..catalog.plan.planner import LabelBackend
from ..catalog.query.facet_places import FacetPlace
from ..catalog.store.feature_reads import EVAL_BOX_RESULTS, EVAL_RUNS, columns_of
from ..catalog.store.registry import Step
from .eval_facet_index import EVALUATION_INDEX, warm
from .eval_filter import compile_eval_condition, eval_summary_clause, parse_eval_condition
from .eval_label_mask import eval_label_mask
from .eval_map_values import PREFIX, eval_point_counts
from .eval_summaries import EVAL_SUMMARIES_DDL, STRUCTURE, SUMMARY
from .store import EVAL_DDL, eval_facet_entries, store_facet_part
from .tide_rows import TABLE as TIDE_TABLE
from .tide_rows import create_tide_objects
from .track_facets import FACET_PLACES as TRACK_FACET_PLACES
from .track_facets import NAMES as TRACK_FACETS
from .track_facets import track_facet_entries, track_facet_parts
from .track_results import TABLE as TRACK_TABLE
from .track_results import (
    compile_track_condition,
    create_track_results,
    parse_track_condition,
)

MANIFEST = Manifest(
    "evaluation",
    tables=(
        Table("evaluations", EVAL_DDL[0]),
        Table("box_evaluations", EVAL_DDL[1]),
        Table("eval_summaries", EVAL_SUMMARIES_DDL),
        Table(TIDE_TABLE),
        Table(TRACK_TABLE),
    ),
    steps=(
        Step(24, "add each object's TIDE error", create_tide_objects),
        Step(25, "add each object's outcome in a tracking evaluation", create_track_results),
    ),
    reads={
        EVAL_BOX_RESULTS: columns_of(EVAL_BOX_RESULTS, "box_evaluations"),
        EVAL_RUNS: columns_of(EVAL_RUNS, "evaluations"),
    },
    structures=(
        Structure(
            "evaluation facet part",
            frozenset({Kind.EVALUATION, Kind.SAMPLES_REMOVED}),
            store_facet_part,
            after=(EVAL_SUMMARIES,),
        ),
        EVALUATION_INDEX,
        STRUCTURE,
    ),
    warmers=(warm,),
    label_conditions=(
        LabelConditionKind("eval", compile_eval_condition, parse_eval_condition),
        LabelConditionKind(
            "track", compile_track_condition, parse_track_condition, track_facet_parts
        ),
    ),
    label_summaries={"eval": eval_summary_clause},
    label_backends=(LabelBackend("evaluation index", "eval", eval_label_mask),),
    facets=(
        FacetContribution(
            eval_facet_entries,
            takes_filtered=True,
            # counted per box; the panel's filter has no place for them (the eval condition
            # of a labels entry is the Evaluation panel's)
            places=(FacetPlace("eval.", None, "objects"),),
        ),
        FacetContribution(track_facet_entries, multi_pick=TRACK_FACETS, places=TRACK_FACET_PLACES),
    ),
    point_counts={PREFIX: eval_point_counts},
    summaries=(SUMMARY,),
)
"""The evaluation's catalog extension (see the module docstring)."""

install(MANIFEST)
