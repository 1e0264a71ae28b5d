"""Child processes with time limits, logs in files, and none left behind.

    process = ManagedProcess("moto", out / "moto.log", [sys.executable, "-m", "moto.server", …]).spawn()
    process.stop()        # SIGTERM, then SIGKILL if it is still there after stop_timeout
    with ManagedProcess(…) as process:   # start(), then stop() whatever happens
    process.kill()        # SIGKILL, as a crash would
    stop_all()            # every process still running; also run at interpreter exit

Every process runs in the repository's root, in its own session (a Ctrl-C meant for the
test runner does not reach it half-way), with stdin closed and stdout and stderr appended to
its log file, which survives restarts: each start writes a `--- HH:MM:SS starting: ARGV` line.
"""

from __future__ import annotations

import atexit
import signal
import subprocess
import time
from pathlib import Path

from .ports import HOST

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
STOP_TIMEOUT_S = 5.0
LOG_TAIL_CHARS = 6000


class HarnessError(RuntimeError):
    """Something did not start, answer or stop in time; the message carries the log."""


# ---------------------------------------------------------------- every child, for stop_all()

_RUNNING: dict[int, tuple[str, subprocess.Popen]] = {}


def track(name: str, process: subprocess.Popen) -> None:
    """Counts `process` among those stop_all() ends (ManagedProcess does this itself)."""
    _RUNNING[process.pid] = (name, process)


def untrack(process: subprocess.Popen) -> None:
    _RUNNING.pop(process.pid, None)


def end(process: subprocess.Popen, timeout: float = STOP_TIMEOUT_S) -> bool:
    """SIGTERM, then SIGKILL after `timeout`; True when SIGKILL was needed."""
    killed = False
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(STOP_TIMEOUT_S)
            killed = True
    untrack(process)
    return killed


def stop_all(timeout: float = STOP_TIMEOUT_S) -> None:
    """Ends every tracked process still running (best effort: on the way out)."""
    for _, process in list(_RUNNING.values()):
        try:
            end(process, timeout)
        except Exception:  # noqa: BLE001 - the others must still be stopped
            pass


atexit.register(stop_all)


# ---------------------------------------------------------------- one process


class ManagedProcess:
    """One child process: its argv, its log file, and bounded start, stop and kill; a server
    also its loopback port. Subclasses build their argv in command(), and wait in start()
    until the process is ready; a plain one is given its argv, and start() only spawns it."""

    label = "process"

    def __init__(self, name: str, log_path: Path, argv: list[str] | None = None, *, port: int | None = None,
                 env: dict | None = None, stop_timeout: float = STOP_TIMEOUT_S):
        self.name = name
        self.log_path = Path(log_path)
        self._argv = list(argv) if argv is not None else None
        self.port = port
        self.env = env
        self.stop_timeout = stop_timeout
        self.process: subprocess.Popen | None = None
        self.started_at = 0.0   # time.monotonic() right before the last spawn
        self.log_offset = 0     # where the last start's lines begin in the log

    def command(self) -> list[str]:
        if self._argv is None:
            raise NotImplementedError
        return self._argv

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def title(self) -> str:
        """How errors name this process."""
        return f"{self.label} {self.name}" + (f" ({self.url})" if self.port else "")

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def is_running(self) -> bool:
        if self.process is None:
            return False
        if self.process.poll() is None:
            return True
        untrack(self.process)  # exited (and reaped): nothing left for stop_all()
        return False

    def spawn(self) -> "ManagedProcess":
        """Starts the process and returns at once (readiness is the caller's, or start()'s)."""
        if self.is_running():
            raise HarnessError(f"{self.title} is already running (pid {self.pid})")
        argv = [str(part) for part in self.command()]
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("a") as log:
            self.log_offset = log.tell()
            log.write(f"--- {time.strftime('%H:%M:%S')} starting: {' '.join(argv)}\n")
            log.flush()
            self.started_at = time.monotonic()
            try:
                self.process = subprocess.Popen(argv, cwd=REPO_ROOT, env=self.env, stdin=subprocess.DEVNULL,
                                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
            except OSError as error:  # e.g. "Text file busy" while a build rewrites the binary
                raise HarnessError(f"{self.title}: cannot run {argv[0]}: {error}") from error
        track(self.name, self.process)
        return self

    def start(self) -> "ManagedProcess":
        return self.spawn()

    def __enter__(self) -> "ManagedProcess":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def kill(self) -> None:
        """SIGKILL, as a crash would: no chance to flush or close anything."""
        if self.is_running():
            self.process.send_signal(signal.SIGKILL)
            try:
                self.process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired as error:
                raise self.failure(f"pid {self.pid} still alive {STOP_TIMEOUT_S} s after SIGKILL") from error
            untrack(self.process)

    def stop(self, timeout: float | None = None) -> None:
        """SIGTERM (graceful shutdown), then SIGKILL if it is still there after `timeout`
        (default: stop_timeout)."""
        if not self.is_running():
            return
        timeout = self.stop_timeout if timeout is None else timeout
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            with self.log_path.open("a") as log:
                log.write(f"--- did not stop within {timeout} s of SIGTERM: SIGKILL\n")
            self.kill()
        untrack(self.process)

    def terminate_and_wait(self, timeout: float = STOP_TIMEOUT_S) -> int:
        """SIGTERM and the exit status; SIGKILL, and a failure of the test that asked, if it
        is not gone within `timeout`."""
        self.process.terminate()
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"still running {timeout} s after SIGTERM; killed\n{self.log_text()}")
        finally:
            untrack(self.process)

    def log_text(self, tail: int | None = LOG_TAIL_CHARS, since_start: bool = False) -> str:
        """The log (its last `tail` characters); with since_start, only the last start's lines."""
        try:
            with self.log_path.open("rb") as log:
                if since_start:
                    log.seek(self.log_offset)
                text = log.read().decode(errors="replace")
        except FileNotFoundError:
            return "(no log)"
        return text if tail is None or len(text) <= tail else "…" + text[-tail:]

    def failure(self, what: str) -> HarnessError:
        return HarnessError(f"{self.title}: {what}\n--- {self.log_path}\n{self.log_text()}")
