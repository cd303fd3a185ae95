"""Browsing, ingest and the model list work in a Python where torch cannot be imported."""

from __future__ import annotations

import json
import subprocess
import sys

# The path finder stops seeing torch, torchvision and open_clip: imports fail and
# importlib.util.find_spec answers None, as in a Python without them. (None in sys.modules
# would look like "torch is imported" to libraries that peek there, e.g. scipy.)
BLOCK = (
    "import sys, importlib.machinery as _m\n"
    "_find = _m.PathFinder.find_spec\n"
    "def _hidden(name, path=None, target=None):\n"
    "    if name.split('.')[0] in ('torch', 'torchvision', 'open_clip'):\n"
    "        return None\n"
    "    return _find(name, path, target)\n"
    "_m.PathFinder.find_spec = _hidden\n"
)


def run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", BLOCK + code], capture_output=True, text=True, timeout=120
    )


def test_server_extension_and_cli_import_without_torch() -> None:
    proc = run(
        "import visionlens_jlab.app, visionlens_jlab.cli, visionlens_jlab.embed, "
        "visionlens_jlab.handlers; "
        "from visionlens_jlab.handlers import routes; routes(); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'open_clip')))"
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_models_lists_the_builtin_and_says_open_clip_is_missing() -> None:
    proc = run("from visionlens_jlab.cli import main; sys.exit(main(['models', '--json']))")
    assert proc.returncode == 0, proc.stderr
    models = {m["name"]: m for m in json.loads(proc.stdout)["models"]}
    assert models["builtin-color-gradient"]["default"] is True
    vit = models["ViT-B-32"]
    assert vit["available_offline"] is False and "not installed" in vit["source"]


def test_open_clip_model_without_torch_is_a_clear_error() -> None:
    proc = run(
        "from visionlens_jlab.embed import load_embedder, parse_model\n"
        "try:\n    load_embedder(parse_model('ViT-B-32'))\n"
        "except Exception as exc:\n    print(type(exc).__name__, exc)"
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("EmbedError") and "visionlens_jlab[embed]" in proc.stdout
