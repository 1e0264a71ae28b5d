"""A gateway in front of regions that crash, hang or answer garbage.

Starts its own topology (harness.tokend.Topology): fr-par, nl-ams and pl-waw, each a
`tokend region` process, behind a `tokend gateway` with connect_timeout_ms=300 and
read_timeout_ms=1000 per region. A second gateway fronts fr-par plus three fake regions
played by Python servers: one that hangs, one that answers HTML, one that answers bytes
that are not HTTP. Every broken region must come out as a 503 `out_of_stock` naming it,
quickly, while the healthy regions keep answering fast.

The xScaler portal through the same gateway (docs/portal.md, "Regions: the tenant
directory"): a killed or stalled region is 503 `unavailable` naming it for its own tenants
(get, keys, key create, verify; nginx-mode verify a 403 with X-Tokend-Status: 503), and for
what needs every region (the tenant list, the org summary, a tenant id no live region holds),
while the other regions' tenants answer as before; a restarted region serves its tenants
and keys again; activity pages across the three regions newest first, each event once; a
restarted gateway rebuilds its directory on demand.

Run:  .venv/bin/python -m pytest -q -s scripts/federation_faults_test.py
(-s shows the measured latencies; the binary is TOKEND_BINARY, default .build/debug/tokend.)
"""

import os
import random
import signal
import socketserver
import statistics
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from harness.inprocess import serving
from harness.tokend import Gateway, Topology
from portal_test import PUSH, Portal, assert_error, assert_key, assert_ok, assert_tenant, send, verify

CONNECT_TIMEOUT_MS = 300
READ_TIMEOUT_MS = 1000
REGIONS = ("fr-par", "nl-ams", "pl-waw")
HEALTHY = ("fr-par", "nl-ams")
VICTIM = "pl-waw"
HEADERS = {"X-Auth-Token": "federation-faults"}
PROJECT = str(uuid.uuid4())

CALLS = 50  # per healthy region, before and after the kill
HEALTHY_MEDIAN_LIMIT_S = 0.050
KILLED_503_LIMIT_S = 1.5  # "well within" read_timeout_ms + connect_timeout_ms
SLOW_503_LIMIT_S = 1.2  # read_timeout_ms plus a little scheduling slack
SLOW_SERVER_DELAY_S = 5.0
HTTP_TIMEOUT_S = 10  # the client's own bound: a hung gateway fails the test, never the run


# ---------------------------------------------------------------- helpers


def tokens_url(base, region, token_id=None):
    url = f"{base}/cockpit/v1/regions/{region}/tokens"
    return f"{url}/{token_id}" if token_id else url


def timed(call, *args, **kwargs):
    """(response, seconds) of one call."""
    started = time.perf_counter()
    response = call(*args, timeout=HTTP_TIMEOUT_S, **kwargs)
    return response, time.perf_counter() - started


def create_token(session, base, region, name):
    response = session.post(tokens_url(base, region), headers=HEADERS, timeout=HTTP_TIMEOUT_S,
                            json={"project_id": PROJECT, "name": name, "token_scopes": ["write_only_metrics"]})
    assert response.status_code == 200, f"create in {region}: {response.status_code} {response.text}"
    token = response.json()
    assert token["region"] == region and token["name"] == name
    return token


def list_latencies(session, base, region, calls=CALLS):
    """Lists `region` `calls` times; every call must be a 200. Returns the latencies in seconds."""
    latencies = []
    for _ in range(calls):
        response, elapsed = timed(session.get, tokens_url(base, region), headers=HEADERS)
        assert response.status_code == 200, f"{region}: {response.status_code} {response.text}"
        assert response.json()["total_count"] >= 0
        latencies.append(elapsed)
    return latencies


def ms(seconds):
    return f"{seconds * 1000:.1f} ms"


def describe(latencies):
    return (f"median {ms(statistics.median(latencies))}, p95 {ms(sorted(latencies)[int(len(latencies) * 0.95) - 1])}, "
            f"max {ms(max(latencies))} over {len(latencies)}")


def report(line):
    # Shown with pytest -s; the final report quotes these numbers.
    print(f"\n[measure] {line}", flush=True)


def assert_region_unavailable(response, region):
    """The gateway's answer for a region it cannot use: the contract's 503, naming the region,
    as JSON; never whatever the broken region sent."""
    assert response.status_code == 503, f"{response.status_code} {response.headers} {response.text[:300]!r}"
    assert response.headers.get("Content-Type", "").startswith("application/json"), response.headers
    assert "<html" not in response.text.lower()
    body = response.json()
    assert set(body) == {"message", "resource", "type"}, body
    assert body["type"] == "out_of_stock"
    assert body["resource"] == f"region {region}"
    assert body["message"].startswith(f"region {region} is unavailable: "), body
    assert response.headers.get("X-Request-Id")
    return body


