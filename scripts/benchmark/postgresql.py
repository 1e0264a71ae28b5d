"""The PostgreSQL phases (`scripts/bench --postgresql`), run after every SQLite phase, on a
throwaway cluster of their own (harness.postgres: initdb in a temporary folder, a free port,
fsync on; shared_buffers 256MB and max_connections 200 here), stopped at the end.

1. PostgreSQL beside SQLite: two `tokend region --region fr-par` filled alike by `tokend fill`
   (PG_TOKENS tokens: project 0 holding 10,000, 100 pages of 100, and 19 projects of ~526),
   one on a SQLite file and one `--store postgresql://…`, both running; every case of the
   main phase (ping, verify, get, the lists, create, delete; 64 connections, and the
   1-connection latency) alternately on each, ping, verify and get for RATIO_ROUNDS rounds.
   The PostgreSQL runs watch the postmaster and its backends (a ProcessTree) beside tokend.
2. Two instances of fr-par on that database (same --hash-key-file) behind nginx (round-robin
   upstream, keepalive) against one: instance A directly, A through an nginx with one
   upstream server (the same hop), A and B through an nginx with both; verify, get and
   create at 64 connections, RATIO_ROUNDS rounds each, alternating.
3. The cross-instance revocation bound: a token verified on B, DELETEd on A, then verify
   polled on B until 401; from the DELETE's answer to the first 401. With notifications up
   (REVOCATIONS tokens), with the listeners' connections killed just before each DELETE
   (pg_terminate_backend: tokend reconnects and forgets its cache), and with the listeners'
   backends frozen (SIGSTOP: a connection lost unnoticed, as in a partition; only the
   cache's --credential-ttl-ms bounds it), SIGCONT afterwards.
"""

from __future__ import annotations

import json
import os
import random
import signal
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from harness.nginx import Balancer, nginx_binary, nginx_version
from harness.postgres import PostgresCluster, psql, quote_literal, schema_of
from harness.tokend import RegionServer

from .common import (AUTH, CREATE_PROJECT, ORDERS, PAIR_PROJECT, RATIO_ROUNDS, REGION, TOKENS, VERIFY_PROJECT,
                     BenchError, Client, list_all_ids, list_ids, log, project_id, write_lines)
from .measure import ProcessTree
from .stores import fill_plan, fill_store

if TYPE_CHECKING:
    from .cases import Bench
    from .wrk import Run

PG_TOKENS = 20_000              # the PostgreSQL store (and its SQLite twin): 20 projects, project 0 of 10,000
SHARED_BUFFERS = "256MB"
MAX_CONNECTIONS = 200
POOL_SIZE = 8                   # tokend's default --store-pool-size, passed explicitly to be recorded
CREDENTIAL_TTL_MS = 2000        # tokend's default --credential-ttl-ms, passed explicitly
NGINX_WORKERS = "auto"          # Debian's default: one worker per core (2 here)
REVOKE_PROJECT = "00000000-0000-4000-8000-b00000000005"
LISTENER = f"tokend {REGION} listener"  # the application_name of each instance's LISTEN connection
REVOCATIONS = 200               # samples with notifications up
KILLED_SAMPLES = 20             # samples with the listeners' connections terminated before the DELETE
FROZEN_SAMPLES = 20             # tokens revoked while the listeners' backends are stopped
FROZEN_SLACK_MS = 500           # what the bound without notifications may exceed the TTL by (polling, a busy machine)


class BenchCluster(PostgresCluster):
    """The harness's throwaway cluster with the benchmark's memory and connection settings
    (appended to postgresql.conf: the last setting of a name wins)."""

    def initdb(self) -> None:
        super().initdb()
        with (self.data_dir / "postgresql.conf").open("a") as out:
            out.write("# tokend's benchmark (scripts/benchmark/postgresql.py)\n"
                      f"shared_buffers = '{SHARED_BUFFERS}'\nmax_connections = {MAX_CONNECTIONS}\n")

    def postmaster_pid(self) -> int:
        return int((self.data_dir / "postmaster.pid").read_text().split()[0])

    def settings(self) -> dict:
        names = ("server_version", "fsync", "synchronous_commit", "shared_buffers", "max_connections", "wal_level")
        rows = self.psql("SELECT " + ", ".join(f"current_setting({quote_literal(n)})" for n in names) + ";")
        return dict(zip(names, rows[0]))


@dataclass
class Side:
    """One server of the PostgreSQL-beside-SQLite phase and what its cases need."""
    name: str                  # "sqlite" or "pg"
    server: RegionServer
    watch: dict
    verify: list = field(default_factory=list)
    bad: list = field(default_factory=list)
    get_file: Path | None = None
    list_file: Path | None = None
    create_file: Path | None = None
    big_total: int = 0
    secret: str = ""


