"""One region served by two tokend instances on one PostgreSQL database (issue 15): two
`tokend region --region fr-par` processes on two ports, the same `--store postgresql://…`,
the same `--hash-key-file` (and `--jwt-key-file`), open auth.

    scripts/with-postgres .venv/bin/python -m pytest -q scripts/postgres_test.py

Under scripts/with-postgres it uses that cluster (TOKEND_TEST_POSTGRESQL, and
TOKEND_TEST_POSTGRESQL_DATA to restart it); run alone, it starts a throwaway cluster of its
own (harness.postgres). Each test that needs fresh instances gets its own database.

- a token created on A is read, listed and verified on B at once;
- deleted on A, its secret is 401 on B within the revocation bound, measured over
  REVOCATION_SAMPLES tokens from the DELETE answered on A to the first 401 on B (B's cache
  warmed first): p50 and p99 printed, p99 ≤ REVOCATION_P99_MS (LISTEN/NOTIFY);
- rotated on A: B refuses the old secret within the same bound and accepts the new one;
  with a grace period, both;
- B's listener connection killed (pg_terminate_backend): a delete on A is 401 on B within
  its --credential-ttl-ms (the fallback), and once the listener is back, within the bound again;
  its listener silenced instead (the backend SIGSTOPped: no error, no notification), a cached
  secret deleted on A is 401 on B within the TTL of its caching;
- `pg_ctl restart -m immediate`, and the database stopped for a while, under concurrent
  creates on both instances: every create answered 200 is there afterwards, the only 5xx is
  the documented 503 `out_of_stock`, no answer takes longer than --store-timeout-ms + slack,
  and both instances recover by themselves (time to the first create after the database is
  back printed);
- SIGKILL of A under concurrent creates: B goes on serving, every create A acknowledged is
  readable on B;
- A and B racing one Idempotency-Key make one token;
- a tenant suspended on A through the xScaler portal: its key's verify is 403 on B at once,
  200 again once resumed, 401 once the key is revoked.

The figures (bound p50/p99, recovery times, counts) are printed in the run's summary.
"""

from __future__ import annotations

import http.client
import json
import math
import os
import secrets
import shutil
import signal
import subprocess
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from harness import http_client
from harness.http_client import Answer
from harness.ports import HOST
from harness.postgres import PostgresCluster, database_of, quote_literal, schema_of
from harness.tokend import TokendProcess, binary_path

REGION = "fr-par"
TOKENS = f"/cockpit/v1/regions/{REGION}/tokens"
MANAGEMENT = {"X-Auth-Token": "postgres-test"}  # open mode: any non-empty key
SCOPES = ["write_only_metrics"]
PUSH = {"X-Original-Method": "POST", "X-Original-URI": "/api/v1/push"}
POOL_NAME = f"tokend {REGION}"
LISTENER_NAME = f"tokend {REGION} listener"

REVOCATION_SAMPLES = 30
REVOCATION_P99_MS = 100.0       # the target with notifications up
REVOCATION_GIVE_UP_S = 5.0      # past the default TTL (2 s): a sample that never turns 401 fails
FALLBACK_TTL_MS = 500           # B's --credential-ttl-ms in the listener test
FALLBACK_SLACK_MS = 400         # scheduling, the poll's own round trips, a busy 2-core machine
SUSPEND_WITHIN_MS = 500         # well under the default TTL: the suspension is pushed, not waited out
STORE_TIMEOUT_MS = 2000         # --store-timeout-ms of the fault tests' instances
ANSWER_SLACK_S = 3.0            # an answer later than store timeout + this is a hang
RECOVERY_WITHIN_S = 15.0        # after the database is back, each instance creates again within this
DOWN_FOR_S = 2.0                # the database stopped (immediate) this long, in the fault test
IDEMPOTENCY_ROUNDS = 8
IDEMPOTENCY_THREADS_EACH = 4


# ---------------------------------------------------------------- figures in the summary

_FIGURES: list[str] = []


class _Summary:
    @staticmethod
    def pytest_terminal_summary(terminalreporter):
        if _FIGURES:
            terminalreporter.section("tokend on PostgreSQL: figures")
            for line in _FIGURES:
                terminalreporter.write_line(line)


@pytest.fixture(scope="session", autouse=True)
def _summary(request):
    plugin = _Summary()
    request.config.pluginmanager.register(plugin, "postgres-test-figures")
    yield
    # Left registered: the summary is written after the session's fixtures are torn down.


def figure(line: str) -> None:
    _FIGURES.append(line)
    print(line)


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


# ---------------------------------------------------------------- the cluster, the binary, instances


@pytest.fixture(scope="module")
def cluster():
    attached = PostgresCluster.attach()
    if attached is not None:
        yield attached
        return
    own = PostgresCluster().start()
    try:
        yield own
    finally:
        own.stop()