class Hammer:
    """Keeps calling one region from background threads, so that its failures overlap the
    calls being measured (a dead region's 503 takes connect_timeout_ms: keep several in flight)."""

    def __init__(self, url, threads=4):
        self.url, self.statuses, self._stop = url, [], threading.Event()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]

    def _run(self):
        with requests.Session() as session:
            while not self._stop.is_set():
                try:
                    self.statuses.append(session.get(self.url, headers=HEADERS, timeout=HTTP_TIMEOUT_S).status_code)
                except requests.RequestException as error:
                    self.statuses.append(repr(error))

    def __enter__(self):
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc_info):
        self._stop.set()
        for thread in self._threads:
            thread.join(HTTP_TIMEOUT_S + 1)
            assert not thread.is_alive(), "a background caller hung"


# ---------------------------------------------------------------- fake regions


class FakeHTTPRegion(BaseHTTPRequestHandler):
    """Counts each request, then lets the subclass answer it."""

    def _handle(self):
        self.server.hits += 1
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.answer()

    do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = _handle

    def log_message(self, *args):  # keep pytest's output for the measurements
        pass


class SlowRegion(FakeHTTPRegion):
    """Accepts, then sleeps SLOW_SERVER_DELAY_S before a perfectly valid JSON answer."""

    def answer(self):
        self.server.release.wait(SLOW_SERVER_DELAY_S)
        body = b'{"total_count":0,"tokens":[]}'
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass  # the gateway gave up long ago


class HTMLRegion(FakeHTTPRegion):
    """A 200 that is not the API: an HTML page (a captive portal, a misrouted proxy)."""

    def answer(self):
        body = b"<html><body><h1>Welcome to nginx!</h1></body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class JunkRegion(socketserver.BaseRequestHandler):
    """Reads a little, writes bytes that are not HTTP, hangs up."""

    def handle(self):
        self.server.hits += 1
        self.request.settimeout(1)
        try:
            self.request.recv(4096)
            self.request.sendall(b"\x00\x01\x02 SSH-2.0-definitely-not-http \xff\xfe\r\n\r\n")
        except OSError:
            pass


@contextmanager
def fake_region(handler):
    """Runs a fake region on a free loopback port; yields its server (url, hits)."""
    server_class = ThreadingHTTPServer if issubclass(handler, BaseHTTPRequestHandler) else socketserver.ThreadingTCPServer
    server = server_class(("127.0.0.1", 0), handler)
    server.hits, server.release = 0, threading.Event()
    with serving(server, f"fake region {handler.__name__}"):
        try:
            yield server
        finally:
            server.release.set()  # wake sleeping handlers


# ---------------------------------------------------------------- fixtures


def _print_logs_if_failed(request, failed_before, processes):
    # Called after the processes are stopped, so that a crash's backtrace is complete.
    if request.session.testsfailed > failed_before:
        for process in processes:
            sys.__stderr__.write(f"\n--- {process.label} {process.name} log\n{process.log_text()}\n")


@pytest.fixture(scope="module")
def topology(request):
    failed_before = request.session.testsfailed
    started = Topology(REGIONS, connect_timeout_ms=CONNECT_TIMEOUT_MS, read_timeout_ms=READ_TIMEOUT_MS).start()
    try:
        yield started
    finally:
        started.stop(keep_files=True)
        _print_logs_if_failed(request, failed_before, started.processes)
        started.remove_files()


@pytest.fixture(scope="module")
def session():
    with requests.Session() as s:
        yield s


@pytest.fixture
def topo(topology, session):
    """The module's topology with pl-waw up and every region empty; a test that kills pl-waw
    restarts it in `restore_victim`, so the next test still sees three live regions."""
    if not topology.regions[VICTIM].is_running():
        topology.regions[VICTIM].start()
    topology.gateway.wait_regions_ok(REGIONS, timeout=10)
    response = session.post(f"{topology.url}/_tokend/reset", timeout=HTTP_TIMEOUT_S)
    assert response.status_code == 200, response.text
    assert sorted(response.json()["reset"]) == sorted(REGIONS)
    return topology


@pytest.fixture
def restore_victim(topo):
    """For tests that kill pl-waw: whatever happens, it is running again afterwards."""
    yield topo.regions[VICTIM]
    if not topo.regions[VICTIM].is_running():
        topo.regions[VICTIM].start()


@pytest.fixture(scope="module")
def fakes():
    with fake_region(SlowRegion) as slow, fake_region(HTMLRegion) as html, fake_region(JunkRegion) as junk:
        yield {"xx-slow": slow, "xx-html": html, "xx-junk": junk}


@pytest.fixture(scope="module")
def fault_gateway(request, topology, fakes, tmp_path_factory):
    """A second gateway: the real fr-par next to the three fake regions."""
    locations = {"fr-par": topology.regions["fr-par"].url, **{name: server.url for name, server in fakes.items()}}
    gateway = Gateway(tmp_path_factory.mktemp("fault-gateway"), locations,
                      connect_timeout_ms=CONNECT_TIMEOUT_MS, read_timeout_ms=READ_TIMEOUT_MS)
    failed_before = request.session.testsfailed
    try:
        gateway.start()
        yield gateway
    finally:
        gateway.stop()
        _print_logs_if_failed(request, failed_before, [gateway])


# ---------------------------------------------------------------- the contract through the gateway


