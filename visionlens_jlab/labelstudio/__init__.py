"""A Label Studio round trip: a view out as a project, the annotations back as label edits.

* :mod:`.client`: the REST calls (through :mod:`visionlens_jlab.outbound`; the SDK's pins
  stay out of the server);
* :mod:`.tasks`: the labelling config and the tasks (images served by VisionLens);
* :mod:`.changes`: annotations compared with what was sent, as edit operations;
* :mod:`.roundtrip`: :func:`send_view` and :func:`pull_changes`.
"""

from .client import LabelStudioClient
from .errors import LabelStudioError
from .roundtrip import pull_changes, send_view

__all__ = ["LabelStudioClient", "LabelStudioError", "pull_changes", "send_view"]