@pytest.fixture(scope="module")
def binary(tmp_path_factory) -> Path:
    """A copy of the tokend binary (a rebuild in the repository cannot swap it between a kill
    and a restart), which must know --store."""
    source = binary_path()
    if not source.exists():
        pytest.fail(f"no tokend binary at {source}: build it first (swift build --product tokend)")
    copy = tmp_path_factory.mktemp("binary") / "tokend"
    shutil.copy2(source, copy)
    done = subprocess.run([str(copy), "region", "--help"], capture_output=True, text=True, timeout=60)
    if "--store" not in done.stdout:
        pytest.fail(f"{source} has no --store flag (`tokend region --help`): not a build with the PostgreSQL store")
    return copy


@pytest.fixture(scope="module")
def shared_keys(tmp_path_factory) -> dict[str, Path]:
    """The hash key and the portal's JWT key, one file each, shared by every instance."""
    folder = tmp_path_factory.mktemp("keys")
    keys = {}
    for name in ("hash.key", "jwt.key"):
        path = folder / name
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
        keys[name] = path
    return keys


class Instance(TokendProcess):
    """`tokend region --region fr-par --store URL --hash-key-file F --jwt-key-file J [flags]`."""

    label = "instance"

    def __init__(self, root: Path, name: str, store_url: str, keys: dict[str, Path], binary: Path,
                 flags: list[str] = ()):
        super().__init__(root, name, binary=binary, store_url=store_url,
                         extra=["--hash-key-file", str(keys["hash.key"]), "--jwt-key-file", str(keys["jwt.key"]),
                                *flags])

    def arguments(self) -> list[str]:
        return ["region", "--region", REGION]

    def call(self, method: str, path: str, body=None, headers: dict | None = None,
             timeout: float = http_client.TIMEOUT_S) -> Answer:
        return http_client.send(self.port, method, path, body, {**MANAGEMENT, **(headers or {})}, timeout,
                                content_type="application/json")

    def create(self, project: str, name: str, idempotency_key: str | None = None,
               timeout: float = http_client.TIMEOUT_S) -> Answer:
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        return self.call("POST", TOKENS, {"project_id": project, "name": name, "token_scopes": SCOPES},
                         headers, timeout)

    def get(self, token_id: str) -> Answer:
        return self.call("GET", f"{TOKENS}/{token_id}")

    def delete(self, token_id: str) -> Answer:
        return self.call("DELETE", f"{TOKENS}/{token_id}")

    def verify(self, secret: str, tenant: str) -> Answer:
        return http_client.send(self.port, "GET", "/_tokend/verify", None,
                                {"Authorization": f"Bearer {secret}", "X-Scope-OrgID": tenant, **PUSH})


def start_together(*instances: Instance) -> None:
    """Spawns them at once (two instances migrating one fresh database at the same moment:
    the advisory lock), then waits until each is healthy; on failure every one is killed."""
    try:
        for instance in instances:
            instance.spawn()
        for instance in instances:
            instance.wait_healthy(instance.start_timeout)
    except BaseException:
        for instance in instances:
            instance.kill()
        raise


@dataclass
class Pair:
    a: Instance
    b: Instance
    store_url: str

    def logs(self, lines: int = 25) -> str:
        """Each instance's log without its `info` lines (every request has one): the first and
        the last `lines` of its warnings and errors."""
        parts = []
        for instance in (self.a, self.b):
            notable = [line for line in instance.log_text(tail=None).splitlines()
                       if " info " not in line and not line.startswith("http://")]
            shown = notable if len(notable) <= 2 * lines else \
                [*notable[:lines], f"… {len(notable) - 2 * lines} lines …", *notable[-lines:]]
            parts.append(f"--- {instance.title} log, all but its info lines ({instance.log_path})\n" + "\n".join(shown))
        return "\n".join(parts)

    def stop(self) -> None:
        for instance in (self.a, self.b):
            instance.stop()


def start_pair(cluster, binary, shared_keys, root: Path, name: str, a_flags=(), b_flags=()) -> Pair:
    """Two instances on a fresh database, started together."""
    url = cluster.new_database(prefix=f"tokend_{name.replace('-', '_')}")
    pair = Pair(Instance(root, f"{name}-a", url, shared_keys, binary, list(a_flags)),
                Instance(root, f"{name}-b", url, shared_keys, binary, list(b_flags)), url)
    start_together(pair.a, pair.b)
    return pair


@pytest.fixture(scope="module")
def pair(cluster, binary, shared_keys, tmp_path_factory):
    """The instances of the tests that disturb nothing (default flags), for the whole module."""
    started = start_pair(cluster, binary, shared_keys, tmp_path_factory.mktemp("shared"), "shared")
    yield started
    started.stop()


@pytest.fixture
def make_pair(cluster, binary, shared_keys, tmp_path):
    """make_pair(name, a_flags=(), b_flags=()) -> a test's own pair, stopped after it."""
    made: list[Pair] = []

    def make(name: str, a_flags=(), b_flags=()) -> Pair:
        made.append(start_pair(cluster, binary, shared_keys, tmp_path, name, a_flags, b_flags))
        return made[-1]

    yield make
    for one in made:
        one.stop()


def token_on(instance: Instance, project: str, name: str) -> dict:
    answer = instance.create(project, name)
    assert answer.status == 200 and isinstance(answer.json, dict) and answer.json.get("secret_key"), \
        f"create {name} on {instance.title}: {answer}"
    return answer.json