def test_contract_basics_in_every_region_through_the_gateway(topo, session):
    base = topo.url
    tokens = {region: create_token(session, base, region, f"basic-{region}") for region in REGIONS}
    for region, token in tokens.items():
        assert token["secret_key"].startswith(f"tkd_{region.replace('-', '')}_")

        got = session.get(tokens_url(base, region, token["id"]), headers=HEADERS, timeout=HTTP_TIMEOUT_S)
        assert got.status_code == 200, got.text
        assert got.headers["Content-Type"].startswith("application/json")
        assert got.json() == {**token, "secret_key": None}

        listed = session.get(tokens_url(base, region), headers=HEADERS, timeout=HTTP_TIMEOUT_S).json()
        assert (listed["total_count"], [t["id"] for t in listed["tokens"]]) == (1, [token["id"]])

        # Each region holds only its own token.
        other = next(r for r in REGIONS if r != region)
        elsewhere = session.get(tokens_url(base, other, token["id"]), headers=HEADERS, timeout=HTTP_TIMEOUT_S)
        assert elsewhere.status_code == 404 and elsewhere.json()["resource_id"] == token["id"]

    # A well-formed request id goes through the gateway to the region and back.
    request_id = str(uuid.uuid4())
    for region, token in tokens.items():
        deleted = session.delete(tokens_url(base, region, token["id"]), timeout=HTTP_TIMEOUT_S,
                                 headers={**HEADERS, "X-Request-Id": request_id})
        assert (deleted.status_code, deleted.content) == (204, b"")
        assert deleted.headers["Content-Type"].startswith("application/json")
        assert deleted.headers["X-Request-Id"] == request_id

        again = session.delete(tokens_url(base, region, token["id"]), headers=HEADERS, timeout=HTTP_TIMEOUT_S)
        assert again.status_code == 404
        assert again.json() == {"message": "resource is not found", "resource": "token",
                                "resource_id": token["id"], "type": "not_found"}

    unknown = session.get(tokens_url(base, "de-fra"), headers=HEADERS, timeout=HTTP_TIMEOUT_S)
    assert unknown.status_code == 400 and unknown.json()["type"] == "invalid_arguments"
    assert all(region in unknown.json()["details"][0]["help_message"] for region in REGIONS)


# ---------------------------------------------------------------- a region is SIGKILLed


def test_killed_region_is_503_fast_while_the_others_keep_serving(topo, session, restore_victim):
    for region in HEALTHY:  # warm up the gateway's connections first: measure steady state
        list_latencies(session, topo.url, region, calls=5)
    before = {region: list_latencies(session, topo.url, region) for region in HEALTHY}

    restore_victim.kill()

    times_to_503 = []
    for _ in range(10):
        response, elapsed = timed(session.get, tokens_url(topo.url, VICTIM), headers=HEADERS)
        assert_region_unavailable(response, VICTIM)
        assert elapsed < KILLED_503_LIMIT_S, f"503 took {ms(elapsed)}"
        times_to_503.append(elapsed)
    # A write is refused the same way: nothing is queued or half-done.
    response, elapsed = timed(session.post, tokens_url(topo.url, VICTIM), headers=HEADERS,
                              json={"project_id": PROJECT, "name": "while-down", "token_scopes": ["read_only_logs"]})
    assert_region_unavailable(response, VICTIM)
    times_to_503.append(elapsed)
    report(f"killed {VICTIM}: time to 503 {describe(times_to_503)}")

    # Meanwhile (pl-waw calls failing in the background), the healthy regions answer as before.
    with Hammer(tokens_url(topo.url, VICTIM)) as hammer:
        after = {region: list_latencies(session, topo.url, region) for region in HEALTHY}
    assert hammer.statuses and set(hammer.statuses) == {503}, set(map(str, hammer.statuses))

    for region in HEALTHY:
        report(f"{region} before kill: {describe(before[region])}")
        report(f"{region} after kill ({len(hammer.statuses)} concurrent {VICTIM} 503s): {describe(after[region])}")
        assert statistics.median(after[region]) < HEALTHY_MEDIAN_LIMIT_S, describe(after[region])
        assert statistics.median(before[region]) < HEALTHY_MEDIAN_LIMIT_S, describe(before[region])


def test_gateway_health_shows_the_killed_region_down(topo, restore_victim):
    restore_victim.kill()
    started = time.perf_counter()
    response = requests.get(f"{topo.url}/_tokend/health", timeout=HTTP_TIMEOUT_S)
    elapsed = time.perf_counter() - started
    report(f"gateway health with {VICTIM} killed answered in {ms(elapsed)}")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    states = {entry["region"]: entry for entry in body["regions"]}
    assert sorted(states) == sorted(REGIONS)

    down = states[VICTIM]
    assert down["state"] == "down", down
    assert down["location"] == restore_victim.url
    assert isinstance(down["last_error"], str) and f"region {VICTIM} is unavailable" in down["last_error"], down
    for region in HEALTHY:
        assert states[region]["state"] == "ok", states[region]
        assert states[region]["last_error"] is None, states[region]
        assert states[region]["location"] == topo.regions[region].url
    assert elapsed < KILLED_503_LIMIT_S


