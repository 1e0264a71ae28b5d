"""Proves README's nginx forward-auth block (scripts/nginx/tokend-forward-auth.conf) end to end.

A real nginx runs the shipped block in front of a tiny recording upstream (standing in for
Mimir/Loki) and asks a live tokend, named by TOKEND_URL, through `auth_request`. Collectors'
requests go through nginx; the test checks what the client gets and what the upstream saw.

Run:  scripts/with-server .venv/bin/python -m pytest -q scripts/nginx_forward_auth_test.py
Needs nginx with the auth_request module (Debian package `nginx`); NGINX=/path overrides it.
nginx is started by the process harness (harness.nginx), on a free loopback port.
"""

import http.client
import http.server
import os
import re
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from harness.inprocess import serving
from harness.nginx import Nginx, nginx_binary

TOKEND_URL = os.environ.get("TOKEND_URL", "").rstrip("/")
if not TOKEND_URL:
    # A missing server is a broken setup, not a reason to skip: fail the whole module.
    raise RuntimeError("TOKEND_URL is not set: run under scripts/with-server, or point it at a running tokend")

REGION = os.environ.get("TOKEND_REGION", "fr-par")
HERE = Path(__file__).resolve().parent
CONF = HERE / "nginx" / "tokend-forward-auth.conf"
README = HERE.parent / "README.md"
# The README's values for the two placeholders of the shipped block.
README_VALUES = {"${TOKEND_ADDR}": "127.0.0.1:8080", "${UPSTREAM_ADDR}": "mimir:8080"}

TIMEOUT = 10  # seconds, for every HTTP call and every wait

PUSH_BODY = b"\x00snappy-compressed-protobuf-stand-in"


# ---------------------------------------------------------------- helpers


def render_block(values):
    """The shipped block with its placeholders replaced; refuses a placeholder left over."""
    text = CONF.read_text()
    for placeholder, value in values.items():
        assert placeholder in text, f"{CONF} lost its {placeholder} placeholder"
        text = text.replace(placeholder, value)
    leftover = re.findall(r"\$\{[A-Z_]+\}", text)
    assert not leftover, f"unreplaced placeholders in {CONF}: {leftover}"
    return text


def config_lines(text):
    """Non-empty, non-comment lines with runs of blanks folded, for comparing configs."""
    lines = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            lines.append(" ".join(line.split()))
    return lines


def readme_nginx_block():
    text = README.read_text()
    section = text.split("### nginx", 1)
    assert len(section) == 2, "README.md has no '### nginx' section"
    match = re.search(r"```nginx\n(.*?)```", section[1], re.S)
    assert match, "README.md's nginx section has no ```nginx block"
    return match.group(1)


# ---------------------------------------------------------------- upstream


class Upstream:
    """A stand-in for Mimir/Loki: records every request and answers 204."""

    def __init__(self):
        self.lock = threading.Lock()
        self.requests = []
        upstream = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def handle_any(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with upstream.lock:
                    upstream.requests.append({
                        "method": self.command,
                        "path": self.path,
                        "headers": self.headers,  # an email.message.Message: get_all() sees repeats
                        "body": body,
                    })
                self.send_response(204)
                self.send_header("X-Upstream", "stand-in")
                self.end_headers()

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = handle_any

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]

    def clear(self):
        with self.lock:
            self.requests.clear()

    def seen(self):
        with self.lock:
            return list(self.requests)


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def upstream():
    server = Upstream()
    with serving(server.server, "upstream"):
        yield server


@pytest.fixture(scope="module")
def nginx(upstream):
    binary = nginx_binary()
    tokend = urlsplit(TOKEND_URL)
    block = render_block({"${TOKEND_ADDR}": tokend.netloc, "${UPSTREAM_ADDR}": f"127.0.0.1:{upstream.port}"})
    proxy = Nginx(binary, block, block_name=CONF.name)
    try:
        proxy.start()
        yield proxy
    finally:
        proxy.stop()


@pytest.fixture(autouse=True)
def nginx_log_on_failure(request, capsys):
    """Empties the upstream's record before each test; prints nginx's error log after a failure."""
    if "nginx" not in request.fixturenames:
        yield
        return
    proxy = request.getfixturevalue("nginx")
    request.getfixturevalue("upstream").clear()
    start = len(proxy.error_log_text())
    failed_before = request.session.testsfailed
    yield
    if request.session.testsfailed > failed_before:
        with capsys.disabled():
            print(f"\n--- nginx error log during {request.node.name}\n{proxy.error_log_text()[start:]}--- end")


