"""Generate src/api/labelKinds.ts from visionlens_jlab/records/label_kinds.json.

    python docs/tools/label_kinds_ts.py          # rewrite the TypeScript file
    python docs/tools/label_kinds_ts.py --check  # exit 1 if the committed one is stale

The lab's label vocabularies (kind names, label types, ``labels.type`` words, iou types, a
model's label counts) are types and constants of that file, so a new kind declared in the
JSON reaches the lab by running this script. The output is formatted with the project's
Prettier (``node_modules/.bin/prettier``). tests/test_label_kinds.py runs ``--check``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from generated_ts import write_or_check

REPO = Path(__file__).resolve().parents[2]
SOURCE = REPO / "visionlens_jlab" / "records" / "label_kinds.json"
OUTPUT = REPO / "src" / "api" / "labelKinds.ts"


def _union(values: list[str]) -> str:
    return " | ".join(f"'{v}'" for v in values) if values else "never"


def _kind(entry: dict) -> str:
    fields = {
        "name": entry["name"],
        "labelType": entry["label_type"],
        "title": entry["title"],
        "scope": entry["scope"],
        "filterWord": entry["filter_word"],
        "iouType": entry["iou_type"],
        "fields": list(entry["wire"]),
    }
    return json.dumps(fields).replace('"', "'")


def generate() -> str:
    """The TypeScript text (unformatted)."""
    kinds = json.loads(SOURCE.read_text(encoding="utf-8"))["kinds"]
    names = [k["name"] for k in kinds]
    types = [k["label_type"] for k in kinds]
    words = [k["filter_word"] for k in kinds if k["filter_word"]]
    ious = [k["iou_type"] for k in kinds if k["iou_type"]]
    entries = ",\n".join(_kind(k) for k in kinds)
    return f"""/**
 * The label kinds, generated from `visionlens_jlab/records/label_kinds.json`
 * by `docs/tools/label_kinds_ts.py`: do not edit (a test fails when stale).
 */

/** A kind of label. */
export type LabelKindName = {_union(names)};

/** What a view shows or hides, and what a model's label counts name. */
export type LabelType = {_union(types)};

/** What an object may have besides its box (`labels.type` of a filter). */
export type ObjectLabelType = {_union(words)};

/** How evaluation compares two objects. */
export type IouType = {_union(ious)};

/** Labels by type: objects (each a box), those with each further kind, image labels. */
export type ILabelTypeCounts = Record<LabelType, number>;

/** One kind of label, as the lab reads it. */
export interface ILabelKind {{
  readonly name: LabelKindName;
  readonly labelType: LabelType;
  /** Its short title (the label type toggles). */
  readonly title: string;
  /** `object`: a field of an object; `image`: an image-level label. */
  readonly scope: 'object' | 'image';
  readonly filterWord: ObjectLabelType | null;
  readonly iouType: IouType | null;
  /** The fields of an answer's object that carry it. */
  readonly fields: readonly string[];
}}

/** Every kind, in the order views list them. */
export const LABEL_KINDS: readonly ILabelKind[] = [
{entries}
];
"""


def main(argv: list[str]) -> int:
    return write_or_check(OUTPUT, generate(), "docs/tools/label_kinds_ts.py", argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