def test_restarted_region_is_served_again_with_its_tokens(topo, session, restore_victim):
    gateway_pid = topo.gateway.pid
    hash_key = (restore_victim.data_dir / "hash.key").read_bytes()
    kept = create_token(session, topo.url, VICTIM, "before-the-crash")
    # A burst right before the crash: every acknowledged create must survive SIGKILL.
    burst = [create_token(session, topo.url, VICTIM, f"burst-{i:02d}")["id"] for i in range(20)]

    restore_victim.kill()
    assert_region_unavailable(session.get(tokens_url(topo.url, VICTIM), headers=HEADERS, timeout=HTTP_TIMEOUT_S), VICTIM)

    port = restore_victim.port
    restore_victim.start()  # same port, same data dir; the gateway is not touched
    assert restore_victim.port == port

    # The very first call through the gateway works: it remembered nothing about the outage.
    got, elapsed = timed(session.get, tokens_url(topo.url, VICTIM, kept["id"]), headers=HEADERS)
    assert got.status_code == 200, got.text
    assert got.json() == {**kept, "secret_key": None}
    report(f"first call through the gateway after {VICTIM} restarted: {ms(elapsed)}")

    listed = session.get(tokens_url(topo.url, VICTIM), headers=HEADERS, timeout=HTTP_TIMEOUT_S,
                         params={"page_size": 100}).json()
    assert listed["total_count"] == 21
    assert sorted(t["id"] for t in listed["tokens"]) == sorted([kept["id"], *burst])
    assert (restore_victim.data_dir / "hash.key").read_bytes() == hash_key, "the hash key must survive"

    assert topo.gateway.pid == gateway_pid and topo.gateway.is_running()
    assert topo.gateway.region_states()[VICTIM]["state"] == "ok"
    # Writes work again too.
    create_token(session, topo.url, VICTIM, "after-the-restart")


# ---------------------------------------------------------------- a region that hangs or answers garbage


def test_slow_region_is_503_at_the_read_timeout_while_fr_par_stays_fast(fault_gateway, fakes):
    slow = fakes["xx-slow"]
    hits_before = slow.hits
    results = []

    def call_slow():
        results.append(timed(requests.get, tokens_url(fault_gateway.url, "xx-slow"), headers=HEADERS))

    # Three hung calls in flight while fr-par is measured through the same gateway.
    callers = [threading.Thread(target=call_slow) for _ in range(3)]
    for caller in callers:
        caller.start()
    with requests.Session() as session:
        time.sleep(0.1)  # let the slow calls reach the fake region first
        during = list_latencies(session, fault_gateway.url, "fr-par", calls=20)
    for caller in callers:
        caller.join(HTTP_TIMEOUT_S + 1)

    assert len(results) == 3
    for response, elapsed in results:
        body = assert_region_unavailable(response, "xx-slow")
        assert f"{READ_TIMEOUT_MS} ms" in body["message"], body
        # Not before the read timeout (it was waited for), and not long after it.
        assert READ_TIMEOUT_MS / 1000 * 0.9 <= elapsed < SLOW_503_LIMIT_S, f"503 after {ms(elapsed)}"
    assert slow.hits - hits_before >= 3, "the requests did reach the slow region"
    report(f"xx-slow (sleeps {SLOW_SERVER_DELAY_S:.0f} s): time to 503 {describe([e for _, e in results])}")
    report(f"fr-par through the same gateway during the hung calls: {describe(during)}")
    assert statistics.median(during) < HEALTHY_MEDIAN_LIMIT_S


REQUESTS = [
    ("GET", ""),
    ("POST", ""),
    ("GET", "/11111111-2222-4333-8444-555555555555"),
    ("DELETE", "/11111111-2222-4333-8444-555555555555"),
]


@pytest.mark.parametrize("region", ["xx-html", "xx-junk"])
@pytest.mark.parametrize("method, suffix", REQUESTS, ids=[f"{m} {s or '/tokens'}" for m, s in REQUESTS])
def test_garbage_region_is_503_never_passed_through(fault_gateway, fakes, region, method, suffix):
    hits_before = fakes[region].hits
    body = {"project_id": PROJECT, "name": "garbage", "token_scopes": ["read_only_logs"]} if method == "POST" else None
    response, elapsed = timed(requests.request, method, tokens_url(fault_gateway.url, region) + suffix,
                              headers=HEADERS, json=body)
    assert_region_unavailable(response, region)
    assert "nginx" not in response.text and "SSH" not in response.text
    assert fakes[region].hits > hits_before, "the request did reach the fake region"
    assert elapsed < SLOW_503_LIMIT_S, f"503 after {ms(elapsed)}"
    report(f"{region} {method} {suffix or '/tokens'}: 503 in {ms(elapsed)}: {response.json()['message']}")


def test_fault_gateway_health_names_each_broken_region(fault_gateway):
    states = fault_gateway.region_states(timeout=HTTP_TIMEOUT_S)
    assert states["fr-par"]["state"] == "ok", states["fr-par"]
    for region in ("xx-slow", "xx-html", "xx-junk"):
        assert states[region]["state"] == "down", states[region]
        assert f"region {region} is unavailable" in (states[region]["last_error"] or ""), states[region]


