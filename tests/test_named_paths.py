"""Every repository path a comment, docstring or document names still exists.

Files move (the catalog's floors, the lab's layers); a reference left behind sends a reader
to nothing. A mention counts as a repository path when it ends in ``.py``, ``.ts`` or
``.tsx`` and its first folder is a folder of this repository (``catalog/store/schema.py``,
``src/api/types.ts``); it resolves as the whole path, relative to the file that names it,
or as the tail of a path (``store/schema.py`` for ``visionlens_jlab/catalog/store/schema.py``).
Names of other projects' files (``cleanlab/object_detection/rank.py``) start with no folder
of ours and are not checked.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ROOTS = ("visionlens_jlab", "src", "tests", "docs", "benchmarks", "ui-tests", "examples")
TEXT = {".py", ".ts", ".tsx", ".md", ".json", ".yaml", ".yml", ".js", ".css"}
SKIPPED_DIRS = {"node_modules", "lib", "labextension", "__pycache__", "test-results"}
# not after a word, a dot, a slash or an @: never inside a URL or a package name
MENTION = re.compile(r"(?<![\w./@-])((?:[\w-]+/)+[\w.-]+\.(?:py|tsx?))\b")
MADE_UP = {
    # the layer test's own made-up module paths
    "src/__tests__/layers.spec.ts",
}


def files() -> Iterator[Path]:
    """The repository's text files (build outputs and installed packages left out)."""
    yield REPO / "README.md"
    for root in ROOTS:
        for folder, dirs, names in os.walk(REPO / root):
            dirs[:] = [d for d in dirs if d not in SKIPPED_DIRS and not d.startswith(".")]
            for name in names:
                if Path(name).suffix in TEXT:
                    yield Path(folder) / name


def test_every_named_repository_path_exists() -> None:
    paths = [p.relative_to(REPO).as_posix() for p in files()]
    existing = set(paths)
    folders = {part for p in paths for part in p.split("/")[:-1]}
    tails = {p.split("/", i)[-1] for p in paths for i in range(p.count("/") + 1)}
    missing = []
    for path in paths:
        if path in MADE_UP:
            continue
        here = Path(path).parent
        text = (REPO / path).read_text(errors="replace")
        for number, line in enumerate(text.splitlines(), 1):
            for match in MENTION.finditer(line):
                named = match.group(1)
                if named.split("/")[0] not in folders:
                    continue  # another project's file
                relative = (here / named).as_posix()
                if named in tails or relative in existing:
                    continue
                missing.append(f"{path}:{number}: {named}")
    assert missing == [], "paths named that do not exist:\n" + "\n".join(missing)
