"""The benchmark's cases, phase by phase (Bench.run): growth (get and lists on the smaller
stores), store size and fsync, startup (first answer), the main server (ping ceiling, verify,
get, lists, creates, deletes, memory), the gateway and nginx against a region directly, an ephemeral
server (`serve --ephemeral`: first answer, snapshot restore of 10,000 tokens, create, list of
2, delete), and moto's IAM server as the peer; with --postgresql, then the PostgreSQL phases
(benchmark.postgresql); with --gateway-only, the gateway phase alone on the smallest store.
Every server is started through the process harness (scripts/harness)."""

from __future__ import annotations

import json
import random
import re
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from harness.nginx import Balancer, nginx_binary, nginx_version
from harness.ports import free_port
from harness.processes import ManagedProcess
from harness.readiness import wait_until_answering
from harness.tokend import Gateway, RegionServer, ServeProcess, TokendProcess

from .common import (AUTH, AWS_AUTH, CREATE_PROJECT, ORDERS, PAIR_PROJECT, RATIO_ROUNDS, REGION, RESTORE_PROJECT,
                     RESTORE_TOKENS, TOKENS, TOKENS_PER_PROJECT, VERIFY_PROJECT, BenchError, Client, list_ids,
                     list_all_ids, log, project_id, write_lines)
from .measure import ProcessTree, fsync_ms, vm_rss
from .postgresql import PostgresPhases
from .report import rate
from .stores import fill_store
from .wrk import Run, Wrk

READY_TIMEOUT_S = 120.0       # a release server on a store of 1,000,000 tokens answers within a second
SERVER_STOP_TIMEOUT_S = 10.0  # SIGTERM, then SIGKILL
RESTORE_ROUNDS = 7            # timed restores of the 10,000-token snapshot: median, min, max
METRICS_ROUNDS = 5            # alternating rounds of the servers with and without /metrics
GATEWAY_NGINX_WORKERS = 1     # nginx beside the gateway: one worker, as the gateway is one process
GATEWAY_NGINX_KEEPALIVE = 64  # idle upstream connections nginx keeps to the region
GATEWAY_VIAS = ("direct", "nginx", "gateway")  # how the gateway phase reaches the region, in turn


