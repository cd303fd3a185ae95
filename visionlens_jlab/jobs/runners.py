"""Where a job's model work runs: the runners, and the errors of choosing one."""

from __future__ import annotations


class RunnerError(Exception):
    """A runner the job cannot use here (a bad request: unknown, or missing its kernelspec)."""