# ---------------------------------------------------------------- the xScaler portal through the gateway
#
# docs/portal.md, "Regions: the tenant directory": the gateway keeps tenant id -> region in
# memory, filled at create and when a tenant is first asked for (it asks every region's
# /_tokend/tenants/{id}). In open mode the gateway and its regions share the JWT key, so a
# login at the gateway is accepted by every region. Portal errors are
# {"error": ..., "message": ...}; verify answers in the data plane's (Cockpit's) terms.

PORTAL_EMAIL, PORTAL_PASSWORD = "faults@example.com", "Faults-pass-1"
TENANT_SLUG = "default"  # --portal-org-name Default
NGINX_VERIFY = "/_tokend/verify?mode=nginx"


def unknown_tenant_id():
    """A well-formed tenant id of the organisation that no region holds (never created)."""
    return f"xs_{TENANT_SLUG}_" + "".join(random.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(8))


def portal_at(gateway):
    return Portal(gateway.port).login(PORTAL_EMAIL, PORTAL_PASSWORD)


@pytest.fixture
def portal(topo):
    """Signed in at the gateway (the regions accept its JWT)."""
    return portal_at(topo.gateway)


def tenant_with_key(portal, region, name):
    """A tenant created through the gateway in `region`, with one key: {"tenant", "key"}."""
    tenant = assert_tenant(portal.tenant(name, "prod", region=region), slug=TENANT_SLUG, region=region)
    key = assert_key(portal.key(tenant["id"], f"{name}-key"), created=True)
    return {"tenant": tenant, "key": key}


def one_tenant_per_region(portal, label):
    return {region: tenant_with_key(portal, region, f"{label}-{region}") for region in REGIONS}


def stable_key_fields(key):
    """A key as listed, without what use changes (last_used_at) or only create shows (key)."""
    return {name: value for name, value in key.items() if name not in ("last_used_at", "key")}


def timed_call(call, *args, **kwargs):
    started = time.perf_counter()
    answer = call(*args, **kwargs)
    return answer, time.perf_counter() - started


def assert_portal_unavailable(answer, down=VICTIM):
    """The portal's 503: {"error": "unavailable", "message": …} naming the region that did
    not answer, and no other."""
    assert_error(answer, 503, "unavailable")
    message = answer.json["message"]
    assert down in message, f"the 503 does not name {down}: {answer}"
    for region in REGIONS:
        if region != down:
            assert region not in message, f"the 503 names {region}, which answers: {answer}"
    assert set(answer.json) == {"error", "message"}, answer
    return answer


def assert_unavailable_verify_body(answer, region):
    """The data plane's 503 body ({"message", "resource", "type": "out_of_stock"}) naming the
    region that cannot answer: `region pl-waw` when the directory knew the tenant's region,
    `regions` (the ones asked) when it did not; the message names it, and no live region."""
    body = answer.json
    assert isinstance(body, dict) and body.get("type") == "out_of_stock", answer
    assert body.get("resource") in (f"region {region}", "regions"), answer
    assert region in body["message"], answer
    for other in REGIONS:
        if other != region:
            assert other not in body["message"], f"the 503 names {other}, which answers: {answer}"


def assert_verify_unavailable(answer, region=VICTIM):
    """Plain verify while the tenant's region cannot answer: the data plane's 503 naming it,
    with Retry-After: 1 (README, data-plane auth)."""
    assert answer.status == 503, f"verify: expected 503, got {answer} {answer.headers}"
    assert answer.headers.get("retry-after") == "1", answer.headers
    assert_unavailable_verify_body(answer, region)
    return answer


def verify_nginx(port, secret, tenant, operation=PUSH):
    return send(port, "GET", NGINX_VERIFY, None, {
        "Authorization": f"Bearer {secret}", "X-Scope-OrgID": tenant,
        "X-Original-Method": operation[0], "X-Original-URI": operation[1]})


def assert_verify_nginx_unavailable(answer, region=VICTIM):
    """nginx mode folds the 503 into a 403 and says the real status in X-Tokend-Status."""
    assert answer.status == 403, f"nginx verify: expected 403, got {answer} {answer.headers}"
    assert answer.headers.get("x-tokend-status") == "503", answer.headers
    assert_unavailable_verify_body(answer, region)
    return answer


def assert_verified(port, world):
    """Every {"tenant", "key"} of `world` verifies (a push) through the gateway."""
    for region, entry in world.items():
        answer = verify(port, entry["key"]["key"], entry["tenant"]["id"])
        assert answer.status == 200, f"verify of {region}'s key: {answer}"
        assert answer.json["tenant"] == entry["tenant"]["id"], answer


@contextmanager
def stalled(process):
    """SIGSTOP: the region's port still accepts connections (the kernel's backlog), but
    nothing answers, like SlowRegion; SIGCONT afterwards, whatever happens."""
    os.kill(process.pid, signal.SIGSTOP)
    try:
        yield process
    finally:
        os.kill(process.pid, signal.SIGCONT)


def test_portal_unknown_tenant_is_404_while_every_region_answers(topo, portal):
    one_tenant_per_region(portal, "known")
    missing = unknown_tenant_id()
    for method, path in (("GET", f"/tenants/{missing}"), ("GET", f"/tenants/{missing}/keys")):
        answer = assert_error(portal.call(method, path), 404, "not_found")
        assert missing in answer.json["message"], answer
    # A key of some tenant presented for a tenant no region holds is refused, not 503.
    key = tenant_with_key(portal, "fr-par", "someone")["key"]["key"]
    answer = verify(topo.gateway.port, key, missing)
    assert answer.status in (401, 403), f"verify for a tenant no region holds: {answer}"