class EphemeralServe(ServeProcess):
    """`tokend serve --ephemeral`: every store in memory, open mode. The harness's command
    always names a data dir, which tokend refuses beside --ephemeral: it is taken out (the
    empty folder the harness made for it stays unused)."""

    label = "serve-ephemeral"
    has_store = False  # in memory: never --store, even under TOKEND_TEST_POSTGRESQL

    def __init__(self, *args, extra: list[str] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.extra = list(extra)

    def command(self) -> list[str]:
        argv = super().command()
        at = argv.index("--data-dir")
        return [*argv[:at], *argv[at + 2:], "--ephemeral", *self.extra]


@dataclass
class Config:
    quick: bool
    duration: int
    scales: list[int]
    one_connection_duration: int
    threads: int = 2
    connections: int = 64
    create_connections: int = 32
    postgresql: bool = False        # the PostgreSQL phases too (benchmark.postgresql), after the others
    postgresql_only: bool = False   # the PostgreSQL phases alone (development)
    gateway_only: bool = False      # the gateway phase alone, on the smallest store (development)


class Bench(PostgresPhases):
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

    def server_options(self, name: str) -> dict:
        """How every tokend of the benchmark runs: the release binary, `--log-level error`,
        its log in --out, its throwaway files in the work folder."""
        return {"log_path": self.out / f"{name}.log", "binary": self.binary, "log_level": "error",
                "start_timeout": READY_TIMEOUT_S, "stop_timeout": SERVER_STOP_TIMEOUT_S}

    def serve(self, data: Path, name: str) -> ServeProcess:
        """`tokend serve` on the store in `data`, every region of regions/ (not started yet;
        `with` starts it and stops it afterwards)."""
        return ServeProcess(self.work, name, data_dir=data, **self.server_options(name))

    # -- phases

    def run(self) -> None:
        started = time.monotonic()
        if self.config.postgresql_only:
            self.postgresql_phase()
            self.results["seconds"] = time.monotonic() - started
            return
        if self.config.gateway_only:
            self.gateway_only()
            self.results["seconds"] = time.monotonic() - started
            return
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
        self.gateway_phase(data, largest)
        self.metrics_phase()
        self.ephemeral_phase()
        self.moto_phase()
        if self.config.postgresql:
            self.postgresql_phase()
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

    def read_runs(self, server: TokendProcess, tokens: int, projects: int, prefix: str, ids: list[str], get: bool = True) -> None:
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
        with self.serve(data, f"serve-{tokens}") as server:
            ids = self.sample_ids(Client(server.port), info["projects"], 20_000, 1, max(1, info["projects"] - 1))
            self.read_runs(server, tokens, info["projects"], f"s{tokens}_", ids)

    def first_answer(self, data: Path, tokens: int) -> None:
        """Time from starting `tokend serve` on a filled store to its first answer (3 restarts each)."""
        log(f"== first answer after start, store of {tokens:,} tokens")
        with self.serve(data, "serve-probe") as server:
            token_id = list_ids(Client(server.port), project_id(1), 1)[0]
        figures = {}
        for label, path, headers in (("get", f"{TOKENS}/{token_id}", {AUTH[0]: AUTH[1]}),
                                     ("ping", "/_tokend/ping", {})):
            figures[label] = self.time_first_answer(lambda attempt: self.serve(data, f"serve-start-{label}-{attempt}"),
                                                    path, headers)
            log(f"  first {label} answer: {', '.join(f'{s:.0f}' for s in figures[label]['samples_ms'])} ms")
        self.results["figures"]["first_answer"] = figures

    def time_first_answer(self, make, path: str, headers: dict, starts: int = 3) -> dict:
        """Starts `make(attempt)` `starts` times: from spawning it to its first 200 on `path`,
        polling every 2 ms; the samples and their median, in ms."""
        samples = []
        for attempt in range(starts):
            server = make(attempt)
            try:
                server.spawn()
                wait_until_answering(server.url + path, process=server, timeout=60.0, interval=0.002,
                                     headers=headers, request_timeout=5.0)
                samples.append((time.monotonic() - server.started_at) * 1000)
            finally:
                server.stop()
        return {"samples_ms": samples, "median_ms": sorted(samples)[len(samples) // 2]}

    def main_phase(self, data: Path, tokens: int) -> None:
        info = self.results["scales"][tokens]
        projects = info["projects"]
        log(f"== tokend serve on the store of {tokens:,} tokens")
        with self.serve(data, "serve-main") as server:
            watch = {"server": server.pid}
            client = Client(server.port)
            time.sleep(1.0)
            idle, idle_anon = vm_rss(server.pid), vm_rss(server.pid, "RssAnon")
            token = client.json("POST", TOKENS, {"project_id": VERIFY_PROJECT, "name": "bench-verify",
                                                        "token_scopes": ["write_only_metrics"]})
            secret = token["secret_key"]
            self.verify_secret = secret  # kept out of results.json and the logs
            bad = secret[:-1] + ("A" if secret[-1] != "A" else "B")
            verify = lambda s: [f"Authorization: Bearer {s}", f"X-Scope-OrgID: {VERIFY_PROJECT}",
                                "X-Tokend-Operation: metrics.push"]
            for presented, expect in ((secret, 200), (bad, 401)):
                status, body = client.request("GET", "/_tokend/verify", dict(h.split(": ", 1) for h in verify(presented)))
                if status != expect:
                    raise BenchError(f"verify probe -> {status}, expected {expect}: {body[:200]!r}")
            # Reads use projects 1..half; deletes take their ids from the other half.
            half = max(2, projects // 2)
            ids = self.sample_ids(client, projects, 20_000, 1, half)
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
                client.json("POST", TOKENS, {"project_id": PAIR_PROJECT, "name": name, "token_scopes": ["read_only_logs"]})
            self.keep("list_pair", self.wrk.run("list a project of 2 tokens", server.port,
                                                f"{TOKENS}?project_id={PAIR_PROJECT}", headers=self.management(), watch=watch))
            big = project_id(0)
            total = client.json("GET", f"{TOKENS}?project_id={big}&page=1&page_size=1")["total_count"]
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
                delete_ids += list_ids(client, project_id(index))
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

    def gateway_only(self) -> None:
        """--gateway-only: the least that makes the gateway phase's rows mean something, for
        measuring the relay in about a minute: the smallest store (projects of 1,000 tokens,
        no big project: the phase reads single tokens only), then the phase on it."""
        tokens = self.config.scales[0]
        data = self.work / f"store-{tokens}"
        self.results["scales"][tokens] = fill_store(self.binary, data, tokens, False, self.out, self.cache)
        self.gateway_phase(data, tokens)

    def gateway_inputs(self, region: RegionServer, tokens: int) -> tuple[str, Path]:
        """The gateway phase's verify secret and get walk: the main phase's (its token is in
        this store, its walk over it), or with --gateway-only, made here on the region alike:
        a token in VERIFY_PROJECT, and ids from every project but the first, shuffled."""
        get_file = self.work / f"get-{tokens}.txt"
        if not self.config.gateway_only:
            return self.verify_secret, get_file
        client = Client(region.port)
        token = client.json("POST", TOKENS, {"project_id": VERIFY_PROJECT, "name": "bench-verify",
                                             "token_scopes": ["write_only_metrics"]})
        projects = self.results["scales"][tokens]["projects"]
        ids = self.sample_ids(client, projects, 20_000, 1, max(1, projects - 1))
        self.results["get_ids"] = len(ids)
        return token["secret_key"], write_lines(get_file, [f"{TOKENS}/{i}" for i in ids])

    def gateway_phase(self, data: Path, tokens: int) -> None:
        """One `tokend region` on the store, answering directly, through nginx (Balancer: one
        worker, an upstream with keepalive connections, as a reverse proxy is commonly run)
        and through `tokend gateway`: get and verify at 64 connections and at 1, the three in
        turn for each, so a slow moment of the machine hits one of them at most. nginx is the
        bar for the gateway's relay: what a mature proxy costs on the same cores."""
        log("== gateway and nginx -> tokend region versus tokend region directly")
        binary = nginx_binary()
        self.results["gateway"] = {"tokens": tokens, "nginx": nginx_version(binary),
                                   "nginx_workers": GATEWAY_NGINX_WORKERS, "nginx_keepalive": GATEWAY_NGINX_KEEPALIVE}
        # The gateway over <work>/gateway-regions, with tokend's default timeouts; its data in <work>/gateway-data.
        with RegionServer(self.work, REGION, data_dir=data, **self.server_options("region")) as region, \
                Gateway(self.work, {REGION: region.url}, connect_timeout_ms=None, read_timeout_ms=None,
                        **self.server_options("gateway")) as gateway, \
                Balancer(binary, [region.port], "nginx-gateway-phase", self.out, workers=GATEWAY_NGINX_WORKERS,
                         keepalive=GATEWAY_NGINX_KEEPALIVE) as nginx:
            secret, get_file = self.gateway_inputs(region, tokens)
            verify = [f"Authorization: Bearer {secret}", f"X-Scope-OrgID: {VERIFY_PROJECT}", "X-Tokend-Operation: metrics.push"]
            ports = {"direct": region.port, "nginx": nginx.port, "gateway": gateway.port}
            first_path = get_file.read_text().split("\n", 1)[0]
            for port in ports.values():
                status, body = Client(port).request("GET", first_path, {AUTH[0]: AUTH[1]})
                if status != 200:
                    raise BenchError(f"gateway probe GET {first_path} on {port} -> {status}: {body[:200]!r}")
            # nginx's master and its worker: the CPU column shows the cores nginx used.
            watch = {"region": region.pid, "gateway": gateway.pid, "nginx": ProcessTree(nginx.pid)}
            # Warm up (not reported): the fresh region's caches, the gateway's and nginx's connections.
            for via in ("gateway", "nginx"):
                self.wrk.run(f"get through {via} (warm-up, not reported)", ports[via], TOKENS, duration=2,
                             headers=self.management(), walk=("GET", get_file, True), watch=watch)
                self.wrk.runs.pop()
            self.keep("gw_ping_region", self.wrk.run("ping region (ceiling)", region.port, "/_tokend/ping", watch=watch))
            for connections, suffix, duration in ((self.config.connections, "", None),
                                                  (1, "_1c", self.config.one_connection_duration)):
                for op in ("get", "verify"):
                    for via in GATEWAY_VIAS:
                        if op == "get":
                            run = self.wrk.run(f"{op} {via} c{connections}", ports[via], TOKENS, connections=connections,
                                               duration=duration, headers=self.management(),
                                               walk=("GET", get_file, True), watch=watch)
                        else:
                            run = self.wrk.run(f"{op} {via} c{connections}", ports[via], "/_tokend/verify",
                                               connections=connections, duration=duration, headers=verify, watch=watch)
                        self.keep(f"gw_{op}_{via}{suffix}", run)

    def ephemeral(self, name: str, extra: list[str] = ()) -> EphemeralServe:
        """`tokend serve --ephemeral` (not started yet), every region of regions/ in memory."""
        return EphemeralServe(self.work, name, extra=extra, **self.server_options(name))

    def metrics_phase(self) -> None:
        """What /metrics costs verify: two ephemeral servers, one with metrics (the default)
        and one `--no-metrics`, each measured for its ping ceiling and a hot verify, in
        alternating rounds. Both log requests and route the same; only the recording differs."""
        log("== metrics: verify with and without /metrics, side by side")
        with self.ephemeral("serve-metrics-on") as on, self.ephemeral("serve-metrics-off", ["--no-metrics"]) as off:
            verify = {}
            for server in (on, off):
                client = Client(server.port)
                token = client.json("POST", TOKENS, {"project_id": VERIFY_PROJECT, "name": "bench-metrics",
                                                     "token_scopes": ["write_only_metrics"]})
                verify[server] = [f"Authorization: Bearer {token['secret_key']}", f"X-Scope-OrgID: {VERIFY_PROJECT}",
                                  "X-Tokend-Operation: metrics.push"]
            status, _ = Client(off.port).request("GET", "/metrics", {})
            if status != 404:
                raise BenchError(f"--no-metrics server answered /metrics with {status}")
            rounds: dict[str, list[Run]] = {key: [] for key in ("met_on_ping", "met_on_verify", "met_off_ping", "met_off_verify")}
            for index in range(1, METRICS_ROUNDS + 1):
                for name, server in (("on", on), ("off", off)):
                    watch = {"server": server.pid}
                    rounds[f"met_{name}_ping"].append(self.wrk.run(
                        f"metrics {name}: ping, round {index}", server.port, "/_tokend/ping", watch=watch))
                    rounds[f"met_{name}_verify"].append(self.wrk.run(
                        f"metrics {name}: verify, round {index}", server.port, "/_tokend/verify", headers=verify[server],
                        watch=watch))
            for key, runs in rounds.items():
                self.keep_median(key, runs)
            # Server CPU per request, the least of the rounds: another process on the machine can
            # only add to it (cache misses, a slower core), so the least is the closest to the cost.
            self.results["figures"]["metrics_cpu_us"] = {
                key: min(run.cpu.get("server", 0) * 1e6 / run.rps for run in runs if run.rps) for key, runs in rounds.items()}

    def make_tokens(self, port: int, project: str, count: int, prefix: str, clients: int = 4) -> None:
        """`count` tokens in `project`, POSTed by `clients` keep-alive connections (setup, not measured)."""
        failures: list[BaseException] = []

        def make(first: int) -> None:
            client = Client(port)
            try:
                for i in range(first, count, clients):
                    client.json("POST", TOKENS, {"project_id": project, "name": f"{prefix}-{i}",
                                                 "token_scopes": ["read_only_logs"]})
            except BaseException as error:  # noqa: BLE001 - reported below
                failures.append(error)

        workers = [threading.Thread(target=make, args=(k,), daemon=True) for k in range(clients)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        if failures:
            raise BenchError(f"making {count:,} tokens: {failures[0]}")

    def ephemeral_phase(self) -> None:
        """`tokend serve --ephemeral`: its first answer, the restore of a snapshot of 10,000
        tokens, then create, list of 2 and delete as the main server's cases run them."""
        log("== tokend serve --ephemeral (every store in memory)")
        first = self.time_first_answer(lambda attempt: self.ephemeral(f"serve-eph-start-{attempt}"), "/_tokend/ping", {})
        self.results["figures"]["eph_first_answer"] = first
        log(f"  first ping answer: {', '.join(f'{s:.0f}' for s in first['samples_ms'])} ms")
        with self.ephemeral("serve-eph") as server:
            watch = {"server": server.pid}
            client = Client(server.port, timeout=120)
            # Snapshot restore: a server of exactly 10,000 tokens, saved, then brought back
            # RESTORE_ROUNDS times (each the whole state of every region served).
            started = time.monotonic()
            self.make_tokens(server.port, RESTORE_PROJECT, RESTORE_TOKENS, "bench-restore")
            log(f"  {RESTORE_TOKENS:,} tokens made in {time.monotonic() - started:.1f} s")
            total = client.json("GET", f"{TOKENS}?page=1&page_size=1")["total_count"]
            if total != RESTORE_TOKENS:
                raise BenchError(f"the ephemeral server holds {total:,} tokens, expected {RESTORE_TOKENS:,}")
            snapshot = client.json("POST", "/_tokend/snapshots", {"name": "bench"}, expect=201)
            samples = []
            for _ in range(RESTORE_ROUNDS):
                began = time.perf_counter()
                client.json("POST", "/_tokend/snapshots/bench/restore", {})
                samples.append((time.perf_counter() - began) * 1000)
            total = client.json("GET", f"{TOKENS}?page=1&page_size=1")["total_count"]
            if total != RESTORE_TOKENS:
                raise BenchError(f"after the restores the ephemeral server holds {total:,} tokens, expected {RESTORE_TOKENS:,}")
            ordered = sorted(samples)
            self.results["figures"]["restore_10k_ms"] = {
                "tokens": RESTORE_TOKENS, "samples_ms": samples, "median_ms": ordered[len(ordered) // 2],
                "min_ms": ordered[0], "max_ms": ordered[-1], "snapshot_bytes": snapshot["bytes"],
                "regions": snapshot["regions"]}
            log(f"  restore of {RESTORE_TOKENS:,} tokens ({snapshot['bytes']:,} B snapshot): "
                + ", ".join(f"{s:.1f}" for s in samples) + " ms")

            # The cases, with the main server's wrk settings, on these 10,000 tokens.
            ping = self.keep("eph_ping", self.wrk.run("ephemeral: ping (ceiling)", server.port, "/_tokend/ping", watch=watch))
            for name in ("bench-pair-1", "bench-pair-2"):
                client.json("POST", TOKENS, {"project_id": PAIR_PROJECT, "name": name, "token_scopes": ["read_only_logs"]})
            self.keep("eph_list_pair", self.wrk.run("ephemeral: list a project of 2 tokens", server.port,
                                                    f"{TOKENS}?project_id={PAIR_PROJECT}", headers=self.management(),
                                                    watch=watch))
            body = json.dumps({"project_id": CREATE_PROJECT, "name": "bench-create", "token_scopes": ["write_only_metrics"]})
            create_file = write_lines(self.work / "eph-create.txt", [f"{TOKENS}\t{body}"])
            create_headers = self.management(["Content-Type: application/json"])
            create = self.keep("eph_create", self.wrk.run(
                "ephemeral: create", server.port, TOKENS, connections=self.config.create_connections,
                headers=create_headers, walk=("POST", create_file, True), watch=watch))
            # Delete: the ids the create run made, each once, topped up by unmeasured creates
            # when they are too few for the run at the rate of this server's ping (no delete
            # answers faster), 1.2 × for safety; the top-up is capped at 4 runs' time.
            want = int(1.2 * ping.rps * self.config.duration)
            made = client.json("GET", f"{TOKENS}?project_id={CREATE_PROJECT}&page=1&page_size=1")["total_count"]
            if made < want:
                seconds = min(4 * self.config.duration, max(1, -(-(want - made) // max(1, int(create.rps)))))
                self.wrk.run("ephemeral: create (ids for delete, not reported)", server.port, TOKENS,
                             connections=self.config.create_connections, duration=seconds, headers=create_headers,
                             walk=("POST", create_file, True), watch=watch)
                self.wrk.runs.pop()
            delete_ids = list_all_ids(client, CREATE_PROJECT)
            random.Random(17).shuffle(delete_ids)
            delete_file = write_lines(self.work / "eph-delete.txt", [f"{TOKENS}/{i}" for i in delete_ids])
            self.results["eph_delete_pool"] = len(delete_ids)
            log(f"  {len(delete_ids):,} ids to delete")
            self.keep("eph_delete", self.wrk.run("ephemeral: delete", server.port, TOKENS, headers=self.management(),
                                                 walk=("DELETE", delete_file, False), watch=watch, probe=None),
                      pool=len(delete_ids))

    def moto_phase(self) -> None:
        log("== moto (IAM) in server mode")
        port = free_port()
        with ManagedProcess("moto", self.out / "moto.log", [sys.executable, "-m", "moto.server", "-H", "127.0.0.1",
                            "-p", str(port)], port=port, stop_timeout=SERVER_STOP_TIMEOUT_S) as moto:
            wait_until_answering(f"{moto.url}/moto-api/", process=moto, timeout=60.0, interval=0.002,
                                 request_timeout=5.0)
            duration = self.config.duration
            form = lambda action, user, extra="": f"/\tAction={action}&UserName={user}{extra}&Version=2010-05-08"
            headers = [f"Authorization: {AWS_AUTH}", "Content-Type: application/x-www-form-urlencoded"]
            watch = {"moto": moto.pid}

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