def warm(instance: Instance, secret: str, project: str) -> None:
    """Verify once (200), so the secret is in the instance's credential cache."""
    answer = instance.verify(secret, project)
    assert answer.status == 200, f"verify of a live secret on {instance.title}: {answer}"


class Poller:
    """Verify on one keep-alive connection, as fast as answers come back (a new connection
    only when the server closed the old one)."""

    def __init__(self, instance: Instance):
        self.instance = instance
        self.connection: http.client.HTTPConnection | None = None

    def status(self, secret: str, tenant: str) -> int:
        headers = {"Authorization": f"Bearer {secret}", "X-Scope-OrgID": tenant, **PUSH}
        for attempt in range(2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(HOST, self.instance.port, timeout=10)
            try:
                self.connection.request("GET", "/_tokend/verify", headers=headers)
                response = self.connection.getresponse()
                response.read()
                if response.getheader("connection", "").lower() == "close":
                    self.close()
                return response.status
            except (OSError, http.client.HTTPException):
                self.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def until(self, secret: str, tenant: str, wanted: int, give_up_s: float, since: float) -> tuple[float, int, Counter]:
        """Polls until verify answers `wanted`: (seconds from `since` to that answer, polls, statuses seen)."""
        seen: Counter = Counter()
        polls = 0
        while True:
            status = self.status(secret, tenant)
            now = time.monotonic()
            polls += 1
            seen[status] += 1
            if status == wanted:
                return now - since, polls, seen
            if now - since > give_up_s:
                raise AssertionError(f"{self.instance.title}: verify still answers {dict(seen)} "
                                     f"{now - since:.2f} s later, never {wanted} ({polls} polls)")

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


# ---------------------------------------------------------------- (a) read on the other instance at once


def test_a_token_created_on_a_is_read_listed_and_verified_on_b_at_once(pair, cluster):
    schema = schema_of(REGION)
    found = cluster.psql(f"SELECT count(*) FROM information_schema.schemata WHERE schema_name = {quote_literal(schema)};",
                         database=database_of(pair.store_url))
    assert found == [["1"]], f"no schema {schema} in {pair.store_url}"
    project = str(uuid.uuid4())
    made = [token_on(pair.a, project, f"seen-{n}") for n in range(3)]
    for token in made:
        on_b = pair.b.get(token["id"])
        assert on_b.status == 200, f"GET on B right after the create on A: {on_b}\n{pair.logs()}"
        on_a = pair.a.get(token["id"])
        assert on_b.json == on_a.json, f"A and B answer the same token differently:\nA {on_a}\nB {on_b}"
        assert on_b.json["secret_key"] is None and on_b.json["name"] == token["name"], on_b
    listed = pair.b.call("GET", f"{TOKENS}?project_id={project}&page_size=10&order_by=created_at_asc")
    assert listed.status == 200, listed
    assert listed.json["total_count"] == 3, f"B lists {listed.json['total_count']} tokens of the project, 3 made on A: {listed}"
    assert [t["id"] for t in listed.json["tokens"]] == [t["id"] for t in made], listed
    # A cold verify on B (nothing cached there yet), and a token made on B read on A.
    for token in made:
        assert pair.b.verify(token["secret_key"], project).status == 200
    other = token_on(pair.b, project, "made-on-b")
    assert pair.a.get(other["id"]).status == 200
    assert pair.a.verify(other["secret_key"], project).status == 200
    total = pair.a.call("GET", f"{TOKENS}?project_id={project}&page_size=1").json["total_count"]
    assert total == 4, f"A lists {total} tokens, 4 were made"


# ---------------------------------------------------------------- (b) the revocation bound


def test_a_delete_on_a_is_401_on_b_within_the_bound(pair):
    project = str(uuid.uuid4())
    poller = Poller(pair.b)
    bounds_ms, polls = [], []
    try:
        for n in range(REVOCATION_SAMPLES):
            token = token_on(pair.a, project, f"revoke-{n}")
            warm(pair.b, token["secret_key"], project)
            assert poller.status(token["secret_key"], project) == 200  # cached now: the poll's connection is open
            deleted = pair.a.delete(token["id"])
            answered = time.monotonic()
            assert deleted.status == 204, f"DELETE on A: {deleted}"
            seconds, count, seen = poller.until(token["secret_key"], project, 401, REVOCATION_GIVE_UP_S, answered)
            bounds_ms.append(seconds * 1000)
            polls.append(count)
    finally:
        poller.close()
    p50, p99 = percentile(bounds_ms, 50), percentile(bounds_ms, 99)
    figure(f"revocation bound (DELETE answered on A → first 401 on B, cache warm, notifications up), "
           f"{len(bounds_ms)} tokens: p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {max(bounds_ms):.1f} ms; "
           f"polls before the 401: median {sorted(polls)[len(polls) // 2]}, max {max(polls)}")
    assert p99 <= REVOCATION_P99_MS, \
        f"revocation bound p99 {p99:.1f} ms > {REVOCATION_P99_MS} ms (p50 {p50:.1f} ms); samples {sorted(bounds_ms)}"


# ---------------------------------------------------------------- (c) rotation


def test_a_rotation_on_a_is_seen_by_b(pair):
    project = str(uuid.uuid4())
    poller = Poller(pair.b)
    try:
        token = token_on(pair.a, project, "rotated")
        warm(pair.b, token["secret_key"], project)
        rotated = pair.a.call("POST", f"{TOKENS}/{token['id']}/rotate")
        answered = time.monotonic()
        assert rotated.status == 200 and rotated.json.get("secret_key"), f"rotate on A: {rotated}"
        seconds, _, seen = poller.until(token["secret_key"], project, 401, REVOCATION_GIVE_UP_S, answered)
        new_on_b = pair.b.verify(rotated.json["secret_key"], project)
        assert new_on_b.status == 200, f"B refuses the new secret: {new_on_b}"
        figure(f"rotation on A: the old secret refused on B {seconds * 1000:.1f} ms after the answer; the new one accepted")
        assert seconds * 1000 <= REVOCATION_P99_MS * 3, \
            f"the old secret verified on B for {seconds * 1000:.0f} ms after the rotation on A ({dict(seen)})"

        # With a grace period both secrets verify on B, the old one until the grace ends.
        graced = token_on(pair.a, project, "graced")
        warm(pair.b, graced["secret_key"], project)
        again = pair.a.call("POST", f"{TOKENS}/{graced['id']}/rotate", {"grace_period_seconds": 3600})
        assert again.status == 200, again
        time.sleep(0.2)  # the notification's time, so the check below is not the cache's old answer
        assert pair.b.verify(graced["secret_key"], project).status == 200, "the old secret in its grace period, on B"
        assert pair.b.verify(again.json["secret_key"], project).status == 200, "the new secret, on B"
    finally:
        poller.close()


# ---------------------------------------------------------------- (g) one Idempotency-Key, two instances


def test_two_instances_racing_one_idempotency_key_make_one_token(pair):
    project = str(uuid.uuid4())
    threads = 2 * IDEMPOTENCY_THREADS_EACH
    replays = 0
    for round_number in range(IDEMPOTENCY_ROUNDS):
        key, name = f"race-{uuid.uuid4()}", f"race-{round_number}"
        barrier = threading.Barrier(threads)

        def one(n: int) -> tuple[str, Answer]:
            instance = pair.a if n % 2 else pair.b
            barrier.wait(timeout=10)
            return instance.name, instance.create(project, name, idempotency_key=key)

        with ThreadPoolExecutor(threads) as pool:
            answers = list(pool.map(one, range(threads)))
        statuses = [(who, a.status) for who, a in answers]
        assert all(a.status == 200 for _, a in answers), \
            f"round {round_number}: {[(who, str(a)) for who, a in answers if a.status != 200]}\n{pair.logs()}"
        ids = {a.json["id"] for _, a in answers}
        assert len(ids) == 1, f"round {round_number}: one key made {len(ids)} tokens: {ids} ({statuses})"
        with_secret = [who for who, a in answers if a.json.get("secret_key")]
        assert len(with_secret) == 1, f"round {round_number}: {len(with_secret)} answers carry a secret ({with_secret})"
        replayed = [who for who, a in answers if a.headers.get("idempotent-replayed") == "true"]
        assert len(replayed) == threads - 1, f"round {round_number}: {len(replayed)} of {threads} marked replayed"
        replays += len(replayed)
        listed = pair.b.call("GET", f"{TOKENS}?project_id={project}&name={name}&page_size=100")
        assert listed.status == 200 and [t["id"] for t in listed.json["tokens"] if t["name"] == name] == list(ids), \
            f"round {round_number}: tokens named {name}: {listed}"
        # Another body with the key, on the other instance than the winner's: 409.
        other = pair.a.create(project, name + "-other", idempotency_key=key)
        assert other.status == 409 and other.json["type"] == "conflict", other
    figure(f"idempotency across instances: {IDEMPOTENCY_ROUNDS} rounds of {threads} simultaneous creates "
           f"(half on each): one token each, {replays} replays")


# ---------------------------------------------------------------- (h) a tenant suspended on A


def test_a_tenant_suspended_on_a_is_403_on_b_at_once(pair):
    login = http_client.send(pair.a.port, "POST", "/auth/login", {"email": "pg@example.com", "password": "x-pass-1"},
                             content_type="application/json")
    assert login.status == 200, f"portal login on A: {login}"
    jwt = {"Authorization": f"Bearer {login.json['token']}"}

    def portal(instance: Instance, method: str, path: str, body=None) -> Answer:
        return http_client.send(instance.port, method, path, body, jwt, content_type="application/json")

    tenant = portal(pair.a, "POST", "/tenants", {"display_name": "pg tenant", "environment": "prod"})
    assert tenant.status == 201, f"create tenant on A: {tenant}"
    tid = tenant.json["id"]
    key = portal(pair.a, "POST", f"/tenants/{tid}/keys", {"display_name": "collector"})
    assert key.status == 201 and key.json.get("key"), f"create key on A: {key}"
    secret = key.json["key"]
    seen_on_b = portal(pair.b, "GET", f"/tenants/{tid}")  # the JWT key file is shared
    assert seen_on_b.status == 200 and seen_on_b.json["status"] == "active", f"the tenant, read on B: {seen_on_b}"

    poller = Poller(pair.b)
    try:
        assert poller.status(secret, tid) == 200, f"the key on B: {pair.b.verify(secret, tid)}"
        suspended = portal(pair.a, "POST", f"/tenants/{tid}/suspend")
        answered = time.monotonic()
        assert suspended.status == 200 and suspended.json["status"] == "suspended", suspended
        to_403, _, seen = poller.until(secret, tid, 403, REVOCATION_GIVE_UP_S, answered)
        refused = pair.b.verify(secret, tid)
        assert refused.status == 403 and refused.json.get("type") == "permissions_denied", refused

        resumed = portal(pair.a, "POST", f"/tenants/{tid}/resume")
        answered = time.monotonic()
        assert resumed.status == 200, resumed
        to_200, _, _ = poller.until(secret, tid, 200, REVOCATION_GIVE_UP_S, answered)

        revoked = portal(pair.a, "DELETE", f"/tenants/{tid}/keys/{key.json['id']}")
        answered = time.monotonic()
        assert revoked.status in (200, 204), f"revoke the key on A: {revoked}"
        to_401, _, _ = poller.until(secret, tid, 401, REVOCATION_GIVE_UP_S, answered)
    finally:
        poller.close()
    figure(f"portal on A, verify on B: suspended → 403 in {to_403 * 1000:.1f} ms, resumed → 200 in "
           f"{to_200 * 1000:.1f} ms, key revoked → 401 in {to_401 * 1000:.1f} ms")
    for what, seconds in (("suspension", to_403), ("resumption", to_200), ("key revocation", to_401)):
        assert seconds * 1000 <= SUSPEND_WITHIN_MS, \
            f"the {what} on A took {seconds * 1000:.0f} ms to reach B's verify (> {SUSPEND_WITHIN_MS} ms: not pushed?)"


# ---------------------------------------------------------------- (d) the listener killed


def wait_for_listeners(cluster, database: str, count: int, timeout: float = 15.0) -> float:
    """Until `count` connections named LISTENER_NAME are open on `database`; the seconds it took."""
    started = time.monotonic()
    while True:
        listeners = [b for b in cluster.backends(LISTENER_NAME) if b["database"] == database]
        if len(listeners) >= count:
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise AssertionError(f"{len(listeners)} connections named {LISTENER_NAME!r} on {database} after "
                                 f"{timeout:.0f} s, {count} expected; every client: {cluster.backends()}")
        time.sleep(0.05)


def test_with_the_listener_killed_a_delete_is_401_within_the_ttl(make_pair, cluster):
    pair = make_pair("listener", b_flags=["--credential-ttl-ms", str(FALLBACK_TTL_MS)])
    database = database_of(pair.store_url)
    wait_for_listeners(cluster, database, 2)
    names = Counter(b["application_name"] for b in cluster.backends() if b["database"] == database)
    assert names[POOL_NAME] >= 1, f"no pool connection named {POOL_NAME!r} on {database}: {dict(names)}"
    project = str(uuid.uuid4())
    poller = Poller(pair.b)
    try:
        token = token_on(pair.a, project, "listener-down")
        warm(pair.b, token["secret_key"], project)
        assert poller.status(token["secret_key"], project) == 200
        killed = cluster.kill_backends(LISTENER_NAME, database)  # both instances' (B's is the one that matters)
        assert killed >= 1, "no listener connection to kill"
        deleted = pair.a.delete(token["id"])
        answered = time.monotonic()
        assert deleted.status == 204, deleted
        seconds, _, seen = poller.until(token["secret_key"], project, 401, REVOCATION_GIVE_UP_S, answered)
        figure(f"listener killed ({killed} connections): a delete on A is 401 on B after {seconds * 1000:.0f} ms "
               f"(--credential-ttl-ms {FALLBACK_TTL_MS}; {dict(seen)})")
        assert seconds * 1000 <= FALLBACK_TTL_MS + FALLBACK_SLACK_MS, \
            f"with its listener killed, B verified a deleted secret for {seconds * 1000:.0f} ms, " \
            f"past its --credential-ttl-ms {FALLBACK_TTL_MS} (+{FALLBACK_SLACK_MS} ms)\n{pair.logs()}"

        reconnected = wait_for_listeners(cluster, database, 2)
        # Notifications again: a warm entry is dropped well before the TTL would.
        bounds = []
        for n in range(5):
            token = token_on(pair.a, project, f"listener-back-{n}")
            warm(pair.b, token["secret_key"], project)
            assert poller.status(token["secret_key"], project) == 200
            deleted = pair.a.delete(token["id"])
            answered = time.monotonic()
            assert deleted.status == 204, deleted
            bounds.append(poller.until(token["secret_key"], project, 401, REVOCATION_GIVE_UP_S, answered)[0] * 1000)
    finally:
        poller.close()
    figure(f"listener back {reconnected:.2f} s after the kill was seen; deletes on A then 401 on B in "
           f"{', '.join(f'{b:.1f}' for b in bounds)} ms")
    assert percentile(bounds, 50) <= REVOCATION_P99_MS, \
        f"after the listener reconnected, deletes reach B in {bounds} ms: notifications do not work again " \
        f"(the TTL, {FALLBACK_TTL_MS} ms, is doing it)\n{pair.logs()}"


def test_with_the_listener_silenced_a_delete_is_401_within_the_ttl(make_pair, cluster):
    """The listener's connection up but delivering nothing (its backend SIGSTOPped, as a
    network partition that sends no reset would leave it): nothing tells B that it lost a
    notification, so its cached entry must expire by --credential-ttl-ms."""
    pair = make_pair("silenced", b_flags=["--credential-ttl-ms", str(FALLBACK_TTL_MS)])
    database = database_of(pair.store_url)
    wait_for_listeners(cluster, database, 2)
    pids = [b["pid"] for b in cluster.backends(LISTENER_NAME) if b["database"] == database]
    project = str(uuid.uuid4())
    poller = Poller(pair.b)
    stopped: list[int] = []
    try:
        token = token_on(pair.a, project, "listener-silenced")
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)
            stopped.append(pid)
        warm(pair.b, token["secret_key"], project)
        warmed = time.monotonic()
        assert poller.status(token["secret_key"], project) == 200
        deleted = pair.a.delete(token["id"])
        answered = time.monotonic()
        assert deleted.status == 204, deleted
        seconds, _, seen = poller.until(token["secret_key"], project, 401, REVOCATION_GIVE_UP_S, answered)
    finally:
        poller.close()
        for pid in stopped:
            os.kill(pid, signal.SIGCONT)
    since_warmed = answered + seconds - warmed
    figure(f"listener silenced (its backend SIGSTOPped): a delete on A is 401 on B {seconds * 1000:.0f} ms after "
           f"the DELETE, {since_warmed * 1000:.0f} ms after B cached the secret (--credential-ttl-ms {FALLBACK_TTL_MS}; "
           f"{dict(seen)})")
    assert since_warmed * 1000 <= FALLBACK_TTL_MS + FALLBACK_SLACK_MS, \
        f"with its notifications silenced, B verified a deleted secret {since_warmed * 1000:.0f} ms after caching it, " \
        f"past its --credential-ttl-ms {FALLBACK_TTL_MS} (+{FALLBACK_SLACK_MS} ms)\n{pair.logs()}"


