"""The one error an export reports: a clear sentence, never a traceback."""


class ExportError(Exception):
    """The view, the options or the output folder cannot give a valid export (nothing is
    left behind when it is raised)."""