@pytest.fixture(scope="module")
def project():
    return str(uuid.uuid4())


def create_token(project_id, scopes):
    response = requests.post(
        f"{TOKEND_URL}/cockpit/v1/regions/{REGION}/tokens",
        headers={"X-Auth-Token": "any"},
        json={"project_id": project_id, "token_scopes": scopes},
        timeout=TIMEOUT)
    assert response.status_code == 200, f"create token: {response.status_code} {response.text}"
    token = response.json()
    assert token["secret_key"], token
    return token


def delete_token(token_id):
    response = requests.delete(
        f"{TOKEND_URL}/cockpit/v1/regions/{REGION}/tokens/{token_id}",
        headers={"X-Auth-Token": "any"}, timeout=TIMEOUT)
    assert response.status_code in (200, 204), f"delete token: {response.status_code} {response.text}"


@pytest.fixture(scope="module")
def metrics_token(project):
    return create_token(project, ["write_only_metrics"])


@pytest.fixture(scope="module")
def logs_token(project):
    return create_token(project, ["write_only_logs"])


def collector_headers(secret=None, tenant=None):
    headers = {"Content-Type": "application/x-protobuf", "Content-Encoding": "snappy"}
    if secret is not None:
        headers["Authorization"] = f"Bearer {secret}"
    if tenant is not None:
        headers["X-Scope-OrgID"] = tenant
    return headers


def push(nginx, path="/api/v1/push", **kwargs):
    return requests.post(nginx.url + path, data=PUSH_BODY, headers=collector_headers(**kwargs),
                         timeout=TIMEOUT, allow_redirects=False)


def describe(response):
    return f"{response.request.method} {response.request.url} -> {response.status_code} {dict(response.headers)} {response.text[:300]!r}"


def assert_reached_upstream(nginx, upstream, response, method, path, project):
    assert response.status_code == 204, describe(response)
    assert response.headers.get("X-Upstream") == "stand-in", describe(response)
    seen = upstream.seen()
    assert len(seen) == 1, f"upstream saw {[(r['method'], r['path']) for r in seen]}"
    request = seen[0]
    assert (request["method"], request["path"]) == (method, path)
    # The tenant nginx set from tokend's answer, and only that one.
    assert request["headers"].get_all("X-Scope-OrgID") == [project], request["headers"].items()
    if method == "POST":
        assert request["body"] == PUSH_BODY


def assert_refused(nginx, upstream, response, status):
    assert response.status_code == status, describe(response)
    assert "X-Upstream" not in response.headers, describe(response)
    seen = upstream.seen()
    assert seen == [], f"a refused request reached the upstream: {[(r['method'], r['path']) for r in seen]}"


# ---------------------------------------------------------------- the shipped block is README's


def test_shipped_block_is_the_readme_block():
    assert config_lines(render_block(README_VALUES)) == config_lines(readme_nginx_block())


# ---------------------------------------------------------------- through nginx


def test_metrics_push_reaches_upstream_with_tenant(nginx, upstream, project, metrics_token):
    response = push(nginx, secret=metrics_token["secret_key"], tenant=project)
    assert_reached_upstream(nginx, upstream, response, "POST", "/api/v1/push", project)
    # The collector's bearer is no business of the backend's, but nginx passes it on as is.
    assert upstream.seen()[0]["headers"].get("Authorization") == f"Bearer {metrics_token['secret_key']}"


def test_metrics_query_with_push_token_is_403_and_never_reaches_upstream(nginx, upstream, project, metrics_token):
    response = requests.get(f"{nginx.url}/prometheus/api/v1/query", params={"query": "up"},
                            headers=collector_headers(metrics_token["secret_key"], project), timeout=TIMEOUT)
    assert_refused(nginx, upstream, response, 403)


def test_no_authorization_is_401(nginx, upstream, project):
    response = push(nginx, tenant=project)
    assert_refused(nginx, upstream, response, 401)
    # nginx copies the auth service's challenge onto a 401.
    assert response.headers.get("WWW-Authenticate", "").startswith("Bearer"), describe(response)


