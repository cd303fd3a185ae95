"""VLM attributes: a vision-language model's answers to fixed questions, and the user's labels.

Each question has a closed set of answers; a VLM job (:mod:`.vlm`) stores one answer per
image and question as the categorical computed field ``computed.vlm_<question>`` (written
like captions, :func:`visionlens_jlab.search.captions.append_texts`), so filters, sorts and
facets work on them with no other code. To judge whether an answer can be trusted, the user
labels a few samples by hand: ``vlm_labels`` (one row per sample and question, added by
migration step 13) holds those labels, which calibration (:mod:`.calibration`) compares with
the model's answers. The table, its step and the questions' fields are declared by the VLM's
manifest (:mod:`.manifest`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import duckdb

if TYPE_CHECKING:
    from ..catalog import Catalog

FIELD_PREFIX = "vlm_"
"""``computed.vlm_<question>``: the field of one question's answers."""
UNKNOWN = "unknown"
"""The answer stored when the model's text is none of the question's answers."""
KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
ANSWER_RE = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")


@dataclass(frozen=True)
class Question:
    """One question the VLM answers per image: its key, its wording, its closed answers."""

    key: str
    text: str
    answers: tuple[str, ...]

    @property
    def field(self) -> str:
        """The computed field of its answers (without the ``computed.`` prefix)."""
        return FIELD_PREFIX + self.key

    def to_dict(self) -> dict[str, Any]:
        """``{"key", "question", "answers"}`` (the questions file's form)."""
        return {"key": self.key, "question": self.text, "answers": list(self.answers)}


DEFAULT_QUESTIONS = (
    Question("lighting", "Is the image bright, dim or dark?", ("bright", "dim", "dark")),
    Question(
        "weather",
        "What is the weather: clear, rain, snow, fog, or indoor if there is no sky?",
        ("clear", "rain", "snow", "fog", "indoor"),
    ),
    Question(
        "occlusion",
        "Are the main objects hidden behind other things: none, partial or heavy?",
        ("none", "partial", "heavy"),
    ),
    Question("scene", "Is this scene indoor or outdoor?", ("indoor", "outdoor")),
    Question("crowding", "How crowded is the image: empty, few or many?", ("empty", "few", "many")),
)

LABELS_DDL = """
CREATE TABLE IF NOT EXISTS vlm_labels (
    dataset_id INTEGER NOT NULL,
    sample_id BIGINT NOT NULL,
    question VARCHAR NOT NULL,       -- a question's key
    answer VARCHAR NOT NULL,         -- the answer the user gave
    labelled_at TIMESTAMP NOT NULL
)
"""


def save_labels(catalog: Catalog, dataset: str, labels: list[tuple[int, str, str]]) -> int:
    """Store the user's ``(sample_id, question, answer)`` labels (a sample's label of a
    question replaces its earlier one), one transaction; returns how many were stored.
    Labels of samples that are not the dataset's are refused (``ValueError``)."""
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        ids = sorted({s for s, _, _ in labels})
        found = cur.execute(
            "SELECT sample_id FROM samples WHERE dataset_id = ? "
            "AND sample_id IN (SELECT unnest(?::BIGINT[]))",
            [dataset_id, ids],
        ).fetchall()
    missing = sorted(set(ids) - {int(r[0]) for r in found})
    if missing:
        raise ValueError(f"samples {missing[:5]} are not samples of dataset {dataset!r}")
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    latest = {(s, q): a for s, q, a in labels}  # the last label of a pair in one request wins
    with catalog.write(dataset_id, keeps_derived=True) as cur:  # no derived table reads labels
        for sample_id, question in latest:
            cur.execute(
                "DELETE FROM vlm_labels WHERE dataset_id = ? AND sample_id = ? AND question = ?",
                [dataset_id, sample_id, question],
            )
        cur.executemany(
            "INSERT INTO vlm_labels VALUES (?, ?, ?, ?, ?)",
            [[dataset_id, s, q, a, now] for (s, q), a in latest.items()],
        )
    return len(latest)


def vlm_questions(cur: duckdb.DuckDBPyConnection, dataset_id: int) -> list[Question]:
    """The questions the dataset's last VLM run answered (from the run's params)."""
    rows = cur.execute(
        "SELECT field, params FROM computed_fields WHERE dataset_id = ? AND starts_with(field, ?)"
        " ORDER BY field",
        [dataset_id, FIELD_PREFIX],
    ).fetchall()
    out: list[Question] = []
    for field, params in rows:
        for q in (json.loads(params) if params else {}).get("questions", []):
            if FIELD_PREFIX + q["key"] == field:
                out.append(Question(q["key"], q["question"], tuple(q["answers"])))
    return out


def answer_pairs(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, question: Question
) -> tuple[list[str], list[str]]:
    """``(the VLM's answers, the user's labels)`` of the samples that have both."""
    rows = cur.execute(
        "SELECT v.text, l.answer FROM computed_values v JOIN vlm_labels l "
        "ON l.dataset_id = v.dataset_id AND l.sample_id = v.sample_id "
        "WHERE v.dataset_id = ? AND v.field = ? AND l.question = ? ORDER BY v.sample_id",
        [dataset_id, question.field, question.key],
    ).fetchall()
    return [r[0] for r in rows], [r[1] for r in rows]


def create_labels_table(cur: duckdb.DuckDBPyConnection) -> None:
    """Migration steps 13 and 28: the (empty) table of the user's VLM labels (28: where a
    catalog stamped 13 lacks it; nothing where it is there)."""
    cur.execute(LABELS_DDL)
