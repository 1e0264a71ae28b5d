"""tokend's benchmark driver (run it through scripts/bench, which builds the release binary).

    python3 scripts/bench.py --binary .build-release/release/tokend [--quick] [--out DIR]

One run: fill stores with `tokend fill`, start release servers on 127.0.0.1, drive them
with wrk (same threads, connections and duration for every case), drive moto's IAM server
the same way, and print one table (operation, requests/s, p50, p99, ratio to the
`/_tokend/ping` ceiling of the same server) followed by startup, memory and storage
figures and each target met or missed. Also writes results.md, results.json and the
servers' logs to --out (default: a new /tmp/tokend-bench-<time> folder).

Standard library only. Every process is started by this driver, bound to 127.0.0.1, given
a time limit, and stopped on exit, also on failure or Ctrl-C.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
WALK_LUA = REPO / "scripts" / "bench-wrk" / "walk.lua"
REGION = "fr-par"
TOKENS = f"/cockpit/v1/regions/{REGION}/tokens"
AUTH = ("X-Auth-Token", "bench")
ORDERS = ("created_at_asc", "created_at_desc", "name_asc", "name_desc")
TOKENS_PER_PROJECT = 1000     # every scale keeps projects of 1,000 tokens (1,000,000 = 1,000 projects)
BIG_PROJECT_TOKENS = 10_000   # project 0 of the largest store: 100 pages of 100
AWS_AUTH = ("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/us-east-1/iam/aws4_request, "
            "SignedHeaders=host, Signature=00")
VERIFY_PROJECT = "00000000-0000-4000-8000-b00000000001"
CREATE_PROJECT = "00000000-0000-4000-8000-b00000000002"
PAIR_PROJECT = "00000000-0000-4000-8000-b00000000003"
RATIO_ROUNDS = 3              # rounds of ping, verify and get, alternating; each row is its median round   # two tokens: moto's ListAccessKeys lists a user's two keys


class BenchError(RuntimeError):
    pass


def project_id(index: int) -> str:
    return f"00000000-0000-4000-8000-{index:012d}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- processes


class Processes:
    """Every process the driver starts; stop_all() ends them (SIGTERM, then SIGKILL)."""

    def __init__(self) -> None:
        self.running: dict[int, tuple[str, subprocess.Popen]] = {}

    def start(self, name: str, argv: list[str], log_path: Path, env: dict | None = None) -> subprocess.Popen:
        handle = open(log_path, "ab")
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=handle, stderr=subprocess.STDOUT,
                                   env=env, start_new_session=True)
        handle.close()
        self.running[process.pid] = (name, process)
        return process

    def stop(self, process: subprocess.Popen, timeout: float = 10.0) -> None:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        self.running.pop(process.pid, None)

    def stop_all(self) -> None:
        for _, process in list(self.running.values()):
            try:
                self.stop(process, timeout=5.0)
            except Exception:  # noqa: BLE001 - best effort on the way out
                pass


PROCESSES = Processes()


def proc_stat_cpu(pid: int) -> float:
    """User + system CPU seconds of a process so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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


# ---------------------------------------------------------------- HTTP


class Client:
    """A keep-alive HTTP/1.1 client to one loopback port."""

    def __init__(self, port: int, timeout: float = 30.0) -> None:
        self.port = port
        self.timeout = timeout
        self.connection: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, headers: dict | None = None, body: bytes | str | None = None):
        for attempt in range(2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            try:
                self.connection.request(method, path, body=body, headers=headers or {})
                response = self.connection.getresponse()
                return response.status, response.read()
            except (http.client.HTTPException, ConnectionError, OSError):
                self.connection.close()
                self.connection = None
                if attempt == 1:
                    raise
        raise AssertionError("unreachable")

    def json(self, method: str, path: str, body: dict | None = None, expect: int = 200):
        headers = {AUTH[0]: AUTH[1]}
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body)
        status, payload = self.request(method, path, headers, data)
        if status != expect:
            raise BenchError(f"{method} {path} -> {status} (expected {expect}): {payload[:300]!r}")
        return json.loads(payload) if payload else None


def wait_until_answering(port: int, process: subprocess.Popen, log_path: Path, timeout: float = 60.0,
                         path: str = "/_tokend/ping", headers: dict | None = None) -> float:
    """Polls until `path` answers 200; returns the seconds since the call."""
    started = time.monotonic()
    while True:
        if process.poll() is not None:
            raise BenchError(f"process exited ({process.returncode}) before answering; log {log_path}:\n"
                             + log_path.read_text(errors="replace")[-3000:])
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", path, headers=headers or {})
            response = connection.getresponse()
            response.read()
            connection.close()
            if response.status == 200:
                return time.monotonic() - started
        except (ConnectionError, OSError, http.client.HTTPException):
            pass
        if time.monotonic() - started > timeout:
            raise BenchError(f"nothing answered 200 on port {port}{path} within {timeout} s; log {log_path}")
        time.sleep(0.002)


