"""A benchmark's ``--out`` writes only its own section of a results markdown file
(``benchmarks/harness.py``'s ``write_section``): the other sections, hand-written ones
included, stay as they are and where they are."""

from __future__ import annotations

import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

from harness import write_section  # noqa: E402 - after the benchmarks folder is on the path

REPORT = """# Video benchmarks

Intro text.

## Older run (2026-11-01)

Kept.

## Video seek (1080p) (2026-11-02)

Old figures.

### Its subsection

Old table.

```
## a shell comment in a code block, not a heading
```

## Frame export (2026-11-03)

Kept too; mentions ## Video seek in its text.
"""


def test_a_section_is_replaced_in_place_with_its_subsections(tmp_path: Path) -> None:
    path = tmp_path / "video.md"
    path.write_text(REPORT)
    write_section(path, "## Video seek", "## Video seek (1080p) (2026-11-29)\n\nNew.\n")
    assert path.read_text() == (
        "# Video benchmarks\n\nIntro text.\n\n## Older run (2026-11-01)\n\nKept.\n\n"
        "## Video seek (1080p) (2026-11-29)\n\nNew.\n\n"
        "## Frame export (2026-11-03)\n\nKept too; mentions ## Video seek in its text.\n"
    )


def test_a_new_section_goes_on_top_or_at_the_end(tmp_path: Path) -> None:
    path = tmp_path / "video.md"
    path.write_text(REPORT)
    write_section(path, "## From gs://", "## From gs:// (2026-11-29)\n\nFirst.\n", top=True)
    text = path.read_text()
    first = "## From gs:// (2026-11-29)\n\nFirst.\n\n## Older run"
    assert text == REPORT.replace("## Older run", first, 1)
    write_section(path, "## Last", "## Last\n\nAt the end.")
    assert path.read_text() == text + "\n## Last\n\nAt the end.\n"
    # Written again: replaced where it is, not added a second time.
    write_section(path, "## From gs://", "## From gs:// (2026-11-30)\n\nSecond.\n", top=True)
    again = path.read_text()
    assert again.count("## From gs://") == 1 and "Second." in again and "First." not in again
    assert again.index("## From gs://") < again.index("## Older run")


def test_a_missing_file_is_created_with_the_section(tmp_path: Path) -> None:
    path = tmp_path / "new.md"
    write_section(path, "## Run", "## Run (today)\n\nFigures.\n\n\n", top=True)
    assert path.read_text() == "## Run (today)\n\nFigures.\n"