# ---------------------------------------------------------------- load, for the fault tests


@dataclass
class Outcome:
    instance: str
    status: int | None        # None: no answer (what is in `error`)
    seconds: float
    received: float           # time.monotonic() at the answer
    sent: float
    token_id: str | None = None
    body: str = ""
    error: str = ""


@dataclass
class Load:
    """Threads creating tokens on given instances until stopped; every outcome recorded."""
    instances: list[Instance]
    project: str
    threads_each: int
    timeout: float
    outcomes: list[Outcome] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def worker(self, instance: Instance, number: int) -> None:
        n = 0
        while not self.stop.is_set():
            n += 1
            sent = time.monotonic()
            try:
                answer = instance.create(self.project, f"load-{instance.name}-{number}-{n}", timeout=self.timeout)
                received = time.monotonic()
                outcome = Outcome(instance.name, answer.status, received - sent, received, sent,
                                  answer.json.get("id") if answer.status == 200 and isinstance(answer.json, dict) else None,
                                  answer.text[:300])
            except ConnectionRefusedError as error:
                received = time.monotonic()
                outcome = Outcome(instance.name, None, received - sent, received, sent, error=f"refused: {error}")
                time.sleep(0.02)
            except (OSError, http.client.HTTPException) as error:
                received = time.monotonic()
                outcome = Outcome(instance.name, None, received - sent, received, sent,
                                  error=f"{type(error).__name__}: {error}")
            with self.lock:
                self.outcomes.append(outcome)
            if outcome.status is not None and outcome.status != 200:
                time.sleep(0.01)  # 503s while the database is away: do not spin

    def __enter__(self) -> "Load":
        self.pool = ThreadPoolExecutor(len(self.instances) * self.threads_each)
        self.futures = [self.pool.submit(self.worker, instance, n)
                        for instance in self.instances for n in range(self.threads_each)]
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop.set()
        for future in self.futures:
            future.result(timeout=self.timeout + 30)
        self.pool.shutdown()

    def of(self, instance: Instance) -> list[Outcome]:
        with self.lock:
            return [o for o in self.outcomes if o.instance == instance.name]