def test_portal_killed_region_is_503_for_its_tenants_only(topo, portal, restore_victim):
    port = topo.gateway.port
    world = one_tenant_per_region(portal, "kill")
    assert_verified(port, world)
    victim = world[VICTIM]["tenant"]["id"]

    restore_victim.kill()

    # The victim's tenant (in the directory: created through this gateway) is 503 naming pl-waw, fast.
    for method, path, body in (("GET", f"/tenants/{victim}", None),
                               ("GET", f"/tenants/{victim}/keys", None),
                               ("POST", f"/tenants/{victim}/keys", {"display_name": "while-down"}),
                               ("GET", f"/dashboard/tenants/{victim}/usage", None)):
        answer, elapsed = timed_call(portal.call, method, path, body)
        assert_portal_unavailable(answer)
        assert elapsed < KILLED_503_LIMIT_S, f"{method} {path}: 503 took {ms(elapsed)}"
    secret = world[VICTIM]["key"]["key"]
    assert_verify_unavailable(verify(port, secret, victim))
    assert_verify_nginx_unavailable(verify_nginx(port, secret, victim))

    # The other regions' tenants answer as before: get, keys, a new key, verify.
    for region in HEALTHY:
        entry = world[region]
        tenant_id = entry["tenant"]["id"]
        got, elapsed = timed_call(portal.call, "GET", f"/tenants/{tenant_id}")
        assert assert_ok(got).json == entry["tenant"]
        assert elapsed < KILLED_503_LIMIT_S, f"{region} get took {ms(elapsed)}"
        listed = assert_ok(portal.call("GET", f"/tenants/{tenant_id}/keys")).json
        assert [stable_key_fields(k) for k in listed] == [stable_key_fields(entry["key"])]
        new_key = assert_key(portal.key(tenant_id, "while-pl-waw-is-down"), created=True)
        for secret in (entry["key"]["key"], new_key["key"]):
            answer = verify(port, secret, tenant_id)
            assert answer.status == 200, f"verify in {region} while {VICTIM} is down: {answer}"
            answer = verify_nginx(port, secret, tenant_id)
            assert answer.status == 200, f"nginx verify in {region} while {VICTIM} is down: {answer}"

    # What needs every region says which one did not answer.
    assert_portal_unavailable(portal.call("GET", "/tenants"))
    assert_portal_unavailable(portal.call("GET", "/dashboard/org/summary"))
    # A tenant no region holds cannot be told from one that lives in pl-waw: 503, not 404.
    missing = unknown_tenant_id()
    assert_portal_unavailable(portal.call("GET", f"/tenants/{missing}"))
    assert_portal_unavailable(portal.call("GET", f"/tenants/{missing}/keys"))

    assert topo.gateway.is_running()


def test_portal_create_in_a_live_region_while_another_is_down(topo, portal, restore_victim):
    before = one_tenant_per_region(portal, "before")
    restore_victim.kill()

    # In the down region itself: 503 naming it, nothing created.
    assert_portal_unavailable(portal.create_tenant("in-the-dead-region", "prod", region=VICTIM))

    # A tenant is created in a live region: the down region is not this tenant's region.
    created = {}
    for region in HEALTHY:
        answer = portal.create_tenant(f"while-down-{region}", "prod", region=region)
        assert answer.status == 201, (f"POST /tenants {{\"region\": \"{region}\"}} while {VICTIM} is down: "
                                      f"expected 201, got {answer}")
        created[region] = assert_tenant(answer.json, slug=TENANT_SLUG, region=region)
        key = assert_key(portal.key(created[region]["id"], "fresh"), created=True)
        assert verify(topo.gateway.port, key["key"], created[region]["id"]).status == 200
        assert assert_ok(portal.call("GET", f"/tenants/{created[region]['id']}")).json == created[region]

    restore_victim.start()
    listed = [t["id"] for t in portal.tenants()]
    assert sorted(listed) == sorted([e["tenant"]["id"] for e in before.values()] + [t["id"] for t in created.values()])


