"""Debug-only routes: the event-loop lag probe (off unless configured)."""

from __future__ import annotations

import gc

import tornado.web
from jupyter_server.auth.decorator import authorized
from tornado.web import HTTPError

from ..gc_pauses import heap_census
from .base import VisionLensHandler


class LoopLagHandler(VisionLensHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        probe = self.app.loop_lag
        if probe is None:
            raise HTTPError(
                404,
                "the loop-lag probe is off: start the server with --VisionLensApp.loop_lag_probe_ms=50",
            )
        census = {"heap": heap_census()} if self.get_argument("heap", "") == "1" else {}
        await self.write_json(
            {
                **census,
                "interval_ms": probe.interval_s * 1000,
                "lag_ms": probe.take(),
                "windows": probe.take_windows(),
                "gc_pauses": probe.gc.take(),
                "gc_frozen": gc.get_freeze_count(),
            }
        )


ROUTES = [(r"/debug/loop-lag", LoopLagHandler)]
