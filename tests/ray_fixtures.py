"""A real two-node Ray cluster on this machine, on loopback addresses only, stopped by PID.

Ray rewrites a ``127.0.0.1`` node address to the machine's network address, so the head
runs on ``127.0.0.2`` and the second node on ``127.0.0.3``. ``ray stop`` would kill every
Ray process of the machine: this cluster's processes are found by its own temp dir (in
their command lines) and the raylets' descendants, and stopped by PID in the order Ray
needs (raylets, then the head's Python daemons, then the GCS).
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parents[1]
RAY = str(Path(sys.executable).with_name("ray"))
# A dead node is noticed in ~20 s, not the default ~30 s; not less: a raylet on a loaded
# 2-core machine can miss ten checks in a row (seen in CI: the live second node declared
# dead at 10 s).
FAST_FAILURE = {"RAY_health_check_period_ms": "1000", "RAY_health_check_failure_threshold": "20"}
SLOW_START = {"RAY_agent_register_timeout_ms": "120000", "RAY_raylet_start_wait_time_s": "120"}
START_TRIES = 3
# A raylet crashes when its Python agents take more than ~15 s to start, which they do on a
# loaded 2-core machine: the processes start at a higher priority (where allowed; `nice`
# runs the command anyway otherwise), lowered back to normal once the node is up.
START_NICENESS = -10
# Processes working for a model job: decode tasks, and model actors running a method
# ("ray::ModelActor.run"). Idle task workers are "ray::IDLE"; an idle (warm) actor is
# "ray::ModelActor".
JOB_TITLES = ("ModelActor.", "decode_block", "decode_images")
MODEL_ACTOR = "ray::ModelActor"
CANCEL_SETTLE_S = 120
"""How long a cancelled job's work on the cluster may take to stop (the blocks in flight)."""


@pytest.fixture(scope="session")
def ray_cluster(gcs_emulator: str) -> Iterator[RayTestCluster]:
    """One cluster for the whole session (starting one costs tens of seconds): a short temp
    dir (Ray's socket paths have a length limit); started after the GCS emulator, so its
    workers inherit ``STORAGE_EMULATOR_HOST``. A test may kill its second node: later tests
    must not count on two nodes."""
    temp_dir = Path(tempfile.mkdtemp(prefix="vlray-", dir="/tmp"))
    cluster = RayTestCluster(temp_dir).start()
    try:
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(temp_dir, ignore_errors=True)


def free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


@dataclass
class Socket:
    pid: int
    name: str
    status: str
    local: str
    remote: str


class RayTestCluster:
    """``ray start --head`` plus a second node process, under ``temp_dir``."""

    def __init__(self, temp_dir: Path, cpus_per_node: int = 2) -> None:
        # Ray's fixed ports (client server, agents) collide between two clusters on one
        # address: each cluster takes its own 127.X.Y.0/24 (the head .2, the other node .3).
        net = f"127.{os.getpid() % 200 + 20}.{random.randrange(1, 250)}"
        self.head_ip, self.worker_ip = f"{net}.2", f"{net}.3"
        self.temp_dir = temp_dir
        self.cpus = cpus_per_node
        self.port = free_port(self.head_ip)
        self.address = f"{self.head_ip}:{self.port}"
        self.env = {
            **os.environ,
            **FAST_FAILURE,
            **SLOW_START,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
            "RAY_USAGE_STATS_ENABLED": "0",
        }

    def start(self) -> RayTestCluster:
        """Start the head, then the second node (each retried on a start-up time-out)."""
        self.temp_dir.mkdir(parents=True, exist_ok=True)
        common = ["--num-cpus", str(self.cpus), "--object-store-memory", "300000000"]
        common += ["--disable-usage-stats"]
        self._ray(
            "start", "--head", f"--node-ip-address={self.head_ip}", f"--port={self.port}",
            "--include-dashboard=false", f"--temp-dir={self.temp_dir}", "--no-monitor",
            *common,
        )  # fmt: skip
        self._ray(
            "start", f"--address={self.address}", f"--node-ip-address={self.worker_ip}",
            *common,
        )  # fmt: skip
        return self

    def _ray(self, *args: str) -> None:
        for attempt in range(START_TRIES):
            if self._ray_start_once(args):
                return
            if "--head" in args:
                self.stop()  # the half-started head's processes, before the next try
            else:
                self._stop_node(args)
            if attempt == START_TRIES - 1:
                self.stop()
                raise RuntimeError(f"ray {' '.join(args[:2])} failed {START_TRIES} times")

    def _ray_start_once(self, args: tuple[str, ...]) -> bool:
        """One ``ray start``; False (at once) when the node's raylet died while starting."""
        ip = next(a.split("=", 1)[1] for a in args if a.startswith("--node-ip-address="))
        ports = _agent_ports(ip)
        argv = [RAY, *args, *(f"--{flag}={port}" for flag, port in ports.items())]
        with open(self.temp_dir / f"ray-start-{ip}.log", "w") as out:
            starter = subprocess.Popen(
                ["nice", "-n", str(START_NICENESS), *argv], env=self.env, stdout=out, stderr=out
            )
        seen = False
        while starter.poll() is None:
            try:
                raylet = self.raylet(ip)
            except LookupError:
                if seen:  # started, then crashed
                    starter.kill()
                    starter.wait()
                    return False
            else:
                if not seen:
                    _write_port_files(raylet, ports)
                seen = True
            time.sleep(0.2)
        for proc in self.own():  # started: back to the normal priority
            with contextlib.suppress(psutil.Error):
                proc.nice(0)
        return starter.returncode == 0

    def _stop_node(self, args: tuple[str, ...]) -> None:
        ip = next(a.split("=", 1)[1] for a in args if a.startswith("--node-ip-address="))
        try:
            raylet = self.raylet(ip)
        except LookupError:
            return
        _terminate([raylet, *_descendants(raylet)], grace=10)

    def own(self) -> list[psutil.Process]:
        """Every process of this cluster: those naming its temp dir or its address (the head's
        Ray Client server names only the address), and their descendants."""
        mark = str(self.temp_dir)
        address = f"--address={self.address}"
        roots = []
        for proc in psutil.process_iter(["cmdline"]):
            try:
                cmdline = proc.info["cmdline"] or ()
                if address in cmdline or any(mark in part for part in cmdline):
                    roots.append(proc)
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
        found = {p.pid: p for p in roots}
        for proc in roots:
            try:
                found.update({c.pid: c for c in proc.children(recursive=True)})
            except psutil.NoSuchProcess:
                continue
        return list(found.values())

    def raylet(self, node_ip: str) -> psutil.Process:
        """The raylet of the node at ``node_ip``."""
        for proc in self.own():
            cmd = " ".join(_cmdline(proc))
            if proc.name() == "raylet" and f"--node_ip_address={node_ip}" in cmd:
                return proc
        raise LookupError(f"no raylet of {node_ip} is running")

    def job_processes(self) -> list[str]:
        """Titles of the workers running a model job's tasks or actors right now."""
        titles = [" ".join(_cmdline(p)) for p in self.own()]
        return [t for t in titles if t.startswith("ray::") and any(j in t for j in JOB_TITLES)]

    def model_actors(self) -> set[int]:
        """PIDs of the model actors alive (idle or working) on this cluster."""
        return {p.pid for p in self.own() if " ".join(_cmdline(p)).startswith(MODEL_ACTOR)}

    def sockets(self) -> list[Socket]:
        """The TCP sockets of every process of this cluster."""
        out = []
        for proc in self.own():
            try:
                conns = proc.net_connections(kind="tcp")
                # the process name and the whole command line: a long install path cut short
                # would hide the executable's name ("…/ray/gcs/gcs_ser")
                name = " ".join([proc.name(), *_cmdline(proc)])
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            for c in conns:
                local = c.laddr.ip if c.laddr else ""
                remote = c.raddr.ip if c.raddr else ""
                out.append(Socket(proc.pid, name, c.status, local, remote))
        return out

    def stop(self) -> None:
        """Stop this cluster's processes by PID: raylets (their workers and agents go with
        them), then the head's daemons (log monitors of dead nodes too), then the GCS."""
        procs = self.own()
        raylets = [p for p in procs if p.name() == "raylet"]
        children = [c for r in raylets for c in _descendants(r)]
        _terminate(raylets + children, grace=10)
        rest = [p for p in self.own() if p.name() != "gcs_server"]
        _terminate(rest, grace=5)
        _terminate(self.own(), grace=20)