def test_portal_restarted_region_serves_its_tenants_again_without_a_gateway_restart(topo, portal, restore_victim):
    port, gateway_pid = topo.gateway.port, topo.gateway.pid
    world = one_tenant_per_region(portal, "crash")
    victim = world[VICTIM]["tenant"]["id"]
    second = assert_key(portal.key(victim, "second-key", scope="write"), created=True, scope="write")
    keys_before = [stable_key_fields(k) for k in portal.keys(victim)]
    assert len(keys_before) == 2

    restore_victim.kill()
    assert_portal_unavailable(portal.call("GET", f"/tenants/{victim}"))
    assert_verify_unavailable(verify(port, second["key"], victim))

    port_before = restore_victim.port
    restore_victim.start()  # same port, same data dir; the gateway is not touched
    assert restore_victim.port == port_before

    # The first call after the restart already works: the gateway kept no memory of the outage.
    got, elapsed = timed_call(portal.call, "GET", f"/tenants/{victim}")
    assert assert_ok(got).json == world[VICTIM]["tenant"]
    report(f"first portal call through the gateway after {VICTIM} restarted: {ms(elapsed)}")
    assert [stable_key_fields(k) for k in portal.keys(victim)] == keys_before
    for secret in (world[VICTIM]["key"]["key"], second["key"]):
        answer = verify(port, secret, victim)
        assert answer.status == 200, f"verify of a key made before the crash: {answer}"
    assert_verified(port, world)

    # Every region answers again: the lists and the summary too.
    assert sorted(t["id"] for t in portal.tenants()) == sorted(e["tenant"]["id"] for e in world.values())
    summary = assert_ok(portal.call("GET", "/dashboard/org/summary")).json
    assert summary["tenants"] == 3, summary
    assert_key(portal.key(victim, "after-restart"), created=True)

    assert topo.gateway.pid == gateway_pid and topo.gateway.is_running()


def test_portal_stalled_region_is_503_at_the_read_timeout_while_the_others_stay_fast(topo, portal):
    port = topo.gateway.port
    world = one_tenant_per_region(portal, "stall")
    victim = world[VICTIM]["tenant"]["id"]
    secret = world[VICTIM]["key"]["key"]
    missing = unknown_tenant_id()
    calls = [("get", lambda: portal.call("GET", f"/tenants/{victim}"), assert_portal_unavailable),
             ("keys", lambda: portal.call("GET", f"/tenants/{victim}/keys"), assert_portal_unavailable),
             ("create key", lambda: portal.create_key(victim, "while-stalled"), assert_portal_unavailable),
             ("verify", lambda: verify(port, secret, victim), assert_verify_unavailable),
             ("nginx verify", lambda: verify_nginx(port, secret, victim), assert_verify_nginx_unavailable),
             ("list", lambda: portal.call("GET", "/tenants"), assert_portal_unavailable),
             ("unknown tenant", lambda: portal.call("GET", f"/tenants/{missing}"), assert_portal_unavailable)]
    results = {}

    def run(name, call):
        results[name] = timed_call(call)

    with stalled(topo.regions[VICTIM]):
        threads = [threading.Thread(target=run, args=(name, call)) for name, call, _ in calls]
        for thread in threads:
            thread.start()
        time.sleep(0.1)  # the stalled calls are in flight: now measure the other regions
        during = []
        for _ in range(10):
            for region in HEALTHY:
                tenant_id = world[region]["tenant"]["id"]
                got, elapsed = timed_call(portal.call, "GET", f"/tenants/{tenant_id}")
                assert assert_ok(got).json == world[region]["tenant"]
                during.append(elapsed)
        for region in HEALTHY:
            answer = verify(port, world[region]["key"]["key"], world[region]["tenant"]["id"])
            assert answer.status == 200, f"verify in {region} while {VICTIM} stalls: {answer}"
            assert_key(portal.key(world[region]["tenant"]["id"], "while-stalled"), created=True)
        for thread in threads:
            thread.join(HTTP_TIMEOUT_S + 1)
            assert not thread.is_alive(), "a call to the stalled region hung"

    for name, _, check in calls:
        answer, elapsed = results[name]
        check(answer)
        if check is assert_portal_unavailable and name not in ("list", "unknown tenant"):
            assert f"{READ_TIMEOUT_MS} ms" in answer.json["message"], answer
        # Not before the read timeout (it was waited for), and not long after it.
        assert READ_TIMEOUT_MS / 1000 * 0.9 <= elapsed < SLOW_503_LIMIT_S, f"{name}: 503 after {ms(elapsed)}"
        report(f"{VICTIM} stalled, {name}: {answer.status} in {ms(elapsed)}")
    report(f"fr-par and nl-ams tenants through the gateway while {VICTIM} stalls: {describe(during)}")
    assert statistics.median(during) < HEALTHY_MEDIAN_LIMIT_S, describe(during)

    # Once it answers again, so do its tenants.
    assert assert_ok(portal.call("GET", f"/tenants/{victim}")).json == world[VICTIM]["tenant"]


def test_portal_activity_pages_across_three_regions_newest_first(topo, portal):
    # Each action waits for its answer before the next: the true order is the order of `done`.
    done = []  # (type, tenant_id, target), oldest first
    tenants = {}
    for region in ("pl-waw", "fr-par", "nl-ams"):  # not in name order, so the merge must sort
        tenants[region] = portal.tenant(f"activity-{region}", "prod", region=region)["id"]
        done.append(("tenant.created", tenants[region], tenants[region]))
    for round_ in range(2):
        for region in ("nl-ams", "pl-waw", "fr-par"):
            key = portal.key(tenants[region], f"round-{round_}")
            done.append(("api_key.created", tenants[region], key["id"]))
    expected = list(reversed(done))  # newest first: 9 events, so the last page holds one

    pages, cursor = [], None
    while True:
        answer = assert_ok(portal.call("GET", "/activity?limit=2" + (f"&cursor={cursor}" if cursor else "")))
        assert set(answer.json) == {"events", "next_cursor"}, answer
        pages.append(answer.json["events"])
        cursor = answer.json["next_cursor"]
        assert len(pages) <= len(expected), f"paging does not end: {pages}"
        if cursor is None:
            break
        assert isinstance(cursor, str) and cursor, answer
        assert len(answer.json["events"]) == 2, f"a page before the last holds {len(answer.json['events'])}: {answer}"
    assert [len(page) for page in pages] == [2, 2, 2, 2, 1], [[e["id"] for e in page] for page in pages]

    events = [event for page in pages for event in page]
    ids = [event["id"] for event in events]
    assert len(ids) == len(set(ids)), f"an event on two pages: {ids}"
    assert [(e["type"], e["tenant_id"], e["target"]) for e in events] == expected
    assert all(e["result"] == "success" and e["actor"] == {"email": PORTAL_EMAIL} for e in events), events
    timestamps = [event["timestamp"] for event in events]
    assert timestamps == sorted(timestamps, reverse=True), timestamps

    # One big page is the same list.
    whole = assert_ok(portal.call("GET", "/activity?limit=200")).json
    assert [e["id"] for e in whole["events"]] == ids and whole["next_cursor"] is None


