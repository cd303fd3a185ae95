"""Plugins written by tests: folder plugins (``<data_dir>/plugins/*.py``) and throwaway
installed distributions (a ``*.dist-info`` with entry points in a folder on ``sys.path``)."""

from __future__ import annotations

import textwrap
from pathlib import Path

GOOD_PLUGIN = """
from visionlens_jlab.plugins.api import CATEGORICAL, NUMERIC, FieldSpec, SampleFieldProvider


class Aspect:
    name = "aspect"
    version = "1.2.3"
    api_version = "1.0"

    def sample_fields(self, *, context):
        cut = float(context.settings.get("wide_above", 1.5))

        def compute(*, context):
            ratios = [s.width / s.height if s.width and s.height else None for s in context.samples]
            for i, _ in enumerate(context.samples, start=1):
                context.progress(i)
            wide = [None if r is None else ("wide" if r > cut else "narrow") for r in ratios]
            return {"aspect_ratio": ratios, "aspect_class": wide}

        return SampleFieldProvider(
            fields=[FieldSpec("aspect_ratio", NUMERIC, "width / height"),
                    FieldSpec("aspect_class", CATEGORICAL, "wide or narrow")],
            compute=compute,
        )


plugin = Aspect()
"""

# A folder plugin {name} with one numeric sample field {field}; {body} is its compute's body.
FIELD_PLUGIN_TEMPLATE = """
import time

from visionlens_jlab.plugins.api import NUMERIC, FieldSpec, SampleFieldProvider


class OneField:
    name = "{name}"
    version = "0.0.1"
    api_version = "1.0"

    def sample_fields(self, *, context):
        def compute(*, context):
            {body}

        return SampleFieldProvider(fields=[FieldSpec("{field}", NUMERIC)], compute=compute)


plugin = OneField()
"""

WRONG_API_PLUGIN = """
class Future:
    name = "future"
    version = "9.0"
    api_version = "2.0"

    def sample_fields(self, *, context):
        raise AssertionError("never called: the api_version is refused first")


plugin = Future()
"""

RAISING_SETUP_PLUGIN = """
class BadFormats:
    name = "badformats"
    version = "0.1"
    api_version = "1.0"

    def ingest_formats(self, *, context):
        raise RuntimeError("cannot set up the formats")


plugin = BadFormats()
"""


def write_folder_plugins(folder: Path) -> None:
    """One good plugin and one broken plugin of each kind, as folder plugins."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "aspect.py").write_text(GOOD_PLUGIN)
    (folder / "future.py").write_text(WRONG_API_PLUGIN)
    (folder / "badformats.py").write_text(RAISING_SETUP_PLUGIN)
    (folder / "raises.py").write_text(
        FIELD_PLUGIN_TEMPLATE.format(
            name="raises", field="raised", body='raise ValueError("no score for you")'
        )
    )
    (folder / "sleeps.py").write_text(
        FIELD_PLUGIN_TEMPLATE.format(
            name="sleeps", field="slept", body="time.sleep(60)\n            return {}"
        )
    )


def write_distribution(
    site: Path, dist: str, entry_points: dict[str, str], files: dict[str, str]
) -> None:
    """A minimal installed distribution: ``<dist>-0.1.dist-info`` with ``entry_points.txt``
    (group ``visionlens.plugins``) and the given module files, in ``site``."""
    info = site / f"{dist}-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n")
    lines = "".join(f"{name} = {target}\n" for name, target in entry_points.items())
    (info / "entry_points.txt").write_text(f"[visionlens.plugins]\n{lines}")
    for name, text in files.items():
        (site / name).write_text(textwrap.dedent(text))


EXTRAS_PLUGIN = '''
import numpy as np

from visionlens_jlab.plugins.api import (
    NUMERIC, AgentTool, BlindspotAttribute, Embedder, EmbedderModel, FieldSpec, InputSpec,
    l2_normalise,
)


class MeanColour(Embedder):
    name = "meancolour"
    version = "1"
    dim = 3
    input_size = 8
    input_spec = InputSpec(8, "square")
    preprocessing = "RGB squashed to 8x8, channel means"

    def embed_images(self, images):
        pixels = np.stack([np.asarray(im, dtype=np.float32) for im in images])
        return l2_normalise(pixels.reshape(len(pixels), -1, 3).mean(axis=1) + 1.0)


def brightness(*, context):
    from PIL import Image
    import io
    out = []
    for sample in context.samples:
        with Image.open(io.BytesIO(context.read_image(sample))) as im:
            out.append(float(np.asarray(im.convert("L"), dtype=np.float64).mean()))
    return {"brightness": out}


def shout(text: str) -> str:
    """Upper-case a text."""
    return text.upper() + "!"


class Extras:
    name = "extras"
    version = "0.3"
    api_version = "1.0"

    def embedders(self, *, context):
        return [EmbedderModel("meancolour", 3, MeanColour, "mean colour")]

    def blindspot_attributes(self, *, context):
        return [BlindspotAttribute(FieldSpec("brightness", NUMERIC, "mean grey"), brightness)]

    def agent_tools(self, *, context):
        return [AgentTool("shout", shout, "upper-cases a text")]


plugin = Extras()
'''