AGENT_PORT_FILES = {
    "metrics-export-port": "metrics_export_port",
    "dashboard-agent-grpc-port": "metrics_agent_port",
    "dashboard-agent-listen-port": "dashboard_agent_listen_port",
    "runtime-env-agent-port": "runtime_env_agent_port",
}


def _agent_ports(ip: str) -> dict[str, int]:
    """Fixed agent ports, one free port per ``ray start`` flag of :data:`AGENT_PORT_FILES`."""
    return {flag: free_port(ip) for flag in AGENT_PORT_FILES}


def _write_port_files(raylet: psutil.Process, ports: dict[str, int]) -> None:
    """Write the agents' port files the raylet waits for (Ray writes ``NAME_NODEID`` files
    in the session dir once each Python agent is up, and the raylet aborts when one is not
    there within 30 s, which happens on a loaded 2-core machine). The ports are the fixed
    ones the agents were given, so the files say what the agents will write themselves."""
    args = dict(a[2:].split("=", 1) for a in _cmdline(raylet) if a.startswith("--") and "=" in a)
    node_id = args.get("node_id")
    socket_path = args.get("raylet_socket_name")
    if not node_id or not socket_path:
        return
    session = Path(socket_path).parent.parent
    for flag, name in AGENT_PORT_FILES.items():
        target = session / f"{name}_{node_id}"
        if not target.exists():
            tmp = target.with_suffix(".tmp")
            tmp.write_text(str(ports[flag]))
            tmp.rename(target)


def is_loopback(address: str) -> bool:
    """``address`` is in 127.0.0.0/8 (or ::1, or an IPv4-mapped loopback)."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def _cmdline(proc: psutil.Process) -> list[str]:
    try:
        return proc.cmdline()
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return []


def _descendants(proc: psutil.Process) -> list[psutil.Process]:
    try:
        return list(proc.children(recursive=True))
    except psutil.NoSuchProcess:
        return []


def _terminate(procs: list[psutil.Process], grace: float) -> None:
    for proc in procs:
        try:
            proc.send_signal(signal.SIGTERM)
        except psutil.NoSuchProcess:
            continue
    _, alive = psutil.wait_procs(procs, timeout=grace)
    for proc in alive:
        try:
            proc.kill()
        except psutil.NoSuchProcess:
            continue
    psutil.wait_procs(alive, timeout=5)


def wait_until(check: object, timeout: float, step: float = 0.2) -> None:
    """Poll ``check()`` until true; AssertionError after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"not true after {timeout} s"
        time.sleep(step)
