"""The stores the cases read: filled by `tokend fill` (or copied from --fill-cache), and their
size on disk."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import time
from pathlib import Path

from .common import BIG_PROJECT_TOKENS, REGION, TOKENS_PER_PROJECT, log


def fill_plan(tokens: int, big: bool) -> tuple[int, list[tuple[int, int]]]:
    """Projects and the `tokend fill` calls (tokens, projects) for a store of `tokens`:
    projects of 1,000 tokens, and with `big`, project 0 holding 10,000 in all."""
    projects = max(1, tokens // TOKENS_PER_PROJECT)
    if not big:
        return projects, [(tokens, projects)]
    # Spread S over every project, then top project 0 up: S - ceil(S/P) = tokens - BIG.
    spread = tokens - BIG_PROJECT_TOKENS
    while spread - -(-spread // projects) < tokens - BIG_PROJECT_TOKENS:
        spread += 1
    extra = BIG_PROJECT_TOKENS - -(-spread // projects)
    return projects, [(extra, 1), (spread, projects)]


def store_bytes(data: Path) -> dict:
    files = {p.name: p.stat().st_size for p in data.glob(f"{REGION}.sqlite*")}
    return {"files": files, "total": sum(files.values())}


def fill_store(binary: Path, data: Path, tokens: int, big: bool, out: Path, cache: Path | None) -> dict:
    projects, calls = fill_plan(tokens, big)
    key = f"{tokens}-{projects}-{'big' if big else 'flat'}"
    if cache is not None and (cache / key / "complete").exists():
        log(f"store of {tokens:,} tokens: copying the filled store from {cache / key}")
        shutil.copytree(cache / key, data)
        info = json.loads((cache / key / "complete").read_text())
        info["from_cache"] = True
        return info
    data.mkdir(parents=True)
    started = time.monotonic()
    for count, over in calls:
        log(f"tokend fill --tokens {count} --projects {over}")
        subprocess.run([str(binary), "fill", "--region", REGION, "--data-dir", str(data), "--tokens", str(count),
                        "--projects", str(over), "--log-level", "error"],
                       check=True, timeout=1800, stdout=open(out / "fill.log", "ab"), stderr=subprocess.STDOUT)
    seconds = time.monotonic() - started
    as_filled = store_bytes(data)
    # The size a store settles at: everything checkpointed into the main file.
    with sqlite3.connect(data / f"{REGION}.sqlite") as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    info = {"tokens": tokens, "projects": projects, "big_project": big, "fill_seconds": seconds,
            "fill_calls": calls, "bytes_as_filled": as_filled, "bytes_checkpointed": store_bytes(data)}
    log(f"filled {tokens:,} tokens in {seconds:.1f} s ({tokens / seconds:,.0f}/s); "
        f"{info['bytes_checkpointed']['total'] / 1e6:.0f} MB checkpointed")
    if cache is not None:
        shutil.copytree(data, cache / key)
        (cache / key / "complete").write_text(json.dumps(info))
    return info
