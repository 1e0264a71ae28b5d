"""Starts real tokend processes on free loopback ports, with throwaway data dirs, and stops them.

    from topology import Topology
    with Topology() as topo:                 # fr-par, nl-ams, pl-waw + a gateway over them
        topo.url                             # the gateway
        topo.regions["pl-waw"].kill()        # SIGKILL
        topo.regions["pl-waw"].restart()     # same port, same data dir

Every wait is bounded and fails loudly (TopologyError) with the process's log. Only the
standard library is used, so `python3 scripts/topology.py` works without the .venv.

As a command (what scripts/with-topology runs):

    python3 scripts/topology.py [--direct REGION] [--] CMD...

starts the topology (or only `tokend region --region REGION` with --direct), exports
TOKEND_URL and TOKEND_REGIONS, runs CMD, stops everything, prints the logs when CMD failed,
and exits with CMD's status.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_REGIONS = ("fr-par", "nl-ams", "pl-waw")
START_TIMEOUT_S = 30.0  # a debug build starts in well under a second; leave room for a busy machine
STOP_TIMEOUT_S = 5.0
LOG_TAIL_CHARS = 6000


class TopologyError(RuntimeError):
    """Something did not start, answer or stop in time; the message carries the log."""


def binary_path() -> Path:
    path = Path(os.environ.get("TOKEND_BINARY", ".build/debug/tokend"))
    return path if path.is_absolute() else REPO_ROOT / path


def free_port() -> int:
    # The kernel picks an unused port; there is a tiny window before tokend binds it again.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_json(method: str, url: str, timeout: float = 2.0) -> tuple[int, object]:
    """One request with a hard timeout; returns (status, decoded JSON or raw text)."""
    request = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, body = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read()
    try:
        return status, json.loads(body)
    except ValueError:
        return status, body.decode(errors="replace")


def write_region_file(folder: Path, name: str, location: str, *,
                      connect_timeout_ms: int | None = None, read_timeout_ms: int | None = None) -> Path:
    """`folder/<name>.json` as the gateway reads it; timeouts only for remote regions."""
    entry: dict[str, object] = {"name": name, "location": location}
    if location != "local":
        if connect_timeout_ms is not None:
            entry["connect_timeout_ms"] = connect_timeout_ms
        if read_timeout_ms is not None:
            entry["read_timeout_ms"] = read_timeout_ms
    path = folder / f"{name}.json"
    path.write_text(json.dumps(entry) + "\n")
    return path


class TokendProcess:
    """One tokend process: its argv, port, data dir and a log file that survives restarts."""

    label = "tokend"
    # How long one health request may take. A gateway's health asks every region, so it is
    # as slow as its slowest region's timeouts: the Gateway raises this.
    health_timeout = 2.0

    def __init__(self, root: Path, name: str, port: int | None = None):
        self.root = root
        self.name = name
        self.port = port or free_port()
        self.data_dir = root / f"{name}-data"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = root / f"{name}.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def argv(self) -> list[str]:
        raise NotImplementedError

    def is_running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, timeout: float = START_TIMEOUT_S) -> "TokendProcess":
        if self.is_running():
            raise TopologyError(f"{self.name} is already running (pid {self.pid})")
        binary = binary_path()
        if not os.access(binary, os.X_OK):
            raise TopologyError(f"no tokend binary at {binary} (set TOKEND_BINARY or build it)")
        with self.log_path.open("a") as log:
            log.write(f"--- {time.strftime('%H:%M:%S')} starting: {' '.join(self.argv())}\n")
            log.flush()
            # Its own session: a Ctrl-C meant for the test runner does not reach it half-way.
            try:
                self.process = subprocess.Popen([str(binary), *self.argv()], cwd=REPO_ROOT, stdin=subprocess.DEVNULL,
                                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
            except OSError as error:  # e.g. "Text file busy" while a build rewrites the binary
                raise TopologyError(f"{self.label} {self.name}: cannot run {binary}: {error}") from error
        try:
            self.wait_healthy(timeout)
        except BaseException:
            self.kill()  # a process that never became healthy must not outlive the failure
            raise
        return self

    def health(self, timeout: float = 2.0) -> tuple[int, object]:
        return http_json("GET", f"{self.url}/_tokend/health", timeout=timeout)

    def wait_healthy(self, timeout: float = START_TIMEOUT_S) -> dict:
        """Polls /_tokend/health until it answers 200 with JSON; fails if the process dies or time runs out."""
        deadline = time.monotonic() + timeout
        last = "no answer yet"
        while time.monotonic() < deadline:
            if not self.is_running():
                raise self.failure(f"exited with status {self.process.returncode if self.process else None} before answering")
            try:
                status, body = self.health(timeout=self.health_timeout)
                if status == 200 and isinstance(body, dict):
                    return body
                last = f"HTTP {status}: {body!r}"[:300]
            except (OSError, http.client.HTTPException) as error:
                last = repr(error)
            time.sleep(0.05)
        raise self.failure(f"/_tokend/health did not answer within {timeout:.0f} s (last: {last})")

    def kill(self) -> None:
        """SIGKILL, as a crash would: no chance to flush or close anything."""
        if self.is_running():
            self.process.send_signal(signal.SIGKILL)
            self._reap(STOP_TIMEOUT_S)

    def stop(self) -> None:
        """SIGTERM (graceful shutdown), then SIGKILL if it is still there after STOP_TIMEOUT_S."""
        if not self.is_running():
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            with self.log_path.open("a") as log:
                log.write(f"--- did not stop within {STOP_TIMEOUT_S} s of SIGTERM: SIGKILL\n")
            self.kill()

    def restart(self, timeout: float = START_TIMEOUT_S) -> "TokendProcess":
        """Starts again on the same port with the same data dir (after kill() or stop())."""
        self.stop()
        return self.start(timeout)

    def _reap(self, timeout: float) -> None:
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired as error:
            raise self.failure(f"pid {self.pid} still alive {timeout} s after SIGKILL") from error

    def log_text(self, tail: int | None = LOG_TAIL_CHARS) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return "(no log)"
        return text if tail is None or len(text) <= tail else "…" + text[-tail:]

    def failure(self, what: str) -> TopologyError:
        return TopologyError(f"{self.label} {self.name} ({self.url}): {what}\n--- {self.log_path}\n{self.log_text()}")


class RegionServer(TokendProcess):
    """`tokend region --region NAME`: one region's server with its own SQLite file."""

    label = "region"

    def __init__(self, root: Path, region: str, port: int | None = None):
        super().__init__(root, region, port)
        self.region = region

    def argv(self) -> list[str]:
        return ["region", "--region", self.region, "--host", "127.0.0.1", "--port", str(self.port),
                "--data-dir", str(self.data_dir)]