def is_documented_503(outcome: Outcome) -> bool:
    try:
        body = json.loads(outcome.body)
    except ValueError:
        return False
    return outcome.status == 503 and isinstance(body, dict) and body.get("type") == "out_of_stock" \
        and isinstance(body.get("message"), str)


def read_back(reader: Instance, ids: list[str]) -> list[str]:
    """The ids that the reader does not answer 200 for (each with what it answered)."""
    def check(token_id: str) -> str | None:
        answer = reader.get(token_id)
        return None if answer.status == 200 else f"{token_id}: {answer}"

    with ThreadPoolExecutor(8) as pool:
        return [problem for problem in pool.map(check, ids) if problem]


def region_state(instance: Instance) -> str:
    try:
        status, body = instance.health(timeout=STORE_TIMEOUT_MS / 1000 + ANSWER_SLACK_S)
    except (OSError, http.client.HTTPException) as error:
        return f"no answer ({type(error).__name__})"
    if isinstance(body, dict) and body.get("regions"):
        return f"HTTP {status} state {body['regions'][0].get('state')}"
    return f"HTTP {status} {body!r}"[:200]


def first_create_after(outcomes: list[Outcome], moment: float) -> float | None:
    """Seconds from `moment` to the first create answered 200 that was sent after it."""
    times = [o.received for o in outcomes if o.status == 200 and o.sent >= moment]
    return min(times) - moment if times else None


