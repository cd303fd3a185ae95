"""The class columns of a summary row (``CLASS_AGGREGATES``): a bit per class numbered below
256, the names of the others sorted and each once, NULL where a group has none; the same
values as the DISTINCT aggregate they replaced (``list(DISTINCT ..)``, which DuckDB groups
in a second pass)."""

from __future__ import annotations

from collections import Counter

import duckdb
import numpy as np

from visionlens_jlab.catalog.tables.box_summaries import CLASS_AGGREGATES, MASK_WORDS

BITS = 64 * MASK_WORDS
OLD = f"list_sort(list(DISTINCT a.label) FILTER (WHERE c.bit >= {BITS}))"


def test_names_past_the_bits_are_sorted_once_each_and_as_before() -> None:
    rng = np.random.default_rng(0)
    con = duckdb.connect()
    n_classes = BITS + 40
    con.execute("CREATE TABLE c (label VARCHAR, bit INTEGER)")
    con.executemany("INSERT INTO c VALUES (?, ?)", [[f"k{b:03d}", b] for b in range(n_classes)])
    # groups of boxes, many repeating a class past the bits, some with none of them
    groups = rng.integers(0, 50, 3000)
    classes = rng.choice([*range(0, BITS, 7), *range(BITS, n_classes)], 3000)
    rows: list[tuple[int, str]] = [
        (int(g), f"k{int(b):03d}") for g, b in zip(groups, classes, strict=True)
    ]
    rows += [(50, "k001"), (50, "k002")]
    con.execute("CREATE TABLE a (g INTEGER, label VARCHAR)")
    con.executemany("INSERT INTO a VALUES (?, ?)", rows)
    query = "SELECT a.g, {} FROM a JOIN c ON c.label = a.label GROUP BY a.g ORDER BY a.g"
    new = con.execute(query.format(CLASS_AGGREGATES)).fetchall()
    old = con.execute(query.format(CLASS_AGGREGATES.rsplit(", ", 1)[0] + ", " + OLD)).fetchall()
    assert new == old
    for g, *masks, rest in new:
        labels = {label for group, label in rows if group == g}
        past = sorted(label for label in labels if int(label[1:]) >= BITS)
        assert rest == (past or None)
        bits = {int(label[1:]) for label in labels if int(label[1:]) < BITS}
        assert [
            sum(1 << (b % 64) for b in bits if b // 64 == k) for k in range(MASK_WORDS)
        ] == masks
    # a name repeated in its group is listed once: the DISTINCT is not vacuous here
    past_rows = Counter(g for g, label in rows if int(label[1:]) >= BITS)
    assert any(len(row[-1] or []) < past_rows[row[0]] for row in new)
    assert new[-1][-1] is None  # a group without such a class
