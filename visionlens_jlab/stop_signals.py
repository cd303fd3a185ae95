"""Make SIGINT stop a Jupyter server cleanly when its stdin is not a terminal.

JupyterHub's local spawner stops a single-user server with SIGINT (then SIGTERM after
``Spawner.interrupt_timeout``). jupyter_server installs a SIGINT handler only when stdin is a
terminal (its interactive "shutdown? (y/n)" prompt); without one, Python's default handler
raises ``KeyboardInterrupt`` out of the event loop, the server exits without running any
extension's ``stop_extension``, and VisionLens would leave ``server.json``, an open catalog
and running jobs behind. SIGTERM already goes through the server's orderly stop.
"""

from __future__ import annotations

import signal
import threading
from typing import Any


def stop_on_sigint(serverapp: Any) -> bool:
    """Route SIGINT to the server's orderly stop if nobody else handles it.

    Leaves an installed handler alone (a terminal's prompt, a host application's own), and
    does nothing off the main thread (signals can only be set there). Returns whether it
    installed the handler.
    """
    if threading.current_thread() is not threading.main_thread():
        return False
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        return False
    stop = getattr(serverapp, "_signal_stop", None)
    if stop is None:
        return False
    signal.signal(signal.SIGINT, stop)
    return True