# ---------------------------------------------------------------- (f) SIGKILL of one instance


def test_sigkill_of_a_under_load_loses_nothing_and_b_goes_on(make_pair):
    pair = make_pair("sigkill", a_flags=["--store-timeout-ms", str(STORE_TIMEOUT_MS)],
                     b_flags=["--store-timeout-ms", str(STORE_TIMEOUT_MS)])
    load = Load([pair.a, pair.b], str(uuid.uuid4()), threads_each=4, timeout=STORE_TIMEOUT_MS / 1000 + ANSWER_SLACK_S)
    with load:
        time.sleep(1.5)
        killed_at = time.monotonic()
        pair.a.kill()
        time.sleep(1.5)
    a_outcomes, b_outcomes = load.of(pair.a), load.of(pair.b)
    acked_a = [o.token_id for o in a_outcomes if o.status == 200]
    b_after = [o for o in b_outcomes if o.sent > killed_at]
    problems = [o for o in b_outcomes if o.status != 200]
    a_other = Counter(o.status if o.status is not None else o.error.split(":")[0] for o in a_outcomes if o.status != 200)
    missing = read_back(pair.b, acked_a)
    figure(f"SIGKILL of A under load: A acknowledged {len(acked_a)} creates (other outcomes {dict(a_other)}), "
           f"B answered {len(b_outcomes)} ({len(b_after)} after the kill, {len(problems)} not 200); "
           f"A's acknowledged creates missing on B: {len(missing)}")
    assert len(acked_a) > 20, f"too little load on A before the kill: {len(acked_a)} creates\n{pair.logs()}"
    assert len(b_after) > 20, f"B served only {len(b_after)} creates after A was killed\n{pair.logs()}"
    assert not problems, f"B's answers that were not 200: {[(o.status, o.error, o.body) for o in problems][:10]}"
    assert all(o.status in (None, 200) for o in a_outcomes), \
        f"A answered something else than 200 before it died: {[(o.status, o.body) for o in a_outcomes if o.status not in (None, 200)][:5]}"
    assert not missing, f"{len(missing)} creates acknowledged by A are not on B: {missing[:10]}"
    # A comes back on the same database and serves B's tokens.
    pair.a.start()
    some = [o.token_id for o in b_outcomes if o.status == 200][-20:]
    assert not read_back(pair.a, some), "A, restarted, does not read B's tokens"


