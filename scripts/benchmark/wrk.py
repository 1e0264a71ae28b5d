"""wrk, driven the same way for every case: one run, parsed into a Run with the CPU and memory
of the watched processes sampled meanwhile."""

from __future__ import annotations

import os
import re
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from harness.processes import track, untrack

from .common import REPO, BenchError, Client, log
from .measure import ProcessTree, busy_cpu_seconds, cpu_seconds, vm_rss, wrk_cpu_seconds

WALK_LUA = REPO / "scripts" / "bench-wrk" / "walk.lua"


@dataclass
class Run:
    """One wrk run and what the driver saw of the machine meanwhile."""
    name: str
    connections: int
    duration: float
    rps: float = 0.0          # 2xx (or expected-status) answers per second
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    requests: int = 0
    non2xx: int = 0
    socket_errors: dict = field(default_factory=dict)
    over: int = 0
    cpu: dict = field(default_factory=dict)        # cores used per watched process, and wrk's
    rss_max: dict = field(default_factory=dict)    # bytes per watched process
    anon_max: dict = field(default_factory=dict)   # private bytes (RssAnon) per watched process
    iowait: float = 0.0                            # cores idle while waiting for the disk
    errors: list = field(default_factory=list)     # what went wrong, for the table
    notes: list = field(default_factory=list)      # what to keep in mind, for the table

    @property
    def flagged(self) -> bool:
        return bool(self.errors)


