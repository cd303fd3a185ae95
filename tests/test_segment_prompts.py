"""Click-to-mask's prompt and embedding cache at their edges (issue #51): a point without a
label is on the object, a prompt of exactly the most points is taken, the image's own edges
are inside it, a box reaching past any side is refused, and the cache keeps an embedding of
exactly its budget and counts a replaced one once."""

from __future__ import annotations

import pytest

from visionlens_jlab.segment.engine import Embedded, EmbeddingCache
from visionlens_jlab.segment.prompts import MAX_POINTS, SegmentError, check_inside, parse_prompt


def test_points_and_their_labels() -> None:
    prompt = parse_prompt([{"x": 1, "y": 2}, {"x": 3.5, "y": 4, "label": 0}], None)
    assert prompt.points == ((1.0, 2.0), (3.5, 4.0))
    assert prompt.labels == (1, 0)  # a click without a label is on the object
    assert len(parse_prompt([{"x": 1, "y": 2}] * MAX_POINTS, None).points) == MAX_POINTS
    with pytest.raises(SegmentError, match="label must be 1"):
        parse_prompt([{"x": 1, "y": 2, "label": True}], None)  # a flag, not a label


def test_a_box_is_taken_as_its_corners() -> None:
    prompt = parse_prompt(None, [5, 6, 30, 20])
    assert prompt.box == (5.0, 6.0, 30.0, 20.0) and prompt.points == ()
    assert prompt.corners() == (5.0, 6.0, 35.0, 26.0)
    assert parse_prompt([{"x": 1, "y": 1}], None).corners() is None


def test_the_image_edges_are_inside_and_a_box_past_any_side_is_not() -> None:
    width, height = 80, 48
    edges = parse_prompt(
        [{"x": 0, "y": 0}, {"x": width, "y": height}, {"x": width, "y": 0}], [0, 0, width, height]
    )
    check_inside(edges, width, height)  # the whole image, its corners included
    for box in ([-1, 0, 10, 10], [0, -1, 10, 10], [71, 0, 10, 10], [0, 39, 10, 10]):
        with pytest.raises(SegmentError, match="the box reaches outside the 80x48 image"):
            check_inside(parse_prompt(None, box), width, height)
    for x, y in ((-0.5, 3), (3, -0.5), (80.5, 3), (3, 48.5)):
        with pytest.raises(SegmentError, match="lies outside the 80x48 image"):
            check_inside(parse_prompt([{"x": x, "y": y}], None), width, height)


def _entry(nbytes: int) -> Embedded:
    import torch

    return Embedded(torch.zeros(nbytes // 4, dtype=torch.float32), (1, 1), (1, 1), nbytes)


def test_the_cache_keeps_an_entry_of_its_whole_budget_and_counts_a_replaced_one_once() -> None:
    cache = EmbeddingCache(100)
    cache.put("a", _entry(40))
    cache.put("a", _entry(40))  # the same image embedded again: held once
    assert cache.nbytes == 40 and "a" in cache
    cache.put("b", _entry(60))  # exactly the budget with "a"
    assert cache.nbytes == 100 and "a" in cache and "b" in cache
    cache.put("whole", _entry(100))  # the whole budget: kept, the others dropped for it
    assert cache.nbytes == 100 and "whole" in cache and "a" not in cache and "b" not in cache
    cache.clear()
    assert cache.nbytes == 0 and "whole" not in cache
