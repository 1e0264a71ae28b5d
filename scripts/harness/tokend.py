"""tokend processes on free loopback ports, with their data dirs, regions folders and flags.

    with Topology() as topo:                 # fr-par, nl-ams, pl-waw + a gateway over them
        topo.url                             # the gateway
        topo.regions["pl-waw"].kill()        # SIGKILL
        topo.regions["pl-waw"].restart()     # same port, same data dir

    server = ServeProcess(tmp, "serve", keys=[…], log_level="debug").start()

Each process lives in a folder `root`: `<name>.log` (kept across restarts) and
`<name>-data` unless given another data dir. The binary is TOKEND_BINARY (default
.build/debug/tokend, relative to the repository), read at every start, unless one is given.
Every wait is bounded and fails loudly (HarnessError) with the process's log.

The store: SQLite files in the data dir, unless TOKEND_TEST_POSTGRESQL names a PostgreSQL
cluster (scripts/with-postgres): then every ServeProcess and RegionServer gets
`--store postgresql://…` on a fresh database of it, made at its first start and kept across
its restarts (`store_url`); a Topology's region servers share one (each region is a schema of
its own). A gateway has no store. `store_url=` names one explicitly, whatever the variable.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from .ports import HOST, free_port
from .postgres import fresh_store_url
from .processes import REPO_ROOT, STOP_TIMEOUT_S, HarnessError, ManagedProcess
from .readiness import decoded, request, wait_until

REGIONS_DIR = REPO_ROOT / "regions"
DEFAULT_REGIONS = ("fr-par", "nl-ams", "pl-waw")
START_TIMEOUT_S = 30.0  # a debug build starts in well under a second; leave room for a busy machine


def binary_path() -> Path:
    path = Path(os.environ.get("TOKEND_BINARY", ".build/debug/tokend"))
    return path if path.is_absolute() else REPO_ROOT / path


def write_region_file(folder: Path, name: str, location: str, *,
                      connect_timeout_ms: int | None = None, read_timeout_ms: int | None = None) -> Path:
    """`folder/<name>.json` as the gateway reads it; timeouts only for remote regions, and
    only those given (tokend's defaults otherwise)."""
    entry: dict[str, object] = {"name": name, "location": location}
    if location != "local":
        if connect_timeout_ms is not None:
            entry["connect_timeout_ms"] = connect_timeout_ms
        if read_timeout_ms is not None:
            entry["read_timeout_ms"] = read_timeout_ms
    path = folder / f"{name}.json"
    path.write_text(json.dumps(entry) + "\n")
    return path


class TokendProcess(ManagedProcess):
    """One tokend process: `tokend <subcommand> … --host 127.0.0.1 --port P --data-dir D`."""

    label = "tokend"
    # Whether it takes --store (serve and region do; a gateway keeps no store).
    has_store = True
    # How long one health request may take. A gateway's health asks every region, so it is
    # as slow as its slowest region's timeouts: the Gateway raises this.
    health_timeout = 2.0

    def __init__(self, root: Path, name: str, port: int | None = None, *, data_dir: Path | None = None,
                 log_path: Path | None = None, binary: Path | None = None, log_level: str | None = None,
                 extra: list[str] = (), start_timeout: float = START_TIMEOUT_S, stop_timeout: float = STOP_TIMEOUT_S,
                 store_url: str | None = None):
        self.root = Path(root)
        super().__init__(name, log_path or self.root / f"{name}.log", port=port or free_port(),
                         stop_timeout=stop_timeout)
        self.data_dir = Path(data_dir) if data_dir else self.root / f"{name}-data"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.binary = binary
        self.log_level = log_level
        self.extra = list(extra)
        self.start_timeout = start_timeout
        # The PostgreSQL database given, or made at the first start under TOKEND_TEST_POSTGRESQL;
        # None: SQLite in the data dir.
        self.store_url = store_url

    @property
    def on_postgresql(self) -> bool:
        """Whether its store is PostgreSQL (known once it started, or when given)."""
        return bool(self.store_url)

    def store_arguments(self) -> list[str]:
        """`--store URL` under TOKEND_TEST_POSTGRESQL (a fresh database, made once), else nothing."""
        if not self.has_store:
            return []
        if self.store_url is None:
            self.store_url = fresh_store_url()
        return ["--store", self.store_url] if self.store_url else []

    def arguments(self) -> list[str]:
        """The subcommand and its own flags."""
        raise NotImplementedError

    def command(self) -> list[str]:
        binary = Path(self.binary) if self.binary else binary_path()
        if not os.access(binary, os.X_OK):
            raise HarnessError(f"no tokend binary at {binary} (set TOKEND_BINARY or build it)")
        return [str(binary), *self.arguments(), "--host", HOST, "--port", str(self.port),
                "--data-dir", str(self.data_dir), *self.store_arguments(),
                *(["--log-level", self.log_level] if self.log_level else []), *self.extra]

    def start(self, timeout: float | None = None) -> "TokendProcess":
        """Spawns it and waits (default: start_timeout) until its health answers; a process
        that never does is killed."""
        self.spawn()
        try:
            self.wait_healthy(self.start_timeout if timeout is None else timeout)
        except BaseException:
            self.kill()  # a process that never became healthy must not outlive the failure
            raise
        return self

    def restart(self, timeout: float | None = None) -> "TokendProcess":
        """Starts again on the same port with the same data dir (after kill() or stop())."""
        self.stop()
        return self.start(timeout)

    def health(self, timeout: float = 2.0) -> tuple[int, object]:
        status, body = request(f"{self.url}/_tokend/health", timeout=timeout)
        return status, decoded(body)

    def wait_healthy(self, timeout: float = START_TIMEOUT_S) -> dict:
        """Polls /_tokend/health until it answers 200 with JSON; fails if the process dies or time runs out."""
        def check() -> tuple[bool, object]:
            try:
                status, body = self.health(timeout=self.health_timeout)
            except (OSError, http.client.HTTPException) as error:  # refused, reset, timed out, not HTTP
                return False, repr(error)
            if status == 200 and isinstance(body, dict):
                return True, body
            return False, f"HTTP {status}: {body!r}"

        return wait_until(check, process=self, timeout=timeout, interval=0.05,
                          expected="/_tokend/health did not answer")


class ServeProcess(TokendProcess):
    """`tokend serve`: every region of a regions folder (the repository's regions/) in one process."""

    label = "serve"

    def __init__(self, root: Path, name: str = "serve", *, regions_dir: Path = REGIONS_DIR,
                 keys: list[dict] | None = None, **options):
        super().__init__(root, name, **options)
        self.regions_dir = Path(regions_dir)
        self.keys_file = None
        if keys is not None:
            self.keys_file = self.root / f"{name}-keys.json"
            self.keys_file.write_text(json.dumps({"keys": keys}))

    def arguments(self) -> list[str]:
        auth = ["--auth", "keys", "--keys-file", str(self.keys_file)] if self.keys_file else []
        return ["serve", "--regions", str(self.regions_dir), *auth]

    def regions(self) -> list[str]:
        return sorted(json.loads(path.read_text())["name"] for path in self.regions_dir.glob("*.json"))

    def store_paths(self) -> dict[str, Path]:
        """Each served region's SQLite file."""
        return {region: self.data_dir / f"{region}.sqlite" for region in self.regions()}


class RegionServer(TokendProcess):
    """`tokend region --region NAME`: one region's server with its own SQLite file."""

    label = "region"

    def __init__(self, root: Path, region: str, port: int | None = None, **options):
        super().__init__(root, region, port, **options)
        self.region = region

    def arguments(self) -> list[str]:
        return ["region", "--region", self.region]


class Gateway(TokendProcess):
    """`tokend gateway` over a generated regions folder `<root>/<name>-regions`: {name: location},
    with the given timeouts (None: tokend's defaults)."""

    label = "gateway"
    has_store = False

    def __init__(self, root: Path, locations: dict[str, str], *, connect_timeout_ms: int | None = 300,
                 read_timeout_ms: int | None = 1000, name: str = "gateway", port: int | None = None, **options):
        super().__init__(root, name, port, **options)
        if connect_timeout_ms is not None and read_timeout_ms is not None:
            self.health_timeout = (connect_timeout_ms + read_timeout_ms) / 1000 + 2.0
        else:
            self.health_timeout = 10.0
        self.locations = dict(locations)
        self.regions_dir = self.root / f"{name}-regions"
        self.regions_dir.mkdir(parents=True, exist_ok=True)
        for region, location in self.locations.items():
            write_region_file(self.regions_dir, region, location,
                              connect_timeout_ms=connect_timeout_ms, read_timeout_ms=read_timeout_ms)

    def arguments(self) -> list[str]:
        return ["gateway", "--regions", str(self.regions_dir)]

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
        # Under TOKEND_TEST_POSTGRESQL, one fresh database for all its regions (a schema each).
        self.store_url = fresh_store_url()
        self.regions = {name: RegionServer(self.root, name, store_url=self.store_url) for name in regions}
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
            except HarnessError as error:
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
