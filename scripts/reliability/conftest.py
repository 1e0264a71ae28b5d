"""Fixtures of the process-level reliability and security tests.

    .venv/bin/python -m pytest -q scripts/reliability     # CI: the short variants, about a minute
    scripts/soak                                          # the long variants, about 16 minutes

- `profile`: how long and how hard each test runs: `ci` (default; all of it in about three
  minutes) or `soak` (RELIABILITY_PROFILE=soak, what scripts/soak sets). Any field can be
  overridden on its own: RELIABILITY_CRASH_KILLS=200, RELIABILITY_CONCURRENCY_SECONDS=3600…
- `serve`: starts `tokend serve` processes (harness.tokend.ServeProcess) on free loopback
  ports with throwaway data dirs, and stops every one of them at teardown, whatever the test did.
  Under scripts/with-postgres (TOKEND_TEST_POSTGRESQL) each gets a fresh PostgreSQL database
  as its store (`server.on_postgresql`), kept across its restarts; store_files.py says what
  the file checks do then.
- `figures`: lines printed in the run's summary (kills survived, requests sent, …).

The binary is TOKEND_BINARY (default .build/debug/tokend), copied once per run: a rebuild
in the repository while the tests run cannot swap the binary between a kill and a restart.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass, fields, replace
from pathlib import Path

import pytest

from harness.tokend import ServeProcess, binary_path

BINARY_SETTLE_S = 10  # a binary written less than this ago may still be being linked
BINARY_WAIT_S = 300   # how long to wait for a rebuild in progress to finish


@dataclass(frozen=True)
class Profile:
    name: str
    crash_kills: int            # SIGKILLs in the crash-safety test
    crash_clients: int
    concurrency_seconds: float
    concurrency_clients: int
    idempotency_rounds: int
    idempotency_threads: int
    shutdown_rounds: int        # SIGTERMs under load, each on a fresh server
    stalled_connections: int    # idle half-requests held open while others are served
    wait_for_idle_close: bool   # wait out the server's 60 s idle timeout on a stalled client
    hygiene_tokens: int         # per region


PROFILES = {
    "ci": Profile("ci", crash_kills=10, crash_clients=16, concurrency_seconds=20, concurrency_clients=64,
                  idempotency_rounds=15, idempotency_threads=12, shutdown_rounds=1, stalled_connections=200,
                  wait_for_idle_close=False, hygiene_tokens=10),
    "soak": Profile("soak", crash_kills=60, crash_clients=16, concurrency_seconds=600, concurrency_clients=64,
                    idempotency_rounds=400, idempotency_threads=24, shutdown_rounds=10, stalled_connections=1000,
                    wait_for_idle_close=True, hygiene_tokens=200),
}


@pytest.fixture(scope="session")
def profile() -> Profile:
    name = os.environ.get("RELIABILITY_PROFILE", "ci")
    if name not in PROFILES:
        raise pytest.UsageError(f"RELIABILITY_PROFILE={name!r}: use one of {', '.join(PROFILES)}")
    overrides = {}
    for field in fields(Profile):
        value = os.environ.get(f"RELIABILITY_{field.name.upper()}")
        if value is not None and field.name != "name":
            overrides[field.name] = value.lower() in ("1", "true", "yes") if field.type == "bool" else \
                float(value) if field.type == "float" else int(value)
    return replace(PROFILES[name], **overrides)


def _copy_binary(destination: Path) -> Path:
    """A copy of the tokend binary that runs (`--help` exits 0), once any rebuild has settled."""
    source = binary_path()
    deadline = time.monotonic() + BINARY_WAIT_S
    last = "no attempt"
    while time.monotonic() < deadline:
        if source.exists() and time.time() - source.stat().st_mtime >= BINARY_SETTLE_S:
            shutil.copy2(source, destination)
            check = subprocess.run([str(destination), "--help"], capture_output=True, timeout=30)
            if check.returncode == 0 and time.time() - source.stat().st_mtime >= BINARY_SETTLE_S:
                return destination
            last = f"--help exited {check.returncode}"
        else:
            last = f"{source} missing or written less than {BINARY_SETTLE_S} s ago"
        time.sleep(5)
    raise pytest.UsageError(f"no settled tokend binary within {BINARY_WAIT_S} s ({last}); build it first")


@pytest.fixture(scope="session", autouse=True)
def stable_binary(tmp_path_factory):
    copy = _copy_binary(tmp_path_factory.mktemp("binary") / "tokend")
    previous = os.environ.get("TOKEND_BINARY")
    os.environ["TOKEND_BINARY"] = str(copy)  # harness.tokend.binary_path() reads it at every start
    yield copy
    if previous is None:
        os.environ.pop("TOKEND_BINARY", None)
    else:
        os.environ["TOKEND_BINARY"] = previous


@pytest.fixture
def serve(tmp_path):
    """serve(name="serve", keys=None, log_level=None, extra=()) -> a started ServeProcess.
    Every process started here is stopped (SIGTERM, then SIGKILL) at teardown."""
    started: list[ServeProcess] = []

    def start(name: str = "serve", **options) -> ServeProcess:
        server = ServeProcess(tmp_path, name, **options)
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.stop()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keeps each phase's report on the test (item.rep_call…), so a fixture's teardown check
    can stay quiet when the test itself already failed for the same reason."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def call_failed(request) -> bool:
    report = getattr(request.node, "rep_call", None)
    return report is not None and report.failed


_FIGURES: list[str] = []


@pytest.fixture(scope="session")
def figures():
    """figures("crash safety", "kills survived 6, …"): kept for the run's summary."""
    def record(topic: str, line: str) -> None:
        _FIGURES.append(f"{topic}: {line}")
    return record


def pytest_terminal_summary(terminalreporter):
    if _FIGURES:
        terminalreporter.section("tokend reliability figures")
        for line in _FIGURES:
            terminalreporter.write_line(line)