def verify_headers(secret: str, project: str = VERIFY_PROJECT) -> list[str]:
    """The verify request of every verify row (cases.py's main phase): a bearer secret, the
    tenant, the operation."""
    return [f"Authorization: Bearer {secret}", f"X-Scope-OrgID: {project}", "X-Tokend-Operation: metrics.push"]


def as_dict(headers: list[str]) -> dict:
    return dict(h.split(": ", 1) for h in headers)


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, -(-int(fraction * 1000) * len(ordered) // 1000) - 1))]


def summary(samples: list[float]) -> dict:
    return {"samples": len(samples), "p50_ms": percentile(samples, 0.50), "p99_ms": percentile(samples, 0.99),
            "max_ms": max(samples), "min_ms": min(samples), "samples_ms": [round(s, 3) for s in samples]}


class PostgresPhases:
    """The PostgreSQL phases, mixed into cases.Bench (which gives wrk, keep, keep_median,
    management, server_options, sample_ids, config, binary, work, out and results)."""

    def postgresql_phase(self: "Bench") -> None:
        log("== PostgreSQL: a throwaway cluster")
        cluster = BenchCluster()
        cluster.start()
        info = self.results["postgresql"] = {"tokens": PG_TOKENS, "pool_size": POOL_SIZE,
                                             "credential_ttl_ms": CREDENTIAL_TTL_MS, "nginx_workers": NGINX_WORKERS}
        try:
            info["settings"] = cluster.settings()
            log("  " + ", ".join(f"{k} {v}" for k, v in info["settings"].items()))
            url = cluster.new_database("tokend_bench")
            key_file = self.work / "pg-hash.key"
            key_file.write_text(os.urandom(32).hex() + "\n")
            key_file.chmod(0o600)
            pg_options = ["--hash-key-file", str(key_file), "--store-pool-size", str(POOL_SIZE),
                          "--credential-ttl-ms", str(CREDENTIAL_TTL_MS)]
            postgres = ProcessTree(cluster.postmaster_pid())
            self.fill_postgresql(cluster, url, key_file)
            self.postgresql_beside_sqlite(url, pg_options, postgres)
            self.postgresql_instances(cluster, url, pg_options, postgres)
        finally:
            try:
                cluster.stop_server("fast")
            except Exception as error:  # noqa: BLE001 - the folder must still go
                log(f"  stopping PostgreSQL: {error}")
            try:
                shutil.copy(cluster.log_path, self.out / "postgres.log")
            except OSError:
                pass
            cluster.stop()

    # -- the store

    def fill_postgresql(self: "Bench", cluster: BenchCluster, url: str, key_file: Path) -> None:
        info = self.results["postgresql"]
        projects, calls = fill_plan(PG_TOKENS, True)
        started = time.monotonic()
        for count, over in calls:
            log(f"tokend fill --store postgresql://… --tokens {count} --projects {over}")
            with open(self.out / "fill.log", "ab") as fill_log:
                subprocess.run([str(self.binary), "fill", "--region", REGION, "--store", url, "--hash-key-file",
                                str(key_file), "--data-dir", str(self.work / "pg-fill-data"), "--tokens", str(count),
                                "--projects", str(over), "--log-level", "error"],
                               check=True, timeout=1800, stdout=fill_log, stderr=subprocess.STDOUT)
        seconds = time.monotonic() - started
        # What autovacuum would reach sooner or later, done before any run: statistics for the
        # planner, the visibility map, and the fill's dirty pages written (like SQLite's checkpoint).
        database = url.rsplit("/", 1)[1]
        cluster.psql("VACUUM (ANALYZE);", database=database, timeout=600)
        cluster.psql("CHECKPOINT;", database=database, timeout=600)
        schema = schema_of(REGION)
        size = int(cluster.psql("SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c JOIN pg_namespace n "
                                f"ON n.oid = c.relnamespace WHERE n.nspname = {quote_literal(schema)} AND c.relkind = 'r';",
                                database=database)[0][0])
        info["store"] = {"projects": projects, "fill_calls": calls, "fill_seconds": seconds, "bytes": size}
        log(f"  filled {PG_TOKENS:,} tokens in {seconds:.1f} s ({PG_TOKENS / seconds:,.0f}/s); "
            f"schema {schema}: {size / 1e6:.1f} MB (tables, indexes and TOAST, after VACUUM)")
        twin = self.work / "store-pg-twin"
        info["sqlite_store"] = fill_store(self.binary, twin, PG_TOKENS, True, self.out, self.cache)

    # -- 1. PostgreSQL beside SQLite

    def postgresql_beside_sqlite(self: "Bench", url: str, pg_options: list[str], postgres: ProcessTree) -> None:
        log(f"== PostgreSQL beside SQLite: tokend region on each, stores of {PG_TOKENS:,} tokens")
        info = self.results["postgresql"]
        projects = info["store"]["projects"]
        half = max(2, projects // 2)
        with RegionServer(self.work, REGION, data_dir=self.work / "store-pg-twin", store_url="sqlite",
                          **self.server_options("pg-twin-sqlite")) as sqlite_server, \
                RegionServer(self.work, REGION, data_dir=self.work / "pg-region-data", store_url=url, extra=pg_options,
                             **self.server_options("pg-region")) as pg_server:
            sides = [Side("sqlite", sqlite_server, {"server": sqlite_server.pid}),
                     Side("pg", pg_server, {"server": pg_server.pid, "postgres": postgres})]
            for side in sides:
                client = Client(side.server.port)
                token = client.json("POST", TOKENS, {"project_id": VERIFY_PROJECT, "name": "bench-verify",
                                                     "token_scopes": ["write_only_metrics"]})
                side.secret = token["secret_key"]
                bad = side.secret[:-1] + ("A" if side.secret[-1] != "A" else "B")
                side.verify, side.bad = verify_headers(side.secret), verify_headers(bad)
                for headers, expect in ((side.verify, 200), (side.bad, 401)):
                    status, body = client.request("GET", "/_tokend/verify", as_dict(headers))
                    if status != expect:
                        raise BenchError(f"{side.name}: verify probe -> {status}, expected {expect}: {body[:200]!r}")
                ids = self.sample_ids(client, projects, 20_000, 1, half)
                side.get_file = write_lines(self.work / f"pg-{side.name}-get.txt", [f"{TOKENS}/{i}" for i in ids])
                side.list_file = write_lines(self.work / f"pg-{side.name}-list.txt",
                                             [f"{TOKENS}?project_id={project_id(i)}&page=1&page_size=100"
                                              for i in range(1, projects)])
                for name in ("bench-pair-1", "bench-pair-2"):
                    client.json("POST", TOKENS, {"project_id": PAIR_PROJECT, "name": name, "token_scopes": ["read_only_logs"]})
                side.big_total = client.json("GET", f"{TOKENS}?project_id={project_id(0)}&page=1&page_size=1")["total_count"]
                body = json.dumps({"project_id": CREATE_PROJECT, "name": "bench-create", "token_scopes": ["write_only_metrics"]})
                side.create_file = write_lines(self.work / f"pg-{side.name}-create.txt", [f"{TOKENS}\t{body}"])
            info["get_ids"] = {side.name: len(side.get_file.read_text().splitlines()) for side in sides}
            info["big_project_tokens"] = sides[1].big_total
            mg = self.management()
            big = project_id(0)

            def both(key: str, label: str, path: str, keep: bool = True, **options) -> dict:
                """The case on SQLite, then on PostgreSQL; kept as pgs_sqlite_<key> and pgs_pg_<key>."""
                runs = {}
                for side in sides:
                    resolved = {k: (v(side) if callable(v) else v) for k, v in options.items()}
                    run = self.wrk.run(f"{side.name}: {label}", side.server.port, path, watch=side.watch, **resolved)
                    runs[side.name] = self.keep(f"pgs_{side.name}_{key}", run) if keep else run
                return runs

            rounds: dict[str, dict[str, list[Run]]] = {case: {"sqlite": [], "pg": []} for case in ("ping", "verify", "get")}
            for index in range(1, RATIO_ROUNDS + 1):
                for case, label, path, options in (
                        ("ping", "ping (ceiling)", "/_tokend/ping", {}),
                        ("verify", "verify valid", "/_tokend/verify", {"headers": lambda s: s.verify}),
                        ("get", f"get @{PG_TOKENS:,}", TOKENS,
                         {"headers": mg, "walk": lambda s: ("GET", s.get_file, True)})):
                    for name, run in both(case, f"{label}, round {index}", path, keep=False, **options).items():
                        rounds[case][name].append(run)
            for case, by_side in rounds.items():
                for name, runs in by_side.items():
                    self.keep_median(f"pgs_{name}_{case}", runs)
            both("verify_bad", "verify bad checksum", "/_tokend/verify", headers=lambda s: s.bad,
                 expect_non2xx=True, probe=401)
            both("list_project", "list one project p1", TOKENS, headers=mg, walk=lambda s: ("GET", s.list_file, True))
            both("list_pair", "list a project of 2 tokens", f"{TOKENS}?project_id={PAIR_PROJECT}", headers=mg)
            for page in (1, 50):
                both(f"list_big_p{page}", f"list project of 10k page {page}",
                     f"{TOKENS}?project_id={big}&page={page}&page_size=100", headers=mg)
            for order in ORDERS:
                both(f"list_all_{order}", f"list unfiltered p1 {order}", f"{TOKENS}?page=1&page_size=100&order_by={order}",
                     headers=mg)
            one = dict(connections=1, duration=self.config.one_connection_duration)
            both("verify_1c", "verify valid c1", "/_tokend/verify", headers=lambda s: s.verify, **one)
            both("get_1c", "get c1", TOKENS, headers=mg, walk=lambda s: ("GET", s.get_file, True), **one)
            both("list_project_1c", "list one project p1 c1", TOKENS, headers=mg,
                 walk=lambda s: ("GET", s.list_file, True), **one)
            both("list_big_p50_1c", "list project of 10k page 50 c1", f"{TOKENS}?project_id={big}&page=50&page_size=100",
                 headers=mg, **one)
            for order in ORDERS:
                both(f"list_all_{order}_1c", f"list unfiltered p1 {order} c1",
                     f"{TOKENS}?page=1&page_size=100&order_by={order}", headers=mg, **one)
            create_headers = self.management(["Content-Type: application/json"])
            both("create_1c", "create c1", TOKENS, headers=create_headers, walk=lambda s: ("POST", s.create_file, True), **one)
            creates = both("create", "create", TOKENS, connections=self.config.create_connections, headers=create_headers,
                           walk=lambda s: ("POST", s.create_file, True))
            # Delete: each id once, from the second half of the projects and the creates, topped
            # up by unmeasured creates to twice the run at the create rate (capped at 2 runs' time).
            pools = {}
            for side in sides:
                client = Client(side.server.port, timeout=120)
                want = int(2 * creates[side.name].rps * self.config.duration)
                made = client.json("GET", f"{TOKENS}?project_id={CREATE_PROJECT}&page=1&page_size=1")["total_count"]
                rest = sum(len(list_ids(client, project_id(i))) for i in range(half + 1, projects))
                if made + rest < want:
                    seconds = min(2 * self.config.duration,
                                  max(1, -(-(want - made - rest) // max(1, int(creates[side.name].rps)))))
                    self.wrk.run(f"{side.name}: create (ids for delete, not reported)", side.server.port, TOKENS,
                                 connections=self.config.create_connections, duration=seconds, headers=create_headers,
                                 walk=("POST", side.create_file, True), watch=side.watch)
                    self.wrk.runs.pop()
                ids = list_all_ids(client, CREATE_PROJECT)
                for i in range(half + 1, projects):
                    ids += list_ids(client, project_id(i))
                random.Random(19).shuffle(ids)
                pools[side.name] = write_lines(self.work / f"pg-{side.name}-delete.txt", [f"{TOKENS}/{i}" for i in ids])
                info.setdefault("delete_pool", {})[side.name] = len(ids)
                log(f"  {side.name}: {len(ids):,} ids to delete")
            for side in sides:
                self.keep(f"pgs_{side.name}_delete", self.wrk.run(
                    f"{side.name}: delete", side.server.port, TOKENS, headers=mg, walk=("DELETE", pools[side.name], False),
                    watch=side.watch, probe=None), pool=info["delete_pool"][side.name])
            self.pg_verify = sides[1].verify  # kept out of results.json and the logs
            self.pg_get_file = sides[1].get_file
            self.pg_create_file = sides[1].create_file

    # -- 2. two instances behind nginx, 3. the revocation bound

    def postgresql_instances(self: "Bench", cluster: BenchCluster, url: str, pg_options: list[str],
                             postgres: ProcessTree) -> None:
        log("== PostgreSQL: two instances of fr-par behind nginx against one")
        info = self.results["postgresql"]
        binary = nginx_binary()
        info["nginx"] = nginx_version(binary)
        with RegionServer(self.work, REGION, data_dir=self.work / "pg-a-data", store_url=url, extra=pg_options,
                          **self.server_options("pg-a")) as a, \
                RegionServer(self.work, REGION, data_dir=self.work / "pg-b-data", store_url=url, extra=pg_options,
                             **self.server_options("pg-b")) as b, \
                Balancer(binary, [a.port], "nginx-one", self.out, workers=NGINX_WORKERS) as nginx_one, \
                Balancer(binary, [a.port, b.port], "nginx-two", self.out, workers=NGINX_WORKERS) as nginx_two:
            watch = {"tokend_a": a.pid, "tokend_b": b.pid, "nginx": ProcessTree(nginx_two.pid), "postgres": postgres}
            watch_one = {"tokend_a": a.pid, "tokend_b": b.pid, "nginx": ProcessTree(nginx_one.pid), "postgres": postgres}
            mg = self.management()
            create_headers = self.management(["Content-Type: application/json"])
            # Every instance answers every request, through either nginx.
            first_get = self.pg_get_file.read_text().split("\n", 1)[0]
            for port in (a.port, b.port, nginx_one.port, nginx_two.port):
                for method, path, headers in (("GET", first_get, {AUTH[0]: AUTH[1]}),
                                              ("GET", "/_tokend/verify", as_dict(self.pg_verify))):
                    status, body = Client(port).request(method, path, headers)
                    if status != 200:
                        raise BenchError(f"probe {method} {path} on {port} -> {status}: {body[:200]!r}")
            # Warm up (not reported): both instances' caches and pools, nginx's upstream connections.
            self.wrk.run("two instances: get (warm-up, not reported)", nginx_two.port, TOKENS, duration=2, headers=mg,
                         walk=("GET", self.pg_get_file, True), watch=watch)
            self.wrk.run("two instances: verify (warm-up, not reported)", nginx_two.port, "/_tokend/verify", duration=1,
                         headers=self.pg_verify, watch=watch)
            self.wrk.runs.pop()
            self.wrk.runs.pop()
            vias = (("direct", a.port, watch_one), ("one", nginx_one.port, watch_one), ("two", nginx_two.port, watch))
            cases = (("verify", "/_tokend/verify", dict(headers=self.pg_verify)),
                     ("get", TOKENS, dict(headers=mg, walk=("GET", self.pg_get_file, True))),
                     ("create", TOKENS, dict(headers=create_headers, walk=("POST", self.pg_create_file, True))))
            rounds: dict[str, list[Run]] = {f"pgi_{op}_{via}": [] for op, _, _ in cases for via, _, _ in vias}
            for index in range(1, RATIO_ROUNDS + 1):
                for op, path, options in cases:
                    for via, port, watched in vias:
                        label = {"direct": "one instance direct", "one": "one instance via nginx",
                                 "two": "two instances via nginx"}[via]
                        rounds[f"pgi_{op}_{via}"].append(self.wrk.run(
                            f"{label}: {op}, round {index}", port, path, connections=self.config.connections,
                            watch=watched, **options))
            for key, runs in rounds.items():
                self.keep_median(key, runs)
            self.revocation_bound(cluster, url, a, b)

    def revocation_bound(self: "Bench", cluster: BenchCluster, url: str, a: RegionServer, b: RegionServer) -> None:
        """From the DELETE answered on A to the first 401 of verify on B, polled back to back
        on one keep-alive connection (the resolution is one verify, a fraction of a ms)."""
        log("== PostgreSQL: cross-instance revocation (DELETE on A, verify polled on B)")
        database = url.rsplit("/", 1)[1]
        figures = self.results["postgresql"]["revocation"] = {}
        on_a, on_b = Client(a.port), Client(b.port)
        deadline_s = CREDENTIAL_TTL_MS / 1000 + 5.0

        def make(count: int, prefix: str) -> list[tuple[str, list[str]]]:
            made = []
            for i in range(count):
                token = on_a.json("POST", TOKENS, {"project_id": REVOKE_PROJECT, "name": f"{prefix}-{i}",
                                                   "token_scopes": ["write_only_metrics"]})
                made.append((token["id"], verify_headers(token["secret_key"], REVOKE_PROJECT)))
            return made

        def warm(headers: list[str]) -> float:
            status, body = on_b.request("GET", "/_tokend/verify", as_dict(headers))
            if status != 200:
                raise BenchError(f"revocation: verify on B before the delete -> {status}: {body[:200]!r}")
            return time.perf_counter()

        def delete(token_id: str) -> float:
            status, body = on_a.request("DELETE", f"{TOKENS}/{token_id}", {AUTH[0]: AUTH[1]})
            if status not in (200, 204):
                raise BenchError(f"revocation: DELETE on A -> {status}: {body[:200]!r}")
            return time.perf_counter()

        def until_401(headers: list[str], since: float) -> tuple[float, int]:
            polls = 0
            while True:
                status, body = on_b.request("GET", "/_tokend/verify", as_dict(headers))
                polls += 1
                if status == 401:
                    return (time.perf_counter() - since) * 1000, polls
                if status != 200:
                    raise BenchError(f"revocation: verify on B -> {status}: {body[:200]!r}")
                if time.perf_counter() - since > deadline_s:
                    raise BenchError(f"revocation: a deleted token still verified on B {deadline_s:.0f} s after the DELETE")

        # With notifications up: each token verified on B (so cached, with a fresh lifetime)
        # just before its DELETE on A.
        samples, first_poll = [], 0
        for token_id, headers in make(REVOCATIONS, "bench-revoke"):
            warm(headers)
            elapsed, polls = until_401(headers, delete(token_id))
            samples.append(elapsed)
            first_poll += polls == 1
        figures["notify"] = {**summary(samples), "first_poll_401": first_poll}
        log(f"  notifications up: p50 {figures['notify']['p50_ms']:.2f} ms, p99 {figures['notify']['p99_ms']:.2f} ms, "
            f"max {figures['notify']['max_ms']:.2f} ms ({REVOCATIONS} tokens; {first_poll} already 401 at the first poll)")

        # Listeners' connections terminated just before each DELETE: tokend finds the loss at
        # once, reconnects (100 ms, doubling to 2 s) and forgets its cache on reconnecting.
        samples, back = [], []
        for token_id, headers in make(KILLED_SAMPLES, "bench-revoke-killed"):
            warm(headers)
            killed_at = time.perf_counter()
            if cluster.kill_backends(LISTENER, database) < 1:
                raise BenchError("revocation: no listener connection to terminate")
            elapsed, _ = until_401(headers, delete(token_id))
            samples.append(elapsed)
            while len(cluster.backends(LISTENER)) < 2:
                if time.perf_counter() - killed_at > 15:
                    raise BenchError("revocation: the listeners did not reconnect within 15 s")
                time.sleep(0.02)
            back.append((time.perf_counter() - killed_at) * 1000)
        figures["killed"] = {**summary(samples), "reconnected_ms": summary(back)}
        log(f"  listeners terminated: p50 {figures['killed']['p50_ms']:.1f} ms, max {figures['killed']['max_ms']:.1f} ms; "
            f"listening again after {figures['killed']['reconnected_ms']['p50_ms']:.0f} ms (p50, psql polling)")

        # Listeners' backends frozen (SIGSTOP): the connections stay open and say nothing, as in
        # a partition; only the credential lifetime bounds how long B trusts its cache.
        tokens = make(FROZEN_SAMPLES, "bench-revoke-frozen")
        pids = [row["pid"] for row in cluster.backends(LISTENER) if row["database"] == database]
        if not pids:
            raise BenchError("revocation: no listener backend to freeze")
        warmed, deleted, done = {}, {}, {}
        try:
            for pid in pids:
                os.kill(pid, signal.SIGSTOP)
            for token_id, headers in tokens:
                warmed[token_id] = warm(headers)
            for token_id, _ in tokens:
                deleted[token_id] = delete(token_id)
            # Round-robin over the revoked tokens until each has answered 401 once.
            while len(done) < len(tokens):
                for token_id, headers in tokens:
                    if token_id in done:
                        continue
                    status, body = on_b.request("GET", "/_tokend/verify", as_dict(headers))
                    if status == 401:
                        done[token_id] = time.perf_counter()
                    elif status != 200:
                        raise BenchError(f"revocation (frozen): verify on B -> {status}: {body[:200]!r}")
                if time.perf_counter() - min(deleted.values()) > deadline_s:
                    raise BenchError(f"revocation (frozen): {len(tokens) - len(done)} deleted tokens still verified on B "
                                     f"{deadline_s:.0f} s after their DELETE")
        finally:
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGCONT)
                except ProcessLookupError:
                    pass
        after_delete = [(done[t] - deleted[t]) * 1000 for t, _ in tokens]
        after_warm = [(done[t] - warmed[t]) * 1000 for t, _ in tokens]
        figures["frozen"] = {**summary(after_delete), "after_first_verify_ms": summary(after_warm),
                             "listener_backends_frozen": len(pids)}
        log(f"  listeners frozen: DELETE→401 p50 {figures['frozen']['p50_ms']:.0f} ms, max {figures['frozen']['max_ms']:.0f} ms; "
            f"first verify on B→401 max {figures['frozen']['after_first_verify_ms']['max_ms']:.0f} ms "
            f"(--credential-ttl-ms {CREDENTIAL_TTL_MS})")


# ---------------------------------------------------------------- the report's section


def postgresql_report(bench: "Bench") -> tuple[str, list[dict]]:
    """The PostgreSQL section of results.md: PostgreSQL beside SQLite, two instances against
    one, the revocation bound, the figures and targets. Its targets are also kept in
    results["postgresql"]["targets"]."""
    from .report import count, ms, rate  # here: report.py imports this module lazily

    info = bench.results["postgresql"]
    runs = bench.results["runs"]
    config = bench.config

    def cores(run: dict) -> str:
        text = " + ".join(f"{k} {v:.2f}" for k, v in run["cpu"].items())
        return text + (f" (iowait {run['iowait']:.2f})" if run.get("iowait", 0) >= 0.05 else "")

    def flagged(run: dict) -> list[str]:
        return ["**ERRORS: " + "; ".join(run["errors"]) + "**"] if run["errors"] else []

    big = info.get("big_project_tokens", 10_000)
    lines = [f"### PostgreSQL beside SQLite: `tokend region --region {REGION}`, stores of {count(PG_TOKENS)} tokens",
             "",
             "| operation | conns | SQLite req/s | p50 | p99 | PostgreSQL req/s | p50 | p99 | PG ÷ SQLite req/s | "
             "CPU cores, SQLite run | CPU cores, PostgreSQL run | notes |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|"]
    cases = [("ping", "`GET /_tokend/ping` (the ceiling)"), ("verify", "verify, valid token (hot)"),
             ("verify_bad", "verify, bad checksum (401)"), ("get", "get (random ids)"),
             ("create", f"create ({config.create_connections} clients)"), ("delete", "delete (each id once)"),
             ("list_project", "list one project (~526 tokens), page 1 (size 100)"),
             ("list_pair", "list a project of 2 tokens"),
             ("list_big_p1", f"list project of {big:,}, page 1 (size 100)"),
             ("list_big_p50", f"list project of {big:,}, page 50 (size 100)"),
             *[(f"list_all_{o}", f"list unfiltered + total_count, p1, `{o}`") for o in ORDERS],
             ("verify_1c", "verify, valid token (hot)"), ("get_1c", "get (random ids)"), ("create_1c", "create"),
             ("list_project_1c", "list one project (~526 tokens), page 1 (size 100)"),
             ("list_big_p50_1c", f"list project of {big:,}, page 50 (size 100)"),
             *[(f"list_all_{o}_1c", f"list unfiltered + total_count, p1, `{o}`") for o in ORDERS]]
    for key, label in cases:
        sq, pg = runs.get(f"pgs_sqlite_{key}"), runs.get(f"pgs_pg_{key}")
        if not sq or not pg:
            continue
        notes = flagged(sq) + flagged(pg)
        if key == "delete":
            notes.append(f"{sq.get('pool', 0):,} / {pg.get('pool', 0):,} ids listed")
        if key in ("ping", "verify", "get"):
            notes.append(f"median of {len(sq.get('rounds', []))} rounds each")
        lines.append(f"| {label} | {sq['connections']} | {rate(sq['rps'])} | {ms(sq['p50_ms'])} | {ms(sq['p99_ms'])} | "
                     f"{rate(pg['rps'])} | {ms(pg['p50_ms'])} | {ms(pg['p99_ms'])} | "
                     f"**{pg['rps'] / sq['rps']:.2f}** | {cores(sq)} | {cores(pg)} | {'; '.join(notes)} |")

    lines += ["", f"### Two instances of `{REGION}` on one PostgreSQL database, behind nginx (round-robin, keepalive), "
              f"{config.connections} connections", "",
              "| operation | served by | req/s | p50 | p99 | × one instance via nginx | × one instance direct | "
              "CPU cores used | notes |",
              "|---|---|---:|---:|---:|---:|---:|---|---|"]
    names = {"direct": "one instance, direct", "one": "one instance, via nginx (1 upstream)",
             "two": "two instances, via nginx (2 upstreams)"}
    for op in ("verify", "get", "create"):
        one, direct = runs.get(f"pgi_{op}_one"), runs.get(f"pgi_{op}_direct")
        for via in ("direct", "one", "two"):
            run = runs.get(f"pgi_{op}_{via}")
            if not run:
                continue
            versus_one = f"**{run['rps'] / one['rps']:.2f}**" if one and via == "two" else ("1.00" if via == "one" else "–")
            versus_direct = f"{run['rps'] / direct['rps']:.2f}" if direct else "–"
            notes = flagged(run) + [f"median of {len(run.get('rounds', []))} rounds: "
                                    + " / ".join(rate(r) for r in run.get("rounds", [])) + " req/s"]
            total = sum(v for k, v in run["cpu"].items())
            notes.append(f"{total:.2f} of {os.cpu_count()} cores busy")
            if run["rps"]:
                # CPU per answer: what each request costs each part, so what two cores can carry.
                per = {"tokend": run["cpu"].get("tokend_a", 0) + run["cpu"].get("tokend_b", 0),
                       "postgres": run["cpu"].get("postgres", 0), "nginx": run["cpu"].get("nginx", 0),
                       "wrk": run["cpu"].get("wrk", 0)}
                notes.append("CPU per answer: " + ", ".join(f"{k} {v * 1e6 / run['rps']:,.0f} µs" for k, v in per.items()))
            lines.append(f"| {op} | {names[via]} | {rate(run['rps'])} | {ms(run['p50_ms'])} | {ms(run['p99_ms'])} | "
                         f"{versus_one} | {versus_direct} | {cores(run)} | {'; '.join(notes)} |")

    revocation = info.get("revocation", {})
    lines += ["", "### Cross-instance revocation: from the DELETE answered on instance A to the first 401 on instance B",
              "", "| case | samples | p50 | p99 | max | how |", "|---|---:|---:|---:|---:|---|"]
    if "notify" in revocation:
        n = revocation["notify"]
        lines.append(f"| notifications up | {n['samples']} | **{ms(n['p50_ms'])}** | **{ms(n['p99_ms'])}** | {ms(n['max_ms'])} | "
                     f"each token verified on B just before its DELETE on A, then verify polled on B back to back on "
                     f"one connection; {n['first_poll_401']} of {n['samples']} were 401 at the first poll (the bound is "
                     "then one verify's round trip) |")
    if "killed" in revocation:
        k = revocation["killed"]
        lines.append(f"| listener connections terminated | {k['samples']} | {ms(k['p50_ms'])} | {ms(k['p99_ms'])} | "
                     f"{ms(k['max_ms'])} | `pg_terminate_backend` of the `{LISTENER}` connections (both instances') right "
                     f"before each DELETE (tokend sees the loss at once and forgets its cache); listening again "
                     f"{ms(k['reconnected_ms']['p50_ms'])} (p50) after the kill, polled with psql |")
    if "frozen" in revocation:
        f = revocation["frozen"]
        lines.append(f"| listener backends frozen (notifications lost, unnoticed) | {f['samples']} | {ms(f['p50_ms'])} | "
                     f"{ms(f['p99_ms'])} | {ms(f['max_ms'])} | SIGSTOP of the listeners' backends, {f['samples']} tokens "
                     f"verified on B then DELETEd on A, polled in turn; from B's first verify to the 401: max "
                     f"{ms(f['after_first_verify_ms']['max_ms'])} (`--credential-ttl-ms {CREDENTIAL_TTL_MS}`) |")

    store, twin = info["store"], info["sqlite_store"]
    settings = info.get("settings", {})
    twin_bytes = twin["bytes_checkpointed"]["total"]
    lines += ["", "| figure | value | how |", "|---|---|---|",
              f"| PostgreSQL | {settings.get('server_version', '?')}; fsync {settings.get('fsync', '?')}, synchronous_commit "
              f"{settings.get('synchronous_commit', '?')}, shared_buffers {settings.get('shared_buffers', '?')}, "
              f"max_connections {settings.get('max_connections', '?')} | a throwaway cluster on 127.0.0.1 (initdb in "
              "a temporary folder, stopped at the end) |",
              f"| tokend's PostgreSQL options | `--store-pool-size {POOL_SIZE} --credential-ttl-ms {CREDENTIAL_TTL_MS}` "
              "(the defaults), one `--hash-key-file` for every instance | |",
              f"| nginx | {info.get('nginx', '?')}, `worker_processes {NGINX_WORKERS}`, `keepalive 64`, no access log | "
              "`proxy_pass` to an `upstream` of one or two instances, HTTP/1.1 |",
              f"| store of {count(PG_TOKENS)} tokens, PostgreSQL | {store['bytes'] / 1e6:,.1f} MB "
              f"({store['bytes'] / PG_TOKENS:,.0f} B/token); filled in {store['fill_seconds']:.1f} s "
              f"({PG_TOKENS / store['fill_seconds']:,.0f} tokens/s) | `tokend fill --store postgresql://…`, then "
              "VACUUM (ANALYZE) and CHECKPOINT; the schema's tables with their indexes and TOAST |",
              f"| store of {count(PG_TOKENS)} tokens, SQLite | {twin_bytes / 1e6:,.1f} MB ({twin_bytes / PG_TOKENS:,.0f} B/token); "
              + (f"filled in {twin['fill_seconds']:.1f} s ({PG_TOKENS / twin['fill_seconds']:,.0f} tokens/s)"
                 if not twin.get("from_cache") else "fill reused from --fill-cache")
              + " | `tokend fill`, checkpointed |"]

    targets: list[dict] = []

    def target(name: str, met: bool, numbers: str) -> None:
        targets.append({"target": name, "met": met, "numbers": numbers})

    if "notify" in revocation:
        n = revocation["notify"]
        target("revocation on another instance, notifications up: p99 ≤ 100 ms", n["p99_ms"] <= 100,
               f"p50 {ms(n['p50_ms'])}, p99 {ms(n['p99_ms'])}, max {ms(n['max_ms'])} ({n['samples']} tokens)")
    if "killed" in revocation:
        k = revocation["killed"]
        target(f"revocation, listener connections terminated: every 401 within --credential-ttl-ms ({CREDENTIAL_TTL_MS} ms)",
               k["max_ms"] <= CREDENTIAL_TTL_MS, f"max {ms(k['max_ms'])} ({k['samples']} tokens)")
    if "frozen" in revocation:
        f = revocation["frozen"]
        target(f"revocation, notifications lost unnoticed: every 401 within --credential-ttl-ms + {FROZEN_SLACK_MS} ms",
               f["max_ms"] <= CREDENTIAL_TTL_MS + FROZEN_SLACK_MS,
               f"max {ms(f['max_ms'])} after the DELETE, {ms(f['after_first_verify_ms']['max_ms'])} after B's first verify")
    lines += ["", "| target | result | numbers |", "|---|---|---|"]
    lines += [f"| {t['target']} | {'met' if t['met'] else '**MISSED**'} | {t['numbers']} |" for t in targets]
    info["targets"] = targets
    return "\n".join(["## PostgreSQL", "", *lines]), targets