# ---------------------------------------------------------------- (e) the database restarted under load


def test_a_database_restart_under_load_loses_nothing_and_both_recover(make_pair, cluster):
    flags = ["--store-timeout-ms", str(STORE_TIMEOUT_MS)]
    pair = make_pair("restart", a_flags=flags, b_flags=flags)
    project = str(uuid.uuid4())
    cached = token_on(pair.a, project, "cached-during-outage")
    warm(pair.a, cached["secret_key"], project)
    warm(pair.b, cached["secret_key"], project)
    limit = STORE_TIMEOUT_MS / 1000 + ANSWER_SLACK_S
    verifies: Counter = Counter()
    states: list[str] = []
    stop_verifying = threading.Event()

    def verifying() -> None:
        while not stop_verifying.is_set():
            for instance in (pair.a, pair.b):
                try:
                    verifies[(instance.name, instance.verify(cached["secret_key"], project).status)] += 1
                except (OSError, http.client.HTTPException) as error:
                    verifies[(instance.name, type(error).__name__)] += 1
            time.sleep(0.02)

    load = Load([pair.a, pair.b], project, threads_each=3, timeout=limit)
    verifier = threading.Thread(target=verifying, daemon=True)
    with load:
        verifier.start()
        time.sleep(1.0)
        # 1. pg_ctl restart -m immediate: a crash, recovery, back at once.
        restart_seconds = cluster.restart("immediate")
        back_after_restart = time.monotonic()
        time.sleep(2.0)
        # 2. Stopped (immediate) for DOWN_FOR_S: what the instances answer while it is away.
        cluster.stop_server("immediate")
        down_at = time.monotonic()
        time.sleep(DOWN_FOR_S / 2)
        with ThreadPoolExecutor(2) as pool:  # health may wait out the store timeout: both at once
            states += [f"{who} {state}" for who, state in zip("AB", pool.map(region_state, (pair.a, pair.b)))]
        time.sleep(max(0.0, down_at + DOWN_FOR_S - time.monotonic()))
        cluster.start_server()
        back_at = time.monotonic()
        deadline = back_at + RECOVERY_WITHIN_S
        while time.monotonic() < deadline and not all(first_create_after(load.of(i), back_at) for i in (pair.a, pair.b)):
            time.sleep(0.05)
        time.sleep(0.5)
    stop_verifying.set()
    verifier.join(timeout=limit + 5)

    outcomes = list(load.outcomes)
    statuses = Counter(o.status if o.status is not None else o.error.split(":")[0] for o in outcomes)
    bad = [o for o in outcomes if o.status != 200 and not is_documented_503(o)]
    slow = [o for o in outcomes if o.seconds > limit]
    acked = [(o.instance, o.token_id) for o in outcomes if o.status == 200]
    sample_503 = next((o.body for o in outcomes if o.status == 503), None)
    recovery = {i.name: first_create_after(load.of(i), back_at) for i in (pair.a, pair.b)}
    after_restart = {i.name: first_create_after(load.of(i), back_after_restart) for i in (pair.a, pair.b)}
    # Read every acknowledged create back on the instance that did not make it.
    missing = read_back(pair.b, [t for who, t in acked if who == pair.a.name]) + \
        read_back(pair.a, [t for who, t in acked if who == pair.b.name])
    verify_counts = dict(verifies)
    states_after = [f"A {region_state(pair.a)}", f"B {region_state(pair.b)}"]

    def seconds(value):
        return "never" if value is None else f"{value:.2f} s"

    figure(f"pg_ctl restart -m immediate ({restart_seconds:.2f} s) and {DOWN_FOR_S:.0f} s stopped, under "
           f"{len(load.futures)} creating threads: {len(outcomes)} creates {dict(statuses)}, {len(acked)} acknowledged, "
           f"missing afterwards {len(missing)}; slowest answer {max(o.seconds for o in outcomes):.2f} s")
    figure(f"recovery: first create after the restart A {seconds(after_restart[pair.a.name])}, "
           f"B {seconds(after_restart[pair.b.name])}; after the {DOWN_FOR_S:.0f} s outage A {seconds(recovery[pair.a.name])}, "
           f"B {seconds(recovery[pair.b.name])}; health while down: {'; '.join(states)}; after: {'; '.join(states_after)}")
    figure(f"a cached secret's verify during it all: {verify_counts}; a 503 while away: {sample_503}")

    context = f"\n{pair.logs()}\n--- postgresql log\n{cluster.log_text(3000)}"
    assert not bad, f"{len(bad)} answers other than 200 and the documented 503 out_of_stock: " \
                    f"{[(o.instance, o.status, o.error or o.body) for o in bad][:10]}{context}"
    assert not slow, f"{len(slow)} answers slower than --store-timeout-ms + {ANSWER_SLACK_S} s: " \
                     f"{[(o.instance, round(o.seconds, 2), o.status) for o in slow][:10]}{context}"
    assert statuses.get(503, 0) > 0, f"no 503 while the database was stopped for {DOWN_FOR_S} s: {dict(statuses)}{context}"
    assert not missing, f"{len(missing)} acknowledged creates missing afterwards: {missing[:10]}{context}"
    if not (all(recovery.values()) and all(after_restart.values())):
        def since(instance: Instance, moment: float) -> str:
            later = [o for o in load.of(instance) if o.sent >= moment]
            last = later[-1] if later else None
            return f"{dict(Counter(o.status or o.error for o in later))}, the last after {last.seconds:.2f} s: " \
                   f"{last.status} {last.body or last.error}" if last else "nothing sent"
        own = {i.name: [t for w, t in acked if w == i.name] for i in (pair.a, pair.b)}
        probes = {i.name: {"GET": str(i.get(own[i.name][0])) if own[i.name] else None} for i in (pair.a, pair.b)}
        for i in (pair.a, pair.b):  # after both GETs: each deletes its own last token
            probes[i.name]["DELETE"] = str(i.delete(own[i.name][-1])) if own[i.name] else None
        raise AssertionError(
            f"an instance did not create again within {RECOVERY_WITHIN_S} s of the database's return: first create "
            f"after the restart {after_restart}, after the outage {recovery}.\n"
            + "".join(f"{i.name}: creates sent after the restart {since(i, back_after_restart)}; "
                      f"after the outage {since(i, back_at)}\n" for i in (pair.a, pair.b))
            + f"then, on each instance, a GET and a DELETE of tokens it made: {probes}; health: {states_after}{context}")
    assert all("down" in s for s in states), f"health while the database was stopped: {states}"
    assert all("state ok" in s for s in states_after), f"health after recovery: {states_after}{context}"
    refused_cached = {k: v for k, v in verifies.items() if k[1] not in (200, 503)}
    assert not refused_cached, f"a live cached secret answered other than 200 or 503 during the outage: {refused_cached}"
