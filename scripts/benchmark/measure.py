"""What the benchmark reads off the machine: CPU and memory of processes (from /proc), the
disk's fsync time, the machine and the source version for the report's header."""

from __future__ import annotations

import os
import platform
import subprocess
import time
from pathlib import Path

from .common import REPO, BenchError


def proc_stat_cpu(pid: int) -> float:
    """User + system CPU seconds of a process so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class ProcessTree:
    """A process and its children, as one watched process of a wrk run (PostgreSQL's
    postmaster and its backends, nginx's master and workers): CPU seconds of the process, of
    its children still running, and of those it has reaped (cutime, cstime), so a backend
    that comes and goes during a run is counted too. Its memory is not sampled (the
    children share their parent's pages)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid

    def children(self) -> list[int]:
        found = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == self.pid:
                        found.append(int(entry))
            except (OSError, ValueError, IndexError):
                pass  # gone meanwhile
        return found

    def cpu_seconds(self) -> float:
        with open(f"/proc/{self.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total = sum(int(v) for v in fields[11:15]) / os.sysconf("SC_CLK_TCK")  # utime stime cutime cstime
        for child in self.children():
            try:
                total += proc_stat_cpu(child)
            except OSError:
                pass  # exited: counted in cutime once reaped
        return total


def cpu_seconds(watched) -> float:
    """CPU seconds so far of a watched process: a pid, or a ProcessTree."""
    return watched.cpu_seconds() if isinstance(watched, ProcessTree) else proc_stat_cpu(watched)


def busy_cpu_seconds() -> tuple[float, float]:
    """CPU seconds all cores spent busy (user, nice, system, irq, softirq, steal) and waiting
    for the disk (iowait) so far."""
    with open("/proc/stat") as f:
        fields = [int(v) for v in f.readline().split()[1:]]
    tick = os.sysconf("SC_CLK_TCK")
    return (fields[0] + fields[1] + fields[2] + fields[5] + fields[6] + fields[7]) / tick, fields[4] / tick


def fsync_ms(folder: Path, rounds: int = 200) -> float:
    """Median time to write 4 KiB at the end of a file and fsync it, in the stores' folder:
    what one durable commit waits for at least."""
    path = folder / "fsync-probe"
    times = []
    with open(path, "wb") as f:
        for _ in range(rounds):
            started = time.perf_counter()
            f.write(b"\0" * 4096)
            f.flush()
            os.fsync(f.fileno())
            times.append((time.perf_counter() - started) * 1000)
    path.unlink()
    return sorted(times)[rounds // 2]


def vm_rss(pid: int, field: str = "VmRSS") -> int:
    """Resident bytes of a process: all of them (VmRSS), or its private memory alone
    (RssAnon: VmRSS less the file pages it maps, which the OS page cache shares)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise BenchError(f"no {field} for {pid}")


def wrk_cpu_seconds() -> float:
    usage = os.times()
    return usage.children_user + usage.children_system


def source_version() -> str:
    """The commit the binary was built from, and whether the working tree differed from it."""
    try:
        commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--", "Sources", "Package.swift"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown source version"
    return f"commit {commit or '?'}" + (" with uncommitted changes in Sources/" if dirty else "")


def machine() -> str:
    model = "unknown CPU"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        total = int(f.readline().split()[1]) * 1024
    return f"{os.cpu_count()} CPUs ({model}), {total / 2**30:.1f} GiB RAM, {platform.system()} {platform.release()}"