@pytest.mark.parametrize("garbage", ["garbage", "tkd_frpar_", "tkd_frpar_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"])
def test_garbage_secret_is_401(nginx, upstream, project, garbage):
    assert_refused(nginx, upstream, push(nginx, secret=garbage, tenant=project), 401)


def test_mistyped_secret_is_401(nginx, upstream, project, metrics_token):
    secret = metrics_token["secret_key"]
    mistyped = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    assert_refused(nginx, upstream, push(nginx, secret=mistyped, tenant=project), 401)


def test_wrong_tenant_is_403(nginx, upstream, metrics_token):
    response = push(nginx, secret=metrics_token["secret_key"], tenant=str(uuid.uuid4()))
    assert_refused(nginx, upstream, response, 403)


def test_missing_tenant_is_403(nginx, upstream, metrics_token):
    # tokend's 400 (no X-Scope-OrgID), folded into 403 by ?mode=nginx; a bare 400 would be a 500.
    assert_refused(nginx, upstream, push(nginx, secret=metrics_token["secret_key"]), 403)


def test_invalid_tenant_is_403(nginx, upstream, metrics_token):
    assert_refused(nginx, upstream, push(nginx, secret=metrics_token["secret_key"], tenant=".."), 403)


def test_unknown_path_is_refused(nginx, upstream, project, metrics_token):
    response = requests.get(f"{nginx.url}/not/a/backend/path",
                            headers=collector_headers(metrics_token["secret_key"], project), timeout=TIMEOUT)
    assert_refused(nginx, upstream, response, 403)


def test_deleted_token_is_401_right_after_delete(nginx, upstream, project):
    token = create_token(project, ["write_only_metrics"])
    # Used once first, so that tokend knows it (and any cache of it would be warm).
    response = push(nginx, secret=token["secret_key"], tenant=project)
    assert_reached_upstream(nginx, upstream, response, "POST", "/api/v1/push", project)
    upstream.clear()
    delete_token(token["id"])
    response = push(nginx, secret=token["secret_key"], tenant=project)
    assert_refused(nginx, upstream, response, 401)


def test_logs_push_reaches_upstream_with_tenant(nginx, upstream, project, logs_token):
    response = push(nginx, path="/loki/api/v1/push", secret=logs_token["secret_key"], tenant=project)
    assert_reached_upstream(nginx, upstream, response, "POST", "/loki/api/v1/push", project)


def test_logs_token_cannot_push_metrics(nginx, upstream, project, logs_token):
    assert_refused(nginx, upstream, push(nginx, secret=logs_token["secret_key"], tenant=project), 403)


def test_metrics_token_cannot_push_logs(nginx, upstream, project, metrics_token):
    response = push(nginx, path="/loki/api/v1/push", secret=metrics_token["secret_key"], tenant=project)
    assert_refused(nginx, upstream, response, 403)


def test_client_cannot_smuggle_a_second_tenant(nginx, upstream, project, metrics_token):
    # A federated (`|`-joined) tenant naming the project and another is not the token's tenant.
    other = str(uuid.uuid4())
    response = push(nginx, secret=metrics_token["secret_key"], tenant=f"{project}|{other}")
    assert_refused(nginx, upstream, response, 403)


@pytest.mark.parametrize("raw_path", [
    "/api/v1/push/../../prometheus/api/v1/query?query=up",
    "/api/v1/push%2F..%2F..%2Fprometheus/api/v1/query?query=up",
    "/api/v1/push;/../prometheus/api/v1/query?query=up",
    "/prometheus/api/v1/query?query=up&x=/api/v1/push",
    "//prometheus/api/v1/query?query=up",
])
def test_push_token_cannot_reach_query_by_path_tricks(nginx, upstream, project, metrics_token, raw_path):
    # Sent byte for byte (requests would normalise the dot segments away); nginx passes the
    # raw URI both to tokend (X-Original-URI) and to the upstream, so tokend must refuse.
    connection = http.client.HTTPConnection("127.0.0.1", nginx.port, timeout=TIMEOUT)
    try:
        connection.request("GET", raw_path, headers=collector_headers(metrics_token["secret_key"], project))
        status = connection.getresponse().status
    finally:
        connection.close()
    assert status in (400, 403), f"GET {raw_path} -> {status}"
    seen = upstream.seen()
    assert seen == [], f"reached the upstream: {[(r['method'], r['path']) for r in seen]}"


