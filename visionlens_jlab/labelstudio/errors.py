"""The one error a Label Studio round trip reports: a clear sentence, never a traceback."""


class LabelStudioError(Exception):
    """Label Studio cannot be reached or refused, or the selection or the project cannot make
    a round trip (nothing is written in VisionLens when it is raised)."""


class LabelStudioUnavailableError(LabelStudioError):
    """Label Studio could not be reached, refused the token or a request, or gave an answer
    that is not what was asked. ``status``: the HTTP error status it answered, if any."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status