# ---------------------------------------------------------------- wrk


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
        """walk = (METHOD, file, wrap) to use walk.lua; watch = {label: pid} to sample CPU and RSS;
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
        before = {label: proc_stat_cpu(pid) for label, pid in watch.items()}
        rss_max = {label: vm_rss(pid) for label, pid in watch.items()}
        anon_max = {label: vm_rss(pid, "RssAnon") for label, pid in watch.items()}
        stop = threading.Event()

        def sample() -> None:
            while not stop.wait(0.1):
                for label, pid in watch.items():
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
        PROCESSES.running[process.pid] = ("wrk", process)
        try:
            stdout, stderr = process.communicate(timeout=duration + 60)
        except BaseException as error:  # a time-out, the run's time limit, Ctrl-C: no wrk left behind
            process.kill()
            process.wait()
            if isinstance(error, subprocess.TimeoutExpired):
                raise BenchError(f"wrk {name} did not finish") from error
            raise
        finally:
            PROCESSES.running.pop(process.pid, None)
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
            run.cpu[label] = (proc_stat_cpu(pid) - before[label]) / wall
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
            before = sum(proc_stat_cpu(pid) for pid in watch.values())
            time.sleep(0.2)
            if sum(proc_stat_cpu(pid) for pid in watch.values()) - before < 0.01:
                return
        except OSError:
            return
    log("  (the servers were still busy a minute after the run)")


def wrk_cpu_seconds() -> float:
    usage = os.times()
    return usage.children_user + usage.children_system


# ---------------------------------------------------------------- tokend


class Tokend:
    """A `tokend serve` (or region/gateway) process on a free loopback port."""

    def __init__(self, binary: Path, args: list[str], name: str, out: Path) -> None:
        self.binary = binary
        self.port = free_port()
        self.name = name
        self.log_path = out / f"{name}.log"
        self.argv = [str(binary), *args, "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "error"]
        self.started_at = time.monotonic()
        self.process = PROCESSES.start(name, self.argv, self.log_path)
        self.client = Client(self.port)

    @property
    def pid(self) -> int:
        return self.process.pid

    def ready(self, timeout: float = 120.0) -> float:
        wait_until_answering(self.port, self.process, self.log_path, timeout)
        return time.monotonic() - self.started_at

    def stop(self) -> None:
        PROCESSES.stop(self.process)


def serve(binary: Path, data: Path, name: str, out: Path) -> Tokend:
    return Tokend(binary, ["serve", "--data-dir", str(data), "--regions", str(REPO / "regions")], name, out)


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


def list_ids(client: Client, project: str, limit: int = 1000) -> list[str]:
    page = client.json("GET", f"{TOKENS}?project_id={project}&page=1&page_size={min(limit, 1000)}")
    return [token["id"] for token in page["tokens"]]


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines))
    return path


# ---------------------------------------------------------------- moto


# ---------------------------------------------------------------- the benchmark


@dataclass
class Config:
    quick: bool
    duration: int
    scales: list[int]
    one_connection_duration: int
    threads: int = 2
    connections: int = 64
    create_connections: int = 32


class Bench:
    def __init__(self, config: Config, binary: Path, out: Path, work: Path, cache: Path | None) -> None:
        self.config = config
        self.binary = binary
        self.out = out
        self.work = work
        self.cache = cache
        self.wrk = Wrk(config.duration, config.threads, out)
        self.results: dict = {"config": config.__dict__, "scales": {}, "runs": {}, "figures": {}}
        self.rows: list[dict] = []

    # -- helpers

    def keep(self, key: str, run: Run, **extra) -> Run:
        self.results["runs"][key] = {**run.__dict__, **extra}
        return run

    def keep_median(self, key: str, runs: list[Run]) -> Run:
        """Keeps the median run (by req/s) of rounds of the same case, noting every round."""
        ordered = sorted(runs, key=lambda run: run.rps)
        median = ordered[len(ordered) // 2]
        median.notes.append("median of " + str(len(runs)) + " rounds: " + " / ".join(rate(run.rps) for run in runs) + " req/s")
        for run in runs:
            median.errors += [error for error in run.errors if error not in median.errors]
        return self.keep(key, median, rounds=[run.rps for run in runs])

    def management(self, extra: list[str] = ()) -> list[str]:
        return [f"{AUTH[0]}: {AUTH[1]}", *extra]

    # -- phases

    def run(self) -> None:
        started = time.monotonic()
        scales = self.config.scales
        largest = scales[-1]
        for tokens in scales[:-1]:
            self.scale_phase(tokens)
        data = self.work / f"store-{largest}"
        self.results["scales"][largest] = fill_store(self.binary, data, largest, True, self.out, self.cache)
        self.results["figures"]["fsync_ms"] = fsync_ms(self.work)
        log(f"fsync of 4 KiB in {self.work}: {self.results['figures']['fsync_ms']:.2f} ms (median of 200)")
        self.first_answer(data, largest)
        self.main_phase(data, largest)
        self.gateway_phase(data)
        self.moto_phase()
        self.results["seconds"] = time.monotonic() - started

    def sample_ids(self, client: Client, projects: int, want: int, first: int, last: int) -> list[str]:
        """Token ids from projects first..last (inclusive), spread evenly, shuffled."""
        n = min(-(-want // TOKENS_PER_PROJECT), last - first + 1)
        chosen = sorted({first + round((last - first) * i / (n - 1)) for i in range(n)}) if n > 1 else [first]
        ids = []
        for index in chosen:
            ids += list_ids(client, project_id(index))
        random.Random(7).shuffle(ids)
        return ids[:want]

    def read_runs(self, server: Tokend, tokens: int, projects: int, prefix: str, ids: list[str], get: bool = True) -> None:
        """get (unless the caller measures it), list of one project (page 1 of 100) and
        unfiltered page 1: the growth cases."""
        watch = {"server": server.pid}
        if get:
            get_file = write_lines(self.work / f"get-{tokens}.txt", [f"{TOKENS}/{i}" for i in ids])
            self.keep(f"{prefix}get", self.wrk.run(f"get @{tokens:,}", server.port, TOKENS, headers=self.management(),
                                                   walk=("GET", get_file, True), watch=watch))
        list_file = write_lines(self.work / f"list-{tokens}.txt",
                                [f"{TOKENS}?project_id={project_id(i)}&page=1&page_size=100" for i in range(1, projects)]
                                or [f"{TOKENS}?project_id={project_id(0)}&page=1&page_size=100"])
        self.keep(f"{prefix}list_project", self.wrk.run(
            f"list one project p1 @{tokens:,}", server.port, TOKENS, headers=self.management(),
            walk=("GET", list_file, True), watch=watch))
        self.keep(f"{prefix}list_all_{ORDERS[0]}", self.wrk.run(
            f"list unfiltered p1 {ORDERS[0]} @{tokens:,}", server.port,
            f"{TOKENS}?page=1&page_size=100&order_by={ORDERS[0]}", headers=self.management(), watch=watch))

    def scale_phase(self, tokens: int) -> None:
        data = self.work / f"store-{tokens}"
        info = fill_store(self.binary, data, tokens, False, self.out, self.cache)
        self.results["scales"][tokens] = info
        log(f"== reads on the store of {tokens:,} tokens")
        server = serve(self.binary, data, f"serve-{tokens}", self.out)
        try:
            server.ready()
            ids = self.sample_ids(server.client, info["projects"], 20_000, 1, max(1, info["projects"] - 1))
            self.read_runs(server, tokens, info["projects"], f"s{tokens}_", ids)
        finally:
            server.stop()

    def first_answer(self, data: Path, tokens: int) -> None:
        """Time from starting `tokend serve` on a filled store to its first answer (3 restarts each)."""
        log(f"== first answer after start, store of {tokens:,} tokens")
        server = serve(self.binary, data, "serve-probe", self.out)
        try:
            server.ready()
            token_id = list_ids(server.client, project_id(1), 1)[0]
        finally:
            server.stop()
        figures = {}
        for label, path, headers in (("get", f"{TOKENS}/{token_id}", {AUTH[0]: AUTH[1]}),
                                     ("ping", "/_tokend/ping", {})):
            samples = []
            for attempt in range(3):
                server = serve(self.binary, data, f"serve-start-{label}-{attempt}", self.out)
                try:
                    wait_until_answering(server.port, server.process, server.log_path, 60.0, path, headers)
                    samples.append((time.monotonic() - server.started_at) * 1000)
                finally:
                    server.stop()
            figures[label] = {"samples_ms": samples, "median_ms": sorted(samples)[1]}
            log(f"  first {label} answer: {', '.join(f'{s:.0f}' for s in samples)} ms")
        self.results["figures"]["first_answer"] = figures

    def main_phase(self, data: Path, tokens: int) -> None:
        info = self.results["scales"][tokens]
        projects = info["projects"]
        log(f"== tokend serve on the store of {tokens:,} tokens")
        server = serve(self.binary, data, "serve-main", self.out)
        watch = {"server": server.pid}
        try:
            server.ready()
            time.sleep(1.0)
            idle, idle_anon = vm_rss(server.pid), vm_rss(server.pid, "RssAnon")
            token = server.client.json("POST", TOKENS, {"project_id": VERIFY_PROJECT, "name": "bench-verify",
                                                        "token_scopes": ["write_only_metrics"]})
            secret = token["secret_key"]
            self.verify_secret = secret  # kept out of results.json and the logs
            bad = secret[:-1] + ("A" if secret[-1] != "A" else "B")
            verify = lambda s: [f"Authorization: Bearer {s}", f"X-Scope-OrgID: {VERIFY_PROJECT}",
                                "X-Tokend-Operation: metrics.push"]
            for presented, expect in ((secret, 200), (bad, 401)):
                status, body = server.client.request("GET", "/_tokend/verify", dict(h.split(": ", 1) for h in verify(presented)))
                if status != expect:
                    raise BenchError(f"verify probe -> {status}, expected {expect}: {body[:200]!r}")
            # Reads use projects 1..half; deletes take their ids from the other half.
            half = max(2, projects // 2)
            ids = self.sample_ids(server.client, projects, 20_000, 1, half)
            self.results["get_ids"] = len(ids)

            # The cases judged by their ratio to the ceiling alternate with it for RATIO_ROUNDS
            # rounds, and each row is its median round: on a noisy 2-core machine one slow
            # moment of one run must not decide a ratio.
            get_file = write_lines(self.work / f"get-{tokens}.txt", [f"{TOKENS}/{i}" for i in ids])
            rounds: dict[str, list[Run]] = {"ping": [], "verify": [], "get": []}
            for index in range(1, RATIO_ROUNDS + 1):
                rounds["ping"].append(self.wrk.run(f"ping (ceiling), round {index}", server.port, "/_tokend/ping", watch=watch))
                rounds["verify"].append(self.wrk.run(f"verify valid, round {index}", server.port, "/_tokend/verify",
                                                     headers=verify(secret), watch=watch))
                rounds["get"].append(self.wrk.run(f"get @{tokens:,}, round {index}", server.port, TOKENS,
                                                  headers=self.management(), walk=("GET", get_file, True), watch=watch))
            for key, runs in rounds.items():
                self.keep_median(key, runs)
            self.keep("verify_bad", self.wrk.run("verify bad checksum", server.port, "/_tokend/verify",
                                                 headers=verify(bad), watch=watch, expect_non2xx=True, probe=401))
            self.read_runs(server, tokens, projects, "", ids, get=False)
            # Like for like with moto's ListAccessKeys of a user holding IAM's maximum of two keys.
            for name in ("bench-pair-1", "bench-pair-2"):
                server.client.json("POST", TOKENS, {"project_id": PAIR_PROJECT, "name": name, "token_scopes": ["read_only_logs"]})
            self.keep("list_pair", self.wrk.run("list a project of 2 tokens", server.port,
                                                f"{TOKENS}?project_id={PAIR_PROJECT}", headers=self.management(), watch=watch))
            big = project_id(0)
            total = server.client.json("GET", f"{TOKENS}?project_id={big}&page=1&page_size=1")["total_count"]
            self.results["big_project_tokens"] = total
            for page in (1, 50):
                self.keep(f"list_big_p{page}", self.wrk.run(
                    f"list project of {total:,} page {page}", server.port,
                    f"{TOKENS}?project_id={big}&page={page}&page_size=100", headers=self.management(), watch=watch))
            for order in ORDERS[1:]:
                self.keep(f"list_all_{order}", self.wrk.run(
                    f"list unfiltered p1 {order}", server.port, f"{TOKENS}?page=1&page_size=100&order_by={order}",
                    headers=self.management(), watch=watch))
            # The same lists with one connection: the time one request takes, without queueing.
            one = dict(connections=1, duration=self.config.one_connection_duration, headers=self.management(), watch=watch)
            self.keep("list_project_1c", self.wrk.run(f"list one project p1 c1", server.port, TOKENS,
                                                      walk=("GET", self.work / f"list-{tokens}.txt", True), **one))
            self.keep("list_big_p50_1c", self.wrk.run(f"list project of {total:,} page 50 c1", server.port,
                                                      f"{TOKENS}?project_id={big}&page=50&page_size=100", **one))
            for order in ORDERS:
                self.keep(f"list_all_{order}_1c", self.wrk.run(
                    f"list unfiltered p1 {order} c1", server.port, f"{TOKENS}?page=1&page_size=100&order_by={order}", **one))
            body = json.dumps({"project_id": CREATE_PROJECT, "name": "bench-create", "token_scopes": ["write_only_metrics"]})
            create_file = write_lines(self.work / "create.txt", [f"{TOKENS}\t{body}"])
            self.keep("create", self.wrk.run("create", server.port, TOKENS, connections=self.config.create_connections,
                                             headers=self.management(["Content-Type: application/json"]),
                                             walk=("POST", create_file, True), watch=watch))
            # Delete: ids of whole projects from the second half, enough for the run at a generous rate.
            want = int(15_000 * self.config.duration)
            delete_ids: list[str] = []
            index = projects - 1
            while len(delete_ids) < want and index > half:
                delete_ids += list_ids(server.client, project_id(index))
                index -= 1
            random.Random(11).shuffle(delete_ids)
            delete_file = write_lines(self.work / "delete.txt", [f"{TOKENS}/{i}" for i in delete_ids])
            self.results["delete_pool"] = len(delete_ids)
            self.keep("delete", self.wrk.run("delete", server.port, TOKENS, headers=self.management(),
                                             walk=("DELETE", delete_file, False), watch=watch, probe=None),
                  pool=len(delete_ids))
            time.sleep(2.0)
            after, after_anon = vm_rss(server.pid), vm_rss(server.pid, "RssAnon")
            main_runs = {key: run for key, run in self.results["runs"].items() if not re.match(r"s\d+_", key)}
            under_load = {key: run["rss_max"].get("server", 0) for key, run in main_runs.items()}
            anon_under_load = {key: run["anon_max"].get("server", 0) for key, run in main_runs.items()}
            self.results["figures"]["memory"] = {"idle_bytes": idle, "idle_anon_bytes": idle_anon,
                                                 "after_load_idle_bytes": after, "after_load_idle_anon_bytes": after_anon,
                                                 "max_under_load_bytes": max(under_load.values()),
                                                 "max_under_load_run": max(under_load, key=under_load.get),
                                                 "max_under_load_anon_bytes": max(anon_under_load.values()),
                                                 "under_load_bytes": under_load}
            log(f"  VmRSS idle {idle / 2**20:.1f} MiB, max under load {max(under_load.values()) / 2**20:.1f} MiB "
                f"(private {max(anon_under_load.values()) / 2**20:.1f} MiB), idle after load {after / 2**20:.1f} MiB")
        finally:
            server.stop()

    def gateway_phase(self, data: Path) -> None:
        log("== gateway -> tokend region versus tokend region directly")
        region = Tokend(self.binary, ["region", "--region", REGION, "--data-dir", str(data)], "region", self.out)
        region.ready()
        regions_dir = self.work / "gateway-regions"
        regions_dir.mkdir()
        (regions_dir / f"{REGION}.json").write_text(json.dumps({"name": REGION, "location": f"http://127.0.0.1:{region.port}"}))
        gateway = Tokend(self.binary, ["gateway", "--regions", str(regions_dir), "--data-dir", str(self.work / "gateway-data")],
                         "gateway", self.out)
        try:
            gateway.ready()
            secret = self.verify_secret
            verify = [f"Authorization: Bearer {secret}", f"X-Scope-OrgID: {VERIFY_PROJECT}", "X-Tokend-Operation: metrics.push"]
            get_file = self.work / f"get-{self.config.scales[-1]}.txt"
            first_path = get_file.read_text().split("\n", 1)[0]
            for port in (region.port, gateway.port):
                status, body = Client(port).request("GET", first_path, {AUTH[0]: AUTH[1]})
                if status != 200:
                    raise BenchError(f"gateway probe GET {first_path} on {port} -> {status}: {body[:200]!r}")
            watch = {"region": region.pid, "gateway": gateway.pid}
            # Warm up (not reported): the fresh region's caches and the gateway's connections.
            self.wrk.run("get through the gateway (warm-up, not reported)", gateway.port, TOKENS, duration=2,
                         headers=self.management(), walk=("GET", get_file, True), watch=watch)
            self.wrk.runs.pop()
            self.keep("gw_ping_region", self.wrk.run("ping region (ceiling)", region.port, "/_tokend/ping", watch=watch))
            for connections, suffix, duration in ((self.config.connections, "", None),
                                                  (1, "_1c", self.config.one_connection_duration)):
                for op in ("get", "verify"):
                    for via, port in (("direct", region.port), ("gateway", gateway.port)):
                        if op == "get":
                            run = self.wrk.run(f"{op} {via} c{connections}", port, TOKENS, connections=connections,
                                               duration=duration, headers=self.management(),
                                               walk=("GET", get_file, True), watch=watch)
                        else:
                            run = self.wrk.run(f"{op} {via} c{connections}", port, "/_tokend/verify",
                                               connections=connections, duration=duration, headers=verify, watch=watch)
                        self.keep(f"gw_{op}_{via}{suffix}", run)
        finally:
            gateway.stop()
            region.stop()

    def moto_phase(self) -> None:
        log("== moto (IAM) in server mode")
        port = free_port()
        log_path = self.out / "moto.log"
        process = PROCESSES.start("moto", [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], log_path)
        try:
            wait_until_answering(port, process, log_path, 60.0, "/moto-api/")
            duration = self.config.duration
            form = lambda action, user, extra="": f"/\tAction={action}&UserName={user}{extra}&Version=2010-05-08"
            headers = [f"Authorization: {AWS_AUTH}", "Content-Type: application/x-www-form-urlencoded"]
            watch = {"moto": process.pid}

            def captured(prefix: str) -> list[list[str]]:
                rows = []
                for capture in sorted(self.work.glob(f"{prefix}.*")):
                    rows += [line.split() for line in capture.read_text().splitlines() if line.strip()]
                return rows

            # moto enforces IAM's quota of two keys per user, so CreateAccessKey walks users two
            # requests each. Users are made the same way, by wrk for 1.2 × the duration (moto is
            # the bottleneck, at much the same rate for both calls): enough for the measured
            # run (half a user per key) and for a shorter, unmeasured one making more keys for
            # DeleteAccessKey. The users and keys that exist are those the answers name.
            # moto sets its IAM backend up on the first IAM call (seconds): not in any run.
            status, payload = Client(port, timeout=120).request(
                "POST", "/", {"Authorization": AWS_AUTH, "Content-Type": "application/x-www-form-urlencoded"},
                "Action=CreateUser&UserName=bench-warm-up&Version=2010-05-08")
            if status != 200:
                raise BenchError(f"moto CreateUser -> {status}: {payload[:300]!r}")
            candidates = write_lines(self.work / "moto-users.txt",
                                     [form("CreateUser", f"bench-u-{i}") for i in range(5000 * duration)])
            self.wrk.run("moto CreateUser (setup, not reported)", port, "/", connections=self.config.create_connections,
                         duration=max(1, round(duration * 1.2)), headers=headers, walk=("POST", candidates, False),
                         watch=watch, probe=None, env={"WALK_CAPTURE": str(self.work / "moto-users-made")})
            self.wrk.runs.pop()
            users = sorted({user for user, _ in captured("moto-users-made")})
            self.results["moto_users"] = len(users)
            log(f"  {len(users):,} IAM users")
            captures = self.work / "moto-keys"

            create_file = write_lines(self.work / "moto-create.txt", [form("CreateAccessKey", u) for u in users for _ in (0, 1)])
            run = self.wrk.run("moto CreateAccessKey", port, "/", connections=self.config.create_connections,
                               headers=headers, walk=("POST", create_file, False), watch=watch, probe=None,
                               env={"WALK_CAPTURE": str(captures) + "-a"})
            self.keep("moto_create", run)
            # More keys for DeleteAccessKey (not measured): the users the run did not reach.
            used = {user for user, _ in captured("moto-keys-a")}
            spare = [u for u in users if u not in used]
            if spare:
                topup = write_lines(self.work / "moto-create-more.txt", [form("CreateAccessKey", u) for u in spare for _ in (0, 1)])
                self.wrk.run("moto CreateAccessKey (keys for delete, not reported)", port, "/",
                             connections=self.config.create_connections, duration=max(1, int(duration * 0.75)),
                             headers=headers, walk=("POST", topup, False), watch=watch, probe=None,
                             env={"WALK_CAPTURE": str(captures) + "-b"})
                self.wrk.runs.pop()
            keys = captured("moto-keys-a") + captured("moto-keys-b")
            users_with_keys = sorted({user for user, _ in keys})
            list_file = write_lines(self.work / "moto-list.txt", [form("ListAccessKeys", u) for u in users_with_keys])
            self.keep("moto_list", self.wrk.run("moto ListAccessKeys", port, "/", headers=headers,
                                                walk=("POST", list_file, True), watch=watch))
            random.Random(13).shuffle(keys)
            delete_file = write_lines(self.work / "moto-delete.txt",
                                      [form("DeleteAccessKey", user, f"&AccessKeyId={key}") for user, key in keys])
            self.keep("moto_delete", self.wrk.run("moto DeleteAccessKey", port, "/", headers=headers, probe=None,
                                                  walk=("POST", delete_file, False), watch=watch), pool=len(keys))
        finally:
            PROCESSES.stop(process)


# ---------------------------------------------------------------- report


def ms(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f} ms"
    if value >= 10:
        return f"{value:.1f} ms"
    return f"{value:.2f} ms"


def rate(value: float) -> str:
    return f"{value:,.0f}"


def mib(value: float) -> str:
    return f"{value / 2**20:,.1f} MiB"


def ratio_text(value: float) -> str:
    return f"{value:,.0f}×" if value >= 10 else f"{value:.1f}×"


def count(value: int) -> str:
    if value >= 1_000_000 and value % 1_000_000 == 0:
        return f"{value // 1_000_000}M"
    if value >= 1000 and value % 1000 == 0:
        return f"{value // 1000}k"
    return f"{value:,}"


def report(bench: Bench) -> tuple[str, list[dict]]:
    config = bench.config
    runs = bench.results["runs"]
    scales = config.scales
    largest = scales[-1]
    small = scales[0]
    ceiling = runs["ping"]["rps"]
    gw_ceiling = runs["gw_ping_region"]["rps"]

    def cores(run: dict) -> str:
        text = " + ".join(f"{k} {v:.2f}" for k, v in run["cpu"].items())
        return text + (f" (iowait {run['iowait']:.2f})" if run.get("iowait", 0) >= 0.05 else "")

    lines = ["| operation | store | conns | req/s | p50 | p99 | × ceiling | CPU cores used | notes |",
             "|---|---|---:|---:|---:|---:|---:|---|---|"]

    def row(label: str, key: str, store: str, ceiling_rps: float | None, note: str = "") -> None:
        run = runs[key]
        notes = ([note] if note else []) + run.get("notes", [])
        if run["errors"]:
            notes.append("**ERRORS: " + "; ".join(run["errors"]) + "**")
        # No ratio to the ceiling for the 1-connection runs: the ceiling is taken under load.
        versus = f"{run['rps'] / ceiling_rps:.2f}" if ceiling_rps and run["connections"] > 1 else "–"
        lines.append(f"| {label} | {store} | {run['connections']} | {rate(run['rps'])} | {ms(run['p50_ms'])} | "
                     f"{ms(run['p99_ms'])} | {versus} | {cores(run)} | {'; '.join(notes)} |")

    big = bench.results.get("big_project_tokens", BIG_PROJECT_TOKENS)
    L = count(largest)
    row("`GET /_tokend/ping` (the ceiling)", "ping", L, ceiling)
    row("verify, valid token (hot)", "verify", L, ceiling)
    row("verify, bad checksum (401)", "verify_bad", L, ceiling, "all answers 401, as expected" if not runs["verify_bad"]["errors"] else "")
    row("get (random ids)", "get", L, ceiling)
    row(f"create ({config.create_connections} clients)", "create", L, ceiling)
    delete = runs["delete"]
    row("delete (each id once)", "delete", L, ceiling, f"{delete.get('pool', 0):,} ids listed")
    info = bench.results["scales"][largest]
    per_project = info["fill_calls"][-1][0] / info["projects"]
    row(f"list one project (~{per_project:,.0f} tokens), page 1 (size 100)", "list_project", L, ceiling)
    row(f"list one project (~{per_project:,.0f} tokens), page 1 (size 100)", "list_project_1c", L, ceiling)
    row("list a project of 2 tokens", "list_pair", L, ceiling, "the like-for-like of moto's ListAccessKeys")
    row(f"list project of {big:,}, page 1 (size 100)", "list_big_p1", L, ceiling)
    row(f"list project of {big:,}, page 50 (size 100)", "list_big_p50", L, ceiling)
    row(f"list project of {big:,}, page 50 (size 100)", "list_big_p50_1c", L, ceiling)
    for order in ORDERS:
        row(f"list unfiltered + total_count, p1, `{order}`", f"list_all_{order}", L, ceiling)
    for order in ORDERS:
        row(f"list unfiltered + total_count, p1, `{order}`", f"list_all_{order}_1c", L, ceiling)
    for tokens in scales[:-1]:
        S = count(tokens)
        row("get (random ids)", f"s{tokens}_get", S, ceiling, "ceiling: the main server's")
        row("list one project (1,000 tokens), page 1 (size 100)", f"s{tokens}_list_project", S, ceiling,
            "ceiling: the main server's")
        row(f"list unfiltered + total_count, p1, `{ORDERS[0]}`", f"s{tokens}_list_all_{ORDERS[0]}", S, ceiling,
            "ceiling: the main server's")
    row("`tokend region`: ping (gateway-phase ceiling)", "gw_ping_region", L, gw_ceiling)
    for op in ("get", "verify"):
        for suffix in ("", "_1c"):
            direct, via = runs[f"gw_{op}_direct{suffix}"], runs[f"gw_{op}_gateway{suffix}"]
            row(f"{op}, `tokend region` direct", f"gw_{op}_direct{suffix}", L, gw_ceiling)
            row(f"{op}, through `tokend gateway`", f"gw_{op}_gateway{suffix}", L, gw_ceiling,
                f"{via['rps'] / direct['rps']:.2f}× direct req/s, p50 {via['p50_ms'] - direct['p50_ms']:+.2f} ms")
    for key, label, ours in (("moto_create", "moto CreateAccessKey", "create"),
                             ("moto_list", "moto ListAccessKeys (user with 2 keys)", "list_pair"),
                             ("moto_delete", "moto DeleteAccessKey", "delete")):
        run = runs[key]
        row(label, key, "–", None, f"tokend {ours}: **{ratio_text(runs[ours]['rps'] / run['rps'])}** moto"
            + (f"; {run.get('pool', 0):,} keys" if key == "moto_delete" else ""))
    table = "\n".join(lines)

    figures = bench.results["figures"]
    first = figures["first_answer"]
    memory = figures["memory"]
    size_lines = []
    for tokens in scales:
        info = bench.results["scales"][tokens]
        settled = info["bytes_checkpointed"]["total"]
        as_filled = info["bytes_as_filled"]["total"]
        size_lines.append(f"| store of {count(tokens)} tokens | {settled / 1e6:,.0f} MB checkpointed "
                          f"({settled / tokens:,.0f} B/token, **{settled / tokens:,.0f} MB per million**); "
                          f"{as_filled / 1e6:,.0f} MB with the WAL as `fill` left it | "
                          + (f"filled in {info['fill_seconds']:.0f} s ({tokens / info['fill_seconds']:,.0f} tokens/s)"
                             if not info.get("from_cache") else "fill reused from --fill-cache") + " |")
    figure_lines = [
        "| figure | value | how |", "|---|---|---|",
        f"| first answer after start, store of {count(largest)} | **{ms(first['get']['median_ms'])}** (GET token; "
        f"{', '.join(f'{s:.0f}' for s in first['get']['samples_ms'])}); ping {ms(first['ping']['median_ms'])} | "
        "from spawning `tokend serve` to the first 200, polling every 2 ms; median of 3 starts |",
        f"| resident memory, idle | **{mib(memory['idle_bytes'])}** (private {mib(memory['idle_anon_bytes'])}) | "
        f"VmRSS (RssAnon) 1 s after the first answer, store of {count(largest)} |",
        f"| resident memory, under load | {mib(memory['max_under_load_bytes'])} (during {memory['max_under_load_run']}); "
        f"private at most {mib(memory['max_under_load_anon_bytes'])} | max VmRSS and RssAnon sampled every 100 ms during "
        "the main server's runs; the rest is store pages the read connections map, shared with the OS page cache |",
        f"| resident memory, idle after the load | {mib(memory['after_load_idle_bytes'])} "
        f"(private {mib(memory['after_load_idle_anon_bytes'])}) | VmRSS (RssAnon) 2 s after the last run |",
        f"| disk: write 4 KiB + fsync | {figures['fsync_ms']:.2f} ms | median of 200, in the stores' folder: the least one durable commit waits |",
        *size_lines,
    ]

    targets: list[dict] = []

    def target(name: str, met: bool, numbers: str) -> None:
        targets.append({"target": name, "met": met, "numbers": numbers})

    verify, get = runs["verify"], runs["get"]
    target("verify ≥ 0.6× ceiling req/s and p99 < 5 ms",
           verify["rps"] >= 0.6 * ceiling and verify["p99_ms"] < 5 and not verify["errors"],
           f"{verify['rps'] / ceiling:.3f}× ceiling ({rate(verify['rps'])} / {rate(ceiling)} req/s), p99 {ms(verify['p99_ms'])}")
    target("get ≥ 0.5× ceiling req/s", get["rps"] >= 0.5 * ceiling and not get["errors"],
           f"{get['rps'] / ceiling:.3f}× ceiling ({rate(get['rps'])} / {rate(ceiling)} req/s)")
    create = runs["create"]
    target(f"create ≥ 5,000/s with {config.create_connections} clients", create["rps"] >= 5000 and not create["errors"],
           f"{rate(create['rps'])}/s")
    lp = runs["list_project"]
    target(f"list one project's page of 100 among {count(largest)} tokens: p50 < 3 ms", lp["p50_ms"] < 3 and not lp["errors"],
           f"p50 {ms(lp['p50_ms'])} ({rate(lp['rps'])} req/s); with 1 connection: p50 {ms(runs['list_project_1c']['p50_ms'])}")
    worst = max(ORDERS, key=lambda o: runs[f"list_all_{o}"]["p50_ms"])
    target("unfiltered page 1 with total_count: p50 < 20 ms (every order_by)",
           all(runs[f"list_all_{o}"]["p50_ms"] < 20 and not runs[f"list_all_{o}"]["errors"] for o in ORDERS),
           ", ".join(f"{o} {ms(runs[f'list_all_{o}']['p50_ms'])}" for o in ORDERS) + f" (worst: {worst}); with 1 connection: "
           + ", ".join(f"{o} {ms(runs[f'list_all_{o}_1c']['p50_ms'])}" for o in ORDERS))
    for key, label in (("get", "get"), ("list_project", "list one project p1"),
                       (f"list_all_{ORDERS[0]}", "list unfiltered p1")):
        at_large, at_small = runs[key], runs[f"s{small}_{key}"]
        cost_ratio = at_small["rps"] / at_large["rps"]
        target(f"{label} at {count(largest)} costs ≤ 2× its cost at {count(small)}", cost_ratio <= 2,
               f"{cost_ratio:.2f}× (req/s {rate(at_small['rps'])} → {rate(at_large['rps'])}; "
               f"p50 {ms(at_small['p50_ms'])} → {ms(at_large['p50_ms'])})")
    for op in ("get", "verify"):
        direct, via = runs[f"gw_{op}_direct"], runs[f"gw_{op}_gateway"]
        d1, v1 = runs[f"gw_{op}_direct_1c"], runs[f"gw_{op}_gateway_1c"]
        added = via["p50_ms"] - direct["p50_ms"]
        target(f"{op} through the gateway ≥ 0.5× direct req/s and < 0.5 ms added at p50 ({config.connections} conns)",
               via["rps"] >= 0.5 * direct["rps"] and added < 0.5 and not via["errors"],
               f"{via['rps'] / direct['rps']:.3f}× ({rate(via['rps'])} / {rate(direct['rps'])} req/s), "
               f"p50 {added:+.2f} ms ({ms(direct['p50_ms'])} → {ms(via['p50_ms'])}); "
               f"with 1 connection: p50 {v1['p50_ms'] - d1['p50_ms']:+.2f} ms")
    target(f"first answer within 300 ms of start, store of {count(largest)}", first["get"]["median_ms"] < 300,
           f"{ms(first['get']['median_ms'])} (GET token), {ms(first['ping']['median_ms'])} (ping)")
    target("idle memory < 100 MB", memory["idle_bytes"] < 100e6,
           f"{memory['idle_bytes'] / 1e6:.1f} MB VmRSS")
    for ours, theirs, label in (("create", "moto_create", "create vs CreateAccessKey"),
                                ("list_pair", "moto_list", "list of 2 tokens vs ListAccessKeys of 2 keys"),
                                ("delete", "moto_delete", "delete vs DeleteAccessKey")):
        ratio = runs[ours]["rps"] / runs[theirs]["rps"]
        target(f"≥ 50× moto: {label}", ratio >= 50 and not runs[ours]["errors"] and not runs[theirs]["errors"],
               f"{ratio_text(ratio)} ({rate(runs[ours]['rps'])} / {rate(runs[theirs]['rps'])} req/s)")

    target_lines = ["| target | result | numbers |", "|---|---|---|"]
    for t in targets:
        target_lines.append(f"| {t['target']} | {'met' if t['met'] else '**MISSED**'} | {t['numbers']} |")
    scope = (f"quick mode: stores of {', '.join(count(s) for s in scales)} tokens (not 1M), {config.duration:g} s per case"
             if config.quick else f"stores of {', '.join(count(s) for s in scales)} tokens, {config.duration:g} s per case")
    header = (f"tokend benchmark, {time.strftime('%Y-%m-%d %H:%M %Z')}: {scope} "
              f"({config.one_connection_duration} s for the 1-connection runs); wrk -t{config.threads}, "
              f"{config.connections} connections unless the conns column says otherwise; "
              f"{bench.results['machine']}; tokend {bench.results['source']}")
    text = "\n".join([header, "", table, "", "\n".join(figure_lines), "", "\n".join(target_lines)])
    return text, targets


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", type=Path, default=REPO / ".build-release" / "release" / "tokend")
    parser.add_argument("--quick", action="store_true", help="stores of 10k and 100k tokens, 3 s per case (< 3 minutes)")
    parser.add_argument("--out", type=Path, help="where results.md, results.json and logs go (default: a new /tmp folder)")
    parser.add_argument("--duration", type=int, help="seconds per wrk run (default 10, quick 3)")
    parser.add_argument("--scales", help="comma-separated store sizes, the last one the main store (default 10000,1000000)")
    parser.add_argument("--fill-cache", type=Path, help="keep filled stores here and reuse them in later runs (development)")
    parser.add_argument("--keep-work", action="store_true", help="do not delete the stores and request lists")
    args = parser.parse_args()

    quick = args.quick
    duration = args.duration or (3 if quick else 10)
    scales = [int(s) for s in args.scales.split(",")] if args.scales else ([10_000, 100_000] if quick else [10_000, 1_000_000])
    if len(scales) < 2 or scales != sorted(scales) or scales[-1] < 2 * BIG_PROJECT_TOKENS:
        parser.error("--scales needs at least two increasing sizes, the last at least 20000")
    config = Config(quick=quick, duration=duration, scales=scales, one_connection_duration=1 if quick else max(1, duration // 2))
    if not args.binary.exists():
        parser.error(f"no tokend binary at {args.binary}")
    if shutil.which("wrk") is None:
        parser.error("wrk is not installed")
    out = args.out or Path(tempfile.gettempdir()) / f"tokend-bench-{time.strftime('%Y%m%d-%H%M%S')}"
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="tokend-bench-work-"))

    def on_signal(signum, _frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    limit = 600 if quick else 1800
    alarm_hit = False

    def on_alarm(_signum, _frame):
        nonlocal alarm_hit
        alarm_hit = True
        raise BenchError(f"the benchmark ran over its {limit} s limit")

    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(limit)
    bench = Bench(config, args.binary.resolve(), out, work, args.fill_cache)
    bench.results["machine"] = machine()
    bench.results["binary"] = str(args.binary.resolve())
    bench.results["source"] = source_version()
    log(f"results and logs in {out}; stores in {work}")
    try:
        bench.run()
        signal.alarm(0)
        text, targets = report(bench)
        bench.results["targets"] = targets
        (out / "results.md").write_text(text + "\n")
        (out / "results.json").write_text(json.dumps(bench.results, indent=1, default=str) + "\n")
        print(text)
        print(f"\n(results.md, results.json and logs in {out}; {bench.results['seconds']:.0f} s)")
        return 0
    except (BenchError, subprocess.SubprocessError, OSError) as error:
        (out / "results.json").write_text(json.dumps(bench.results, indent=1, default=str) + "\n")
        print(f"bench failed: {error}\n(partial results and logs in {out})", file=sys.stderr)
        return 1
    finally:
        signal.alarm(0)
        PROCESSES.stop_all()
        if not args.keep_work:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
