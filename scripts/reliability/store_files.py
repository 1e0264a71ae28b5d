"""The checks made on a stopped (or SIGKILLed) `tokend serve`'s files. The servers themselves
are harness.tokend.ServeProcess, started by conftest.py's `serve` fixture.

Under scripts/with-postgres (TOKEND_TEST_POSTGRESQL) the servers' stores are PostgreSQL
databases, not files (`server.on_postgresql`): the tests then leave out the file checks
(integrity, crash images) and read what is stored through the API or a pg_dump instead."""

from __future__ import annotations

import sqlite3
from pathlib import Path


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


def store_dump(server) -> bytes:
    """A PostgreSQL-backed server's whole database as pg_dump prints it (schema and data)."""
    from harness.postgres import dump
    assert server.on_postgresql, f"{server.title} keeps its store in SQLite files"
    return dump(server.store_url)


def postgresql_log() -> bytes | None:
    """The log of scripts/with-postgres's cluster (None when it cannot be read here)."""
    from harness.postgres import PostgresCluster
    cluster = PostgresCluster.attach()
    return cluster.log_path.read_bytes() if cluster and cluster.log_path.exists() else None
