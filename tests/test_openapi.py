"""visionlens_jlab/openapi.yaml documents every route the server registers (and nothing that is gone)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from visionlens_jlab.handlers import API_PREFIX, routes

OPENAPI = Path(__file__).resolve().parents[1] / "visionlens_jlab" / "openapi.yaml"


def documented_paths() -> set[str]:
    return set(yaml.safe_load(OPENAPI.read_text())["paths"])


def registered_paths() -> set[str]:
    out = set()
    for pattern, _handler in routes():
        path = pattern.split(API_PREFIX, 1)[1]
        out.add(re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", path))
    return out


def test_every_route_is_documented() -> None:
    assert registered_paths() - documented_paths() == set()


def test_no_documented_route_is_missing() -> None:
    assert documented_paths() - registered_paths() == set()