class Gateway(TokendProcess):
    """`tokend gateway` over a generated regions folder: {name: location} with the given timeouts."""

    label = "gateway"

    def __init__(self, root: Path, locations: dict[str, str], *, connect_timeout_ms: int = 300,
                 read_timeout_ms: int = 1000, name: str = "gateway", port: int | None = None):
        super().__init__(root, name, port)
        self.health_timeout = (connect_timeout_ms + read_timeout_ms) / 1000 + 2.0
        self.locations = dict(locations)
        self.regions_dir = root / f"{name}-regions"
        self.regions_dir.mkdir(parents=True, exist_ok=True)
        for region, location in self.locations.items():
            write_region_file(self.regions_dir, region, location,
                              connect_timeout_ms=connect_timeout_ms, read_timeout_ms=read_timeout_ms)

    def argv(self) -> list[str]:
        return ["gateway", "--regions", str(self.regions_dir), "--host", "127.0.0.1", "--port", str(self.port),
                "--data-dir", str(self.data_dir)]

    def region_states(self, timeout: float | None = None) -> dict[str, dict]:
        """The gateway's health, by region: {"pl-waw": {"state": "down", "last_error": …, …}}."""
        status, body = self.health(timeout=timeout or self.health_timeout)
        if status != 200 or not isinstance(body, dict):
            raise self.failure(f"health answered HTTP {status}: {body!r}")
        return {entry["region"]: entry for entry in body["regions"]}

    def wait_regions_ok(self, regions, timeout: float = START_TIMEOUT_S) -> None:
        """Until the gateway sees every one of `regions` as ok (its health asks each region)."""
        deadline = time.monotonic() + timeout
        states: dict = {}
        while time.monotonic() < deadline:
            states = self.region_states()
            if all(states.get(r, {}).get("state") == "ok" for r in regions):
                return
            time.sleep(0.05)
        raise self.failure(f"regions {list(regions)} not all ok within {timeout:.0f} s: {states}")


