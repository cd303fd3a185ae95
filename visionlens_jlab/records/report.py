"""The validation report every ingest ends with: nothing is dropped without being counted."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

MAX_EXAMPLES = 5


class IngestError(Exception):
    """Nothing usable could be read; the message says what was wrong and what to do."""


@dataclass
class _Entry:
    code: str
    message: str
    count: int = 0
    examples: list[str] = field(default_factory=list)


class IngestReport:
    """Warnings (counted, with a few examples) and errors collected while parsing.

    A warning means something was clamped, skipped or defaulted but the rest went on; an
    error means a whole file or record could not be read at all.
    """

    def __init__(self) -> None:
        self._warnings: dict[str, _Entry] = {}
        self._errors: dict[str, _Entry] = {}
        self.counts: dict[str, int] = {}

    def warn(
        self,
        code: str,
        message: str,
        example: object = None,
        count: int = 1,
        examples: Iterable[object] = (),
    ) -> None:
        """Count ``count`` occurrences of warning ``code``; keep a few of the examples."""
        self._add(self._warnings, code, message, example, count, examples)

    def error(
        self,
        code: str,
        message: str,
        example: object = None,
        count: int = 1,
        examples: Iterable[object] = (),
    ) -> None:
        """Count an error: a file or record that could not be read at all."""
        self._add(self._errors, code, message, example, count, examples)

    @staticmethod
    def _add(
        table: dict[str, _Entry],
        code: str,
        message: str,
        example: object,
        count: int,
        examples: Iterable[object],
    ) -> None:
        entry = table.get(code)
        if entry is None:
            entry = table[code] = _Entry(code, message)
        entry.count += count
        for item in ([example] if example is not None else []) + list(examples):
            if len(entry.examples) >= MAX_EXAMPLES:
                break
            entry.examples.append(str(item)[:300])

    def merge(self, other: IngestReport) -> None:
        """Add ``other``'s entries and counts to this report's (a dataset read in parts)."""
        for mine, theirs in ((self._warnings, other._warnings), (self._errors, other._errors)):
            for entry in theirs.values():
                self._add(mine, entry.code, entry.message, None, entry.count, entry.examples)
        for key, value in other.counts.items():
            self.counts[key] = self.counts.get(key, 0) + value

    @property
    def warnings(self) -> list[dict[str, Any]]:
        return [_as_dict(e) for e in self._warnings.values()]

    @property
    def errors(self) -> list[dict[str, Any]]:
        return [_as_dict(e) for e in self._errors.values()]

    def to_dict(self) -> dict[str, Any]:
        return {"counts": dict(self.counts), "warnings": self.warnings, "errors": self.errors}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> IngestReport:
        report = cls()
        report.counts = dict(data.get("counts", {}))
        for key, table in (("warnings", report._warnings), ("errors", report._errors)):
            for item in data.get(key, []):
                table[item["code"]] = _Entry(
                    item["code"],
                    item.get("message", ""),
                    int(item["count"]),
                    list(item.get("examples", [])),
                )
        return report


def _as_dict(entry: _Entry) -> dict[str, Any]:
    return {
        "code": entry.code,
        "message": entry.message,
        "count": entry.count,
        "examples": list(entry.examples),
    }