def test_portal_directory_is_rebuilt_after_a_gateway_restart(topo):
    portal = portal_at(topo.gateway)
    world = one_tenant_per_region(portal, "restart")
    keys = {region: [stable_key_fields(k) for k in portal.keys(e["tenant"]["id"])] for region, e in world.items()}
    old_pid = topo.gateway.pid

    topo.gateway.restart()  # a new process on the same port, same region servers; its directory is empty
    assert topo.gateway.pid != old_pid
    topo.gateway.wait_regions_ok(REGIONS, timeout=10)
    port = topo.gateway.port
    portal = portal_at(topo.gateway)

    # Verify first for pl-waw (the last region asked, by name): the directory is filled by verify too.
    entry = world[VICTIM]
    answer = verify(port, entry["key"]["key"], entry["tenant"]["id"])
    assert answer.status == 200, f"verify through a restarted gateway, tenant not yet asked for: {answer}"
    for region, entry in world.items():
        tenant_id = entry["tenant"]["id"]
        assert assert_ok(portal.call("GET", f"/tenants/{tenant_id}")).json == entry["tenant"], region
        assert [stable_key_fields(k) for k in portal.keys(tenant_id)] == keys[region]
        assert_key(portal.key(tenant_id, "after-gateway-restart"), created=True)
    assert_verified(port, world)
    assert_error(portal.call("GET", f"/tenants/{unknown_tenant_id()}"), 404, "not_found")


def test_portal_gateway_restarted_while_a_region_is_down(topo, restore_victim):
    """The directory is empty and the region holding a tenant is down: that tenant is 503
    naming the region; tenants of live regions are found (200)."""
    portal = portal_at(topo.gateway)
    world = one_tenant_per_region(portal, "cold")
    restore_victim.kill()
    topo.gateway.restart()
    portal = portal_at(topo.gateway)
    port = topo.gateway.port

    victim = world[VICTIM]["tenant"]["id"]
    assert_portal_unavailable(portal.call("GET", f"/tenants/{victim}"))
    assert_verify_unavailable(verify(port, world[VICTIM]["key"]["key"], victim))
    assert_verify_nginx_unavailable(verify_nginx(port, world[VICTIM]["key"]["key"], victim))
    for region in HEALTHY:
        entry = world[region]
        assert assert_ok(portal.call("GET", f"/tenants/{entry['tenant']['id']}")).json == entry["tenant"]
        assert verify(port, entry["key"]["key"], entry["tenant"]["id"]).status == 200

    restore_victim.start()
    assert assert_ok(portal.call("GET", f"/tenants/{victim}")).json == world[VICTIM]["tenant"]
    assert_verified(port, world)


# ---------------------------------------------------------------- what the SDK sends, many times


SDK_STYLE_CALLS = 3000  # the crash this guards against came after 2 to 1200 calls in our runs


def test_gateway_survives_get_requests_with_a_body_as_the_python_sdk_sends():
    """The Python SDK sends `{}` as the body of every GET and DELETE. The gateway relays
    that body to the region; it must do so every time without crashing. Its own topology,
    so that a crash here cannot take the other tests' gateway down."""
    with Topology(("fr-par",), connect_timeout_ms=CONNECT_TIMEOUT_MS, read_timeout_ms=READ_TIMEOUT_MS) as single, \
            requests.Session() as session:
        url = tokens_url(single.url, "fr-par") + "?page_size=3"
        dropped = None
        for done in range(SDK_STYLE_CALLS):
            try:
                response = session.get(url, headers=HEADERS, data=b"{}", timeout=HTTP_TIMEOUT_S)
            except requests.ConnectionError as error:
                dropped = f"the gateway dropped GET #{done + 1}: {error!r}"
                break
            assert response.status_code == 200, response.text
        if dropped:  # outside the except block, so the report is the crash, not urllib3's traceback
            time.sleep(0.5)
            crash = [line for line in single.gateway.log_text(tail=None).splitlines() if "Fatal error" in line]
            pytest.fail(f"{dropped}; gateway log: {crash[:1] or 'no fatal error logged'}", pytrace=False)
        assert single.gateway.is_running()