class Topology:
    """Region servers (one process each) and a gateway over them, in one throwaway folder.

    `direct=True` starts the region servers only, no gateway; `url` is then the first region's."""

    def __init__(self, regions=DEFAULT_REGIONS, *, connect_timeout_ms: int = 300, read_timeout_ms: int = 1000,
                 direct: bool = False, root: Path | None = None):
        if not regions:
            raise ValueError("a topology needs at least one region")
        self._own_root = root is None
        self.root = Path(root or tempfile.mkdtemp(prefix="tokend-topology-"))
        self.regions = {name: RegionServer(self.root, name) for name in regions}
        self.gateway = None if direct else Gateway(
            self.root, {name: server.url for name, server in self.regions.items()},
            connect_timeout_ms=connect_timeout_ms, read_timeout_ms=read_timeout_ms)

    @property
    def url(self) -> str:
        return self.gateway.url if self.gateway else next(iter(self.regions.values())).url

    @property
    def processes(self) -> list[TokendProcess]:
        return [*self.regions.values(), *([self.gateway] if self.gateway else [])]

    def start(self) -> "Topology":
        try:
            for server in self.regions.values():
                server.start()
            if self.gateway:
                self.gateway.start()
                self.gateway.wait_regions_ok(self.regions)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self, keep_files: bool = False) -> None:
        # Gateway first, so it does not log every region going away.
        for process in reversed(self.processes):
            try:
                process.stop()
            except TopologyError as error:
                print(error, file=sys.stderr)
        if not keep_files:
            self.remove_files()

    def remove_files(self) -> None:
        """Deletes the throwaway folder (data dirs and logs), if this topology made it."""
        if self._own_root:
            shutil.rmtree(self.root, ignore_errors=True)

    def logs(self) -> str:
        return "\n".join(f"--- {p.label} {p.name} ({p.url}) log\n{p.log_text(tail=None)}" for p in self.processes)

    def __enter__(self) -> "Topology":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()


# ---------------------------------------------------------------- the command behind scripts/with-topology


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="with-topology",
        description="Runs CMD against tokend regions behind a gateway (or one region with --direct); "
                    "exports TOKEND_URL and TOKEND_REGIONS.")
    parser.add_argument("--direct", metavar="REGION", help="start only `tokend region --region REGION`, no gateway")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="the command to run")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given")

    regions = (args.direct,) if args.direct else DEFAULT_REGIONS
    topology = Topology(regions, direct=bool(args.direct))
    # SIGTERM (e.g. from a CI timeout) unwinds like Ctrl-C, so the servers are stopped too.
    def interrupted(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, interrupted)
    try:
        try:
            topology.start()
        except TopologyError as error:
            print(f"with-topology: {error}", file=sys.stderr)
            return 1
        env = {**os.environ, "TOKEND_URL": topology.url, "TOKEND_REGIONS": ",".join(regions)}
        try:
            status = subprocess.run(command, env=env).returncode
            if status < 0:  # killed by a signal: report it the way a shell does
                status = 128 - status
        except FileNotFoundError as error:
            print(f"with-topology: {error}", file=sys.stderr)
            status = 127
        if status != 0:
            # Stop first, so that a crashed process has finished writing its backtrace.
            topology.stop(keep_files=True)
            print(topology.logs())
        return status
    finally:
        topology.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
