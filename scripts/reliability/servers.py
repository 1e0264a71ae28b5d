"""`tokend serve` as a TokendProcess of scripts/topology.py (which starts, kills and restarts
it with bounded waits), and the checks made on its files once it is stopped."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from topology import REPO_ROOT, STOP_TIMEOUT_S, TokendProcess  # noqa: E402

from tokend_http import REGIONS  # noqa: E402


class ServeProcess(TokendProcess):
    """`tokend serve`: every region of the repository's regions/ in one process."""

    label = "serve"

    def __init__(self, root: Path, name: str = "serve", *, keys: list[dict] | None = None,
                 log_level: str | None = None, extra: list[str] = ()):
        super().__init__(root, name)
        self.keys_file = None
        if keys is not None:
            self.keys_file = root / f"{name}-keys.json"
            self.keys_file.write_text(json.dumps({"keys": keys}))
        self.log_level = log_level
        self.extra = list(extra)

    def argv(self) -> list[str]:
        argv = ["serve", "--host", "127.0.0.1", "--port", str(self.port), "--data-dir", str(self.data_dir),
                "--regions", str(REPO_ROOT / "regions")]
        if self.keys_file:
            argv += ["--auth", "keys", "--keys-file", str(self.keys_file)]
        if self.log_level:
            argv += ["--log-level", self.log_level]
        return argv + self.extra

    def terminate_and_wait(self, timeout: float = STOP_TIMEOUT_S) -> int:
        """SIGTERM and the exit status; SIGKILL (and a failure) if it is not gone within `timeout`."""
        self.process.terminate()
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"still running {timeout} s after SIGTERM; killed\n{self.log_text()}")

    def store_paths(self) -> dict[str, Path]:
        return {region: self.data_dir / f"{region}.sqlite" for region in REGIONS}


def integrity(path: Path) -> str:
    """`PRAGMA integrity_check` of a stopped server's store, as one string ("ok" when sound)."""
    assert path.exists(), f"no store at {path}"
    connection = sqlite3.connect(path, timeout=5)
    try:
        return "; ".join(row[0] for row in connection.execute("PRAGMA integrity_check"))
    finally:
        connection.close()


def stored_token_ids(path: Path) -> set[str]:
    connection = sqlite3.connect(path, timeout=5)
    try:
        return {row[0] for row in connection.execute("SELECT id FROM token")}
    finally:
        connection.close()


def copy_store(data_dir: Path, destination: Path) -> None:
    """Copies the db, -wal and -shm files as a crash left them (the process must be dead)."""
    destination.mkdir(parents=True, exist_ok=True)
    for path in data_dir.glob("*.sqlite*"):
        (destination / path.name).write_bytes(path.read_bytes())