LATENCY_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def parse_latency(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not match:
        raise BenchError(f"cannot read wrk latency {text!r}")
    return float(match.group(1)) * LATENCY_UNITS[match.group(2)]


class Wrk:
    def __init__(self, duration: float, threads: int, out: Path) -> None:
        self.duration = duration
        self.threads = threads
        self.out = out
        self.runs: list[Run] = []

    def run(self, name: str, port: int, path: str, *, connections: int = 64, threads: int | None = None,
            duration: float | None = None, headers: list[str] = (), walk: tuple | None = None,
            watch: dict | None = None, expect_non2xx: bool = False, env: dict | None = None,
            probe: int | None = 200) -> Run:
        """walk = (METHOD, file, wrap) to use walk.lua; watch = {label: pid or ProcessTree} to sample
        CPU (and the RSS of plain pids);
        probe = the status one request of the run (its first) must get first, None for no probe."""
        threads = min(threads or self.threads, connections)
        if probe is not None:
            method, probe_path, body = "GET", path, None
            if walk:
                method = walk[0]
                first = Path(walk[1]).open().readline().rstrip("\n")
                probe_path, _, body = first.partition("\t")
                body = body or None
            status, payload = Client(port).request(method, probe_path, dict(h.split(": ", 1) for h in headers), body)
            if status != probe:
                raise BenchError(f"{name}: probe {method} {probe_path} -> {status}, expected {probe}: {payload[:300]!r}")
        duration = duration or self.duration
        argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration:g}s", "--latency", "--timeout", "30s"]
        for header in headers:
            argv += ["-H", header]
        if walk:
            argv += ["-s", str(WALK_LUA)]
        argv.append(f"http://127.0.0.1:{port}{path}")
        if walk:
            method, file, wrap = walk
            argv += ["--", method, str(file), "1" if wrap else "0", str(threads)]
        watch = watch or {}
        before = {label: cpu_seconds(pid) for label, pid in watch.items()}
        # Memory of single processes only (a ProcessTree's children share their parent's pages).
        sized = {label: pid for label, pid in watch.items() if not isinstance(pid, ProcessTree)}
        rss_max = {label: vm_rss(pid) for label, pid in sized.items()}
        anon_max = {label: vm_rss(pid, "RssAnon") for label, pid in sized.items()}
        stop = threading.Event()

        def sample() -> None:
            while not stop.wait(0.1):
                for label, pid in sized.items():
                    try:
                        rss_max[label] = max(rss_max[label], vm_rss(pid))
                        anon_max[label] = max(anon_max[label], vm_rss(pid, "RssAnon"))
                    except (OSError, BenchError):
                        pass

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        wall = time.monotonic()
        wrk_before = wrk_cpu_seconds()
        busy_before, iowait_before = busy_cpu_seconds()
        process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   env={**os.environ, **(env or {})})
        track("wrk", process)  # harness.processes.stop_all() ends it too, should the driver be cut short
        try:
            stdout, stderr = process.communicate(timeout=duration + 60)
        except BaseException as error:  # a time-out, the run's time limit, Ctrl-C: no wrk left behind
            process.kill()
            process.wait()
            if isinstance(error, subprocess.TimeoutExpired):
                raise BenchError(f"wrk {name} did not finish") from error
            raise
        finally:
            untrack(process)
            stop.set()
            sampler.join()
        wall = time.monotonic() - wall
        text = stdout.decode(errors="replace")
        command = re.sub(r"Bearer \S+", "Bearer <secret>", " ".join(argv))
        with (self.out / "wrk.log").open("a") as wrk_log:
            wrk_log.write(f"=== {name}\n$ {command}\n{text}{stderr.decode(errors='replace')}\n")
        if process.returncode != 0:
            raise BenchError(f"wrk {name} failed ({process.returncode}): {stderr.decode(errors='replace')[-2000:]}")
        run = Run(name, connections, duration)
        for label, pid in watch.items():
            run.cpu[label] = (cpu_seconds(pid) - before[label]) / wall
        # wrk itself: the reaped children's CPU grows by exactly this wrk's (servers are reaped later).
        run.cpu["wrk"] = (wrk_cpu_seconds() - wrk_before) / wall
        # Everything else the machine did meanwhile (this driver's sampling, other sessions' work).
        busy_after, iowait_after = busy_cpu_seconds()
        run.cpu["other"] = max(0.0, (busy_after - busy_before) / wall - sum(run.cpu.values()))
        run.iowait = (iowait_after - iowait_before) / wall
        run.rss_max = rss_max
        run.anon_max = anon_max
        percentiles = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)\s*$", text, re.M))
        if "50" not in percentiles or "99" not in percentiles:
            raise BenchError(f"wrk {name}: no latency distribution in output:\n{text}")
        run.p50_ms = parse_latency(percentiles["50"])
        run.p99_ms = parse_latency(percentiles["99"])
        totals = re.search(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s|m)", text, re.M)
        run.requests = int(totals.group(1))
        elapsed_s = parse_latency(totals.group(2) + totals.group(3)) / 1000.0
        non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
        run.non2xx = int(non2xx.group(1)) if non2xx else 0
        sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
        if sockets:
            run.socket_errors = dict(zip(("connect", "read", "write", "timeout"), map(int, sockets.groups())))
            if any(run.socket_errors.values()):
                run.errors.append("socket errors " + ", ".join(f"{k} {v}" for k, v in run.socket_errors.items() if v))
        over = re.search(r"walk: over=(\d+)", text)
        run.over = int(over.group(1)) if over else 0
        if expect_non2xx:
            good = run.non2xx
            if run.non2xx != run.requests:
                run.errors.append(f"{run.requests - run.non2xx} answers were 2xx/3xx, expected none")
        else:
            good = run.requests - run.non2xx
            if run.non2xx:
                run.errors.append(f"{run.non2xx} non-2xx answers"
                                  + (f" ({run.over} after the id list ran out)" if run.over else ""))
        run.rps = good / elapsed_s if elapsed_s > 0 else 0.0
        if run.requests < 200:
            run.notes.append(f"only {run.requests} answers in the run: rough percentiles")
        self.runs.append(run)
        cpu = " ".join(f"{k} {v:.2f}" for k, v in run.cpu.items())
        log(f"  {name}: {run.rps:,.0f} req/s  p50 {run.p50_ms:.3f} ms  p99 {run.p99_ms:.3f} ms  "
            f"(cores: {cpu})" + (f"  !! {'; '.join(run.errors)}" if run.errors else ""))
        settle(watch)
        return run


def settle(watch: dict, limit: float = 60.0) -> None:
    """Waits until the watched processes are idle (< 0.05 cores over 0.2 s): a server still
    working off requests queued by the last run would otherwise slow the next one."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            before = sum(cpu_seconds(pid) for pid in watch.values())
            time.sleep(0.2)
            if sum(cpu_seconds(pid) for pid in watch.values()) - before < 0.01:
                return
        except OSError:
            return
    log("  (the servers were still busy a minute after the run)")
