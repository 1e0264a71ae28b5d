"""Hostile input on the portal face (docs/portal.md): bad JSON, wrong types, unknown fields,
over-long names and environments, invalid scopes, NUL bytes, bodies over 64 KiB, unknown
tenant and key ids, path traversal in ids. Each is answered with its documented 4xx and
`{"error": code, "message": text}` in JSON (or, for HTTP that does not parse, NIO's bare
400, closed), and nothing is written: the tenants and keys are exactly those before, and
the seeded keys still verify.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from conftest import call_failed
from portal_test import ERROR_CODES, PortalServer, assert_error, assert_ok
from raw_http import exchange, request_bytes

BIG = 64 * 1024
BARE = "bare-400-closed"
UNKNOWN_TENANT = "xs_default_aaaaaaaa"
UNKNOWN_KEY = "key_" + "0" * 32


@dataclass
class Case:
    id: str
    method: str
    target: bytes | str      # {t}: a seeded tenant, {k}: its key, {t2}/{k2}: the other seeded tenant and key,
                             # {t3}/{kr}: a third tenant and the key the rotate cases aim at
    body: bytes = b""
    statuses: tuple = (400,)
    headers: dict | None = None
    bare: bool = False        # NIO's bare 400 is expected (the request line or headers do not parse)
    raw: bytes | None = None  # sent as it is, after {t}… are filled in and the Authorization added


def j(value) -> bytes:
    return json.dumps(value).encode()


def post(target, body: bytes, case_id: str, statuses=(400,), **kwargs) -> Case:
    return Case(case_id, "POST", target, body, statuses, **kwargs)


def patch(body: bytes, case_id: str, statuses=(400,)) -> Case:
    return Case(case_id, "PATCH", "/tenants/{t}", body, statuses)


def get(target, case_id: str, statuses=(404,), **kwargs) -> Case:
    return Case(case_id, "GET", target, statuses=statuses, **kwargs)


TENANTS, KEYS = "/tenants", "/tenants/{t}/keys"
VALID_TENANT = {"display_name": "hostile", "environment": "prod"}
VALID_KEY = {"display_name": "hostile-key"}

BODIES = [
    post(TENANTS, b'{"display_name":', "tenant-json-truncated"),
    post(TENANTS, b'{"display_name": "x",}', "tenant-json-trailing-comma"),
    post(TENANTS, j(VALID_TENANT) + b"{}", "tenant-two-documents"),
    post(TENANTS, b"{display_name: 'x'}", "tenant-not-json"),
    post(TENANTS, b"[]", "tenant-body-array"),
    post(TENANTS, b"null", "tenant-body-null"),
    post(TENANTS, b'"tenant"', "tenant-body-string"),
    post(TENANTS, b"42", "tenant-body-number"),
    post(TENANTS, b"\xff\xfe\xfd", "tenant-invalid-utf8"),
    post(TENANTS, j(VALID_TENANT).replace(b'"hostile"', b'"host\xffile"'), "tenant-invalid-utf8-in-name"),
    post(TENANTS, j(VALID_TENANT).decode().encode("utf-16"), "tenant-utf16"),
    post(TENANTS, b'{"display_name": "a", "display_name": "b"}', "tenant-duplicate-field"),
    post(TENANTS, b"[" * 10_000 + b"]" * 10_000, "tenant-nested-10000"),
    post(TENANTS, j({"display_name": 5}), "tenant-name-number"),
    post(TENANTS, j({"display_name": ["x"]}), "tenant-name-array"),
    post(TENANTS, j({"display_name": {"x": 1}}), "tenant-name-object"),
    post(TENANTS, j({"display_name": True}), "tenant-name-bool"),
    post(TENANTS, j({"display_name": "x", "environment": 3}), "tenant-environment-number"),
    post(TENANTS, j({"display_name": "x", "environment": False}), "tenant-environment-bool"),
    post(TENANTS, j({"display_name": "x", "region": 1}), "tenant-region-number"),
    post(TENANTS, j({"display_name": "x", "region": "xx-nope"}), "tenant-region-unknown"),
    post(TENANTS, j({"display_name": "x", "region": "../fr-par"}), "tenant-region-traversal"),
    post(TENANTS, j({"display_name": "x", "cluster_id": "c1"}), "tenant-unknown-field"),
    post(TENANTS, j({"display_name": "x", "id": UNKNOWN_TENANT}), "tenant-id-chosen"),
    post(TENANTS, j({"display_name": "x", "status": "suspended"}), "tenant-status-field"),
    post(TENANTS, j({"display_name": "x", "organization_id": "xs_org_" + "0" * 32}), "tenant-organization-field"),
    post(TENANTS, j({"display_name": "x" * 65}), "tenant-name-65"),
    post(TENANTS, j({"display_name": "é" * 65}), "tenant-name-65-non-ascii"),
    post(TENANTS, j({"display_name": ""}), "tenant-name-empty"),
    post(TENANTS, j({"display_name": "x", "environment": "e" * 33}), "tenant-environment-33"),
    post(TENANTS, j({"display_name": "ab\u0000cd"}), "tenant-name-nul-escaped"),
    post(TENANTS, b'{"display_name": "ab\x00cd"}', "tenant-name-raw-nul"),
    post(TENANTS, j({"display_name": "x", "environment": "pr\u0000od"}), "tenant-environment-nul"),
    post(TENANTS, j({"display_name": "line\nbreak"}), "tenant-name-newline"),
    post(TENANTS, b'{"display_name": "ab\\ud800c"}', "tenant-name-lone-surrogate"),
    post(TENANTS, j({"display_name": "n" * (BIG + 1)}), "tenant-body-over-64KiB", (413,)),
    post(TENANTS, b"{" + b" " * (1 << 20) + b"}", "tenant-body-1MiB", (413,)),
    Case("tenant-chunked-over-64KiB", "POST", TENANTS, statuses=(413,),
         raw=request_bytes("POST", TENANTS, {"Transfer-Encoding": "chunked", "Content-Type": "application/json"},
                           auth=None, content_length=False)
         + b"%x\r\n" % (BIG + 100) + b" " * (BIG + 100) + b"\r\n0\r\n\r\n"),

    patch(b'{"display_name":', "patch-json-truncated"),
    patch(b"[]", "patch-body-array"),
    patch(j({"display_name": ""}), "patch-name-empty"),
    patch(j({"display_name": "x" * 65}), "patch-name-65"),
    patch(j({"environment": "e" * 33}), "patch-environment-33"),
    patch(j({"display_name": 7}), "patch-name-number"),
    patch(j({"environment": ["prod"]}), "patch-environment-array"),
    patch(j({"region": "nl-ams"}), "patch-region"),
    patch(j({"status": "suspended"}), "patch-status"),
    patch(j({"id": UNKNOWN_TENANT}), "patch-id"),
    patch(j({"display_name": "x", "colour": "red"}), "patch-unknown-field"),
    patch(j({"display_name": "ab\u0000"}), "patch-name-nul"),
    patch(j({"display_name": "n" * (BIG + 1)}), "patch-over-64KiB", (413,)),

    post(KEYS, b'{"display_name":', "key-json-truncated"),
    post(KEYS, b"null", "key-body-null"),
    post(KEYS, j({"display_name": "k", "scope": "admin"}), "key-scope-admin"),
    post(KEYS, j({"display_name": "k", "scope": "READ"}), "key-scope-upper-case"),
    post(KEYS, j({"display_name": "k", "scope": "read write"}), "key-scope-space"),
    post(KEYS, j({"display_name": "k", "scope": "write+read"}), "key-scope-reversed"),
    post(KEYS, j({"display_name": "k", "scope": ""}), "key-scope-empty"),
    post(KEYS, j({"display_name": "k", "scope": ["read"]}), "key-scope-array"),
    post(KEYS, j({"display_name": "k", "scope": 1}), "key-scope-number"),
    post(KEYS, j({"display_name": "k", "scope": "write_only_metrics"}), "key-scope-cockpit"),
    post(KEYS, j({"display_name": "k" * 65}), "key-name-65"),
    post(KEYS, j({"display_name": 3}), "key-name-number"),
    post(KEYS, j({"display_name": "k\u0000"}), "key-name-nul"),
    post(KEYS, j({"display_name": "k", "key": "xag_" + "a" * 32}), "key-secret-chosen"),
    post(KEYS, j({"display_name": "k", "tenant_id": UNKNOWN_TENANT}), "key-tenant-field"),
    post(KEYS, j({"display_name": "k", "expires_at": "2030-01-01T00:00:00Z"}), "key-unknown-field"),
    post(KEYS, j({"display_name": "k" * (BIG + 1)}), "key-over-64KiB", (413,)),
    post("/tenants/{t3}/keys/{kr}/rotate", b"[" * 1000 + b"]" * 1000, "rotate-body-nested"),
    post("/tenants/{t3}/keys/{kr}/rotate", j({"key": "xag_" + "a" * 32}), "rotate-secret-chosen"),
    post("/tenants/{t3}/keys/{kr}/rotate", b"x" * (BIG + 1), "rotate-over-64KiB", (413,)),

    post("/auth/login", b'{"email":', "login-json-truncated"),
    post("/auth/login", j({"email": 5, "password": "x"}), "login-email-number"),
    post("/auth/login", j({"email": "a@example.com", "password": ["x"]}), "login-password-array"),
    post("/auth/login", b"[]", "login-body-array"),
    post("/auth/login", j({"email": "a@example.com", "password": "p" * (BIG + 1)}), "login-over-64KiB", (413,)),
]

IDS = [
    get(f"/tenants/{UNKNOWN_TENANT}", "tenant-unknown"),
    get(f"/tenants/{UNKNOWN_TENANT}/keys", "tenant-unknown-keys"),
    post(f"/tenants/{UNKNOWN_TENANT}/keys", j(VALID_KEY), "tenant-unknown-create-key", (404,)),
    Case("tenant-unknown-patch", "PATCH", f"/tenants/{UNKNOWN_TENANT}", j({"display_name": "x"}), (404,)),
    Case("tenant-unknown-delete", "DELETE", f"/tenants/{UNKNOWN_TENANT}", statuses=(404,)),
    post(f"/tenants/{UNKNOWN_TENANT}/suspend", b"", "tenant-unknown-suspend", (404,)),
    get(f"/dashboard/tenants/{UNKNOWN_TENANT}/usage", "tenant-unknown-usage"),
    get("/tenants/xs_default_AAAAAAAA", "tenant-upper-case", (400, 404)),
    get("/tenants/xs_default_aaaaaaa", "tenant-7-chars", (400, 404)),
    get("/tenants/nope", "tenant-malformed", (400, 404)),
    get("/tenants/" + "x" * 5000, "tenant-5000-chars", (400, 404)),
    get(f"/tenants/{{t}}/keys/{UNKNOWN_KEY}", "key-unknown"),
    Case("key-unknown-delete", "DELETE", f"/tenants/{{t}}/keys/{UNKNOWN_KEY}", statuses=(404,)),
    post(f"/tenants/{{t}}/keys/{UNKNOWN_KEY}/rotate", b"", "key-unknown-rotate", (404,)),
    get("/tenants/{t}/keys/key_xyz", "key-malformed", (400, 404)),
    get("/tenants/{t}/keys/{k2}", "key-of-another-tenant"),
    Case("key-of-another-tenant-delete", "DELETE", "/tenants/{t}/keys/{k2}", statuses=(404,)),
    post("/tenants/{t}/keys/{k2}/rotate", b"", "key-of-another-tenant-rotate", (404,)),
]

TRAVERSAL = (400, 404)
PATHS = [
    get("/tenants/..", "tenant-dotdot", TRAVERSAL),
    get("/tenants/%2e%2e", "tenant-dotdot-encoded", TRAVERSAL),
    get("/tenants/{t}%2F..%2F{t2}", "tenant-encoded-traversal", TRAVERSAL),
    get("/tenants/..%2F{t2}", "tenant-encoded-traversal-prefix", TRAVERSAL),
    get("/tenants/{t}/keys/..%2F..%2F{t2}%2Fkeys%2F{k2}", "key-encoded-traversal", TRAVERSAL),
    get("/tenants/{t}/keys/../../{t2}/keys/{k2}", "key-traversal", TRAVERSAL),
    get("/tenants/%00", "tenant-encoded-nul", TRAVERSAL),
    get("/tenants/{t}%00", "tenant-then-encoded-nul", TRAVERSAL),
    get("/tenants/{t}/keys/{k}%00", "key-then-encoded-nul", TRAVERSAL),
    get("/tenants/%FF%FE", "tenant-encoded-invalid-utf8", TRAVERSAL),
    get("/tenants/{t}%20", "tenant-then-space", TRAVERSAL),
    Case("tenant-traversal-delete", "DELETE", "/tenants/..%2F{t}", statuses=TRAVERSAL),
    Case("tenant-encoded-slash-delete", "DELETE", "/tenants/{t}%2Fkeys%2F{k}", statuses=TRAVERSAL),
    Case("key-traversal-delete", "DELETE", "/tenants/{t2}/keys/..%2F..%2F{t}%2Fkeys%2F{k}", statuses=TRAVERSAL),
    Case("tenant-traversal-patch", "PATCH", "/tenants/{t}%2F..%2F{t2}", j({"display_name": "moved"}), TRAVERSAL),
    get(b"/tenants/\x00", "tenant-raw-nul", bare=True),
    get(b"/tenants/{t}\xff", "tenant-raw-invalid-utf8", bare=True),
]

QUERIES = [
    get("/activity?limit=0", "activity-limit-0", (400,)),
    get("/activity?limit=201", "activity-limit-201", (400,)),
    get("/activity?limit=-1", "activity-limit-negative", (400,)),
    get("/activity?limit=abc", "activity-limit-text", (400,)),
    get("/activity?limit=9223372036854775808", "activity-limit-2^63", (400,)),
    get("/activity?cursor=not-a-cursor", "activity-cursor-garbage", (400,)),
    get("/activity?cursor=%00", "activity-cursor-nul", (400,)),
]

CASES = BODIES + IDS + PATHS + QUERIES


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    process = PortalServer(tmp_path_factory.mktemp("portal-hostile"), "portal-hostile").start()  # open mode
    yield process
    process.stop()


@pytest.fixture(scope="module")
def seeded(server) -> dict:
    """Three tenants with a key each, signed in as the open mode's owner. The third's key is
    the rotate cases' target: a rotate that wrongly happens shows in its prefix, and does not
    stop the first two keys, which must verify after every case."""
    portal = server.portal().login("hostile@example.com", "hostile-password")
    first, second, third = portal.tenant("seed one", "prod"), portal.tenant("seed two", "dev"), portal.tenant("seed three")
    k1, k2 = portal.key(first["id"], "seed-key-one"), portal.key(second["id"], "seed-key-two")
    kr = portal.key(third["id"], "seed-key-rotate")
    return {"portal": portal, "t": first["id"], "t2": second["id"], "t3": third["id"], "k": k1["id"], "k2": k2["id"],
            "kr": kr["id"], "secrets": {first["id"]: k1["key"], second["id"]: k2["key"]}}


def snapshot(seeded: dict) -> dict:
    portal = seeded["portal"]
    tenants = portal.tenants()
    # last_used_at is left out: the teardown's own verify calls move it (flushed within a second).
    return {"tenants": tenants, "keys": {t["id"]: [{k: v for k, v in key.items() if k != "last_used_at"}
                                                   for key in portal.keys(t["id"])] for t in tenants}}


@pytest.fixture
def unchanged(request, server, seeded):
    """Afterwards the server runs and holds exactly the tenants and keys it held before."""
    before = snapshot(seeded)
    yield
    assert server.is_running(), f"the server died:\n{server.log_text()}"
    if call_failed(request):  # it may have made a tenant: remove it, so the next cases start clean
        known = {t["id"] for t in before["tenants"]}
        for tenant in seeded["portal"].tenants():
            if tenant["id"] not in known:
                seeded["portal"].call("DELETE", f"/tenants/{tenant['id']}")
    else:
        after = snapshot(seeded)
        assert after == before, f"the store changed:\nbefore {before}\nafter  {after}"
        for tenant_id, secret in seeded["secrets"].items():
            assert seeded["portal"].verify(secret, tenant_id).status == 200, f"a seeded key of {tenant_id} stopped"


def fill(target: bytes | str, seeded: dict) -> bytes:
    data = target if isinstance(target, bytes) else target.encode()
    for name in ("t2", "k2", "t3", "kr", "t", "k"):
        data = data.replace(b"{%s}" % name.encode(), seeded[name].encode())
    return data


def case_bytes(case: Case, seeded: dict) -> bytes:
    auth = b"Authorization: Bearer " + seeded["portal"].token.encode() + b"\r\n"
    if case.raw is not None:
        head, rest = case.raw.split(b"\r\n", 1)
        return head + b"\r\n" + auth + rest
    headers = {"Authorization": "Bearer " + seeded["portal"].token, **(case.headers or {})}
    if case.body:
        headers.setdefault("Content-Type", "application/json")
    return request_bytes(case.method, fill(case.target, seeded), headers, case.body, auth=None)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_hostile_portal_request(case: Case, server, seeded, unchanged):
    answer = exchange(server.port, case_bytes(case, seeded))
    if case.bare:
        if answer.outcome == BARE:
            return
        # A router that gets this far must still answer a documented JSON 4xx.
        assert answer.status is not None and 400 <= answer.status < 500, f"{case.id}: {answer}"
        statuses = (answer.status,)
    else:
        statuses = case.statuses
    assert answer.status in statuses, f"{case.id}: expected {statuses}, got {answer}"
    assert answer.headers.get("content-type", "").startswith("application/json"), f"{case.id}: not JSON: {answer}"
    body = answer.json
    assert isinstance(body, dict) and set(body) >= {"error", "message"}, f"{case.id}: not {{error, message}}: {answer}"
    assert body["error"] == ERROR_CODES[answer.status], f"{case.id}: error {body['error']!r} for a {answer.status}"
    assert isinstance(body["message"], str) and body["message"], f"{case.id}: {answer}"
    for secret in seeded["secrets"].values():
        assert secret not in answer.body.decode(errors="replace"), f"{case.id} shows a secret"


def test_hostile_strings_are_stored_verbatim_as_names(server, seeded):
    """SQL and odd Unicode are valid display names: stored and answered byte for byte, and
    they change nothing else."""
    portal = seeded["portal"]
    before = snapshot(seeded)
    names = ["'; DROP TABLE tenant; --", "' OR '1'='1", "名前テスト", "token-😀", "abc\u202edef",
             "<script>alert(1)</script>", "$(id)`id`", "%' OR 1=1 --", "x" * 64]
    for name in names:  # one at a time: the plan's tenant cap (scale: 10) must not get in the way
        tenant = portal.tenant(name, "e" * 32)
        try:
            assert tenant["display_name"] == name and tenant["environment"] == "e" * 32, tenant
            assert assert_ok(portal.call("GET", f"/tenants/{tenant['id']}")).json["display_name"] == name
            key = portal.key(tenant["id"], "key-of-a-hostile-name")  # key names follow the token name rule
            assert [k["id"] for k in portal.keys(tenant["id"])] == [key["id"]]
            # As a key name it is refused, and nothing is made.
            assert_error(portal.create_key(tenant["id"], name), 400)
            assert [k["id"] for k in portal.keys(tenant["id"])] == [key["id"]]
        finally:
            assert_ok(portal.call("DELETE", f"/tenants/{tenant['id']}"), 204)
    assert snapshot(seeded) == before


def test_an_unknown_route_and_a_wrong_method_are_json_errors(server, seeded, unchanged):
    portal = seeded["portal"]
    for method, path in (("PUT", "/tenants"), ("PUT", f"/tenants/{seeded['t']}"), ("GET", "/tenants/x/y/z/w"),
                         ("POST", f"/tenants/{seeded['t']}/keys/{seeded['k']}")):
        answer = portal.call(method, path, {"display_name": "x"})
        assert answer.status in (404, 405), f"{method} {path}: {answer}"
        assert isinstance(answer.json, dict), f"{method} {path}: {answer}"
    assert_error(portal.call("GET", f"/tenants/{UNKNOWN_TENANT}"), 404)