# ---------------------------------------------------------------- xScaler keys through nginx


def portal_call(method, path, jwt, body=None):
    response = requests.request(method, TOKEND_URL + path, headers={"Authorization": f"Bearer {jwt}"}, json=body,
                                timeout=TIMEOUT)
    assert response.status_code < 300, f"{method} {path}: {response.status_code} {response.text}"
    return response.json() if response.content else None


@pytest.fixture(scope="module")
def xscaler():
    """A portal tenant in REGION with a write key, made through the portal API (open mode)."""
    login = requests.post(f"{TOKEND_URL}/auth/login", json={"email": "nginx@example.com", "password": "x"}, timeout=TIMEOUT)
    assert login.status_code == 200, login.text
    jwt = login.json()["token"]
    tenant = portal_call("POST", "/tenants", jwt, {"display_name": "nginx forward auth", "region": REGION})
    key = portal_call("POST", f"/tenants/{tenant['id']}/keys", jwt, {"display_name": "nginx-collector", "scope": "write"})
    return {"jwt": jwt, "tenant": tenant["id"], "key": key}


def test_xscaler_key_push_reaches_upstream_with_its_tenant(nginx, upstream, xscaler):
    response = push(nginx, secret=xscaler["key"]["key"], tenant=xscaler["tenant"])
    assert_reached_upstream(nginx, upstream, response, "POST", "/api/v1/push", xscaler["tenant"])


def test_xscaler_write_key_cannot_query(nginx, upstream, xscaler):
    response = requests.get(f"{nginx.url}/prometheus/api/v1/query", params={"query": "up"},
                            headers=collector_headers(xscaler["key"]["key"], xscaler["tenant"]), timeout=TIMEOUT)
    assert_refused(nginx, upstream, response, 403)


def test_xscaler_push_counts_the_bytes_nginx_held_back(nginx, upstream, xscaler):
    def usage():
        return portal_call("GET", f"/dashboard/tenants/{xscaler['tenant']}/usage", xscaler["jwt"])

    time.sleep(1.5)  # earlier pushes' counts are written first (the usage flush runs every second)
    before = usage()
    assert push(nginx, secret=xscaler["key"]["key"], tenant=xscaler["tenant"]).status_code == 204
    deadline = time.monotonic() + TIMEOUT
    while usage()["verified_writes"] == before["verified_writes"] and time.monotonic() < deadline:
        time.sleep(0.2)  # verify's counts are written by its usage flush, every second by default
    after = usage()
    assert after["verified_writes"] == before["verified_writes"] + 1, after
    assert after["bytes_pushed"] == before["bytes_pushed"] + len(PUSH_BODY), after


def test_suspended_tenant_is_403_and_resumed_passes(nginx, upstream, xscaler):
    portal_call("POST", f"/tenants/{xscaler['tenant']}/suspend", xscaler["jwt"])
    try:
        assert_refused(nginx, upstream, push(nginx, secret=xscaler["key"]["key"], tenant=xscaler["tenant"]), 403)
    finally:
        portal_call("POST", f"/tenants/{xscaler['tenant']}/resume", xscaler["jwt"])
    upstream.clear()
    response = push(nginx, secret=xscaler["key"]["key"], tenant=xscaler["tenant"])
    assert_reached_upstream(nginx, upstream, response, "POST", "/api/v1/push", xscaler["tenant"])


def test_revoked_xscaler_key_is_401_right_after_revoke(nginx, upstream, xscaler):
    key = portal_call("POST", f"/tenants/{xscaler['tenant']}/keys", xscaler["jwt"], {"display_name": "short-lived"})
    assert_reached_upstream(nginx, upstream, push(nginx, secret=key["key"], tenant=xscaler["tenant"]), "POST",
                            "/api/v1/push", xscaler["tenant"])
    upstream.clear()
    portal_call("DELETE", f"/tenants/{xscaler['tenant']}/keys/{key['id']}", xscaler["jwt"])
    assert_refused(nginx, upstream, push(nginx, secret=key["key"], tenant=xscaler["tenant"]), 401)
