"""``python -m visionlens_jlab.cli``: the ``visionlens`` command."""

import sys

from . import main

sys.exit(main())
