"""The xScaler portal face at process level (docs/portal.md): `--auth keys` with the keys
file's `organisations` and scrypt hashes made by `tokend hash-password`, roles, another
organisation's tenants as 404, JWTs (forged, expired, malformed, missing), the free plan's
tenant cap, state across a restart of a data dir, and the Cockpit face seeing a tenant's
keys as tokens of its project.

    TOKEND_BINARY=… .venv/bin/python -m pytest -q scripts/portal_test.py

The helpers at the top (Portal, PortalServer, hash_password, sign_jwt, …) are also used by
scripts/reliability/isolation_test.py and portal_hostile_input_test.py.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from harness import http_client
from harness.http_client import TIMEOUT_S, Answer
from harness.tokend import ServeProcess, binary_path

TENANT_FIELDS = ["id", "display_name", "environment", "region", "metrics_host", "logs_host", "traces_host",
                 "created_at", "status"]
KEY_FIELDS = ["id", "display_name", "prefix", "scope", "status", "last_used_at", "created_at", "revoked_at"]
SUMMARY_FIELDS = ["billing_plan", "org_active_series", "plan_max_active_series", "org_logs_gb_ingested_this_month",
                  "tenants", "plan_max_tenants"]
ERROR_CODES = {400: "invalid_request", 401: "unauthorized", 402: "tenant_limit_reached", 403: "forbidden",
               404: "not_found", 409: "conflict", 413: "payload_too_large", 429: "rate_limited", 503: "unavailable"}
ORG_ID = re.compile(r"^xs_org_[0-9a-f]{32}$")
KEY_ID = re.compile(r"^key_[0-9a-f]{32}$")
SECRET = re.compile(r"^xag_[a-z0-9]{32}$")
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
JWT_TTL_S = 30 * 60
PUSH = ("POST", "/api/v1/push")
QUERY = ("GET", "/prometheus/api/v1/query?query=up")


def tenant_id_pattern(slug: str) -> re.Pattern:
    return re.compile(rf"^xs_{slug}_[a-z2-7]{{8}}$")


# ---------------------------------------------------------------- HTTP


def send(port: int, method: str, path: str, body=None, headers: dict | None = None,
         timeout: float = TIMEOUT_S) -> Answer:
    """One request on a fresh connection (harness.http_client.send); a dict or list body goes as
    JSON, and any body without a Content-Type of its own as application/json."""
    return http_client.send(port, method, path, body, headers, timeout, content_type="application/json")


def assert_error(answer: Answer, status: int, code: str | None = None) -> Answer:
    """A documented error: the status, JSON, `{"error": code, "message": text}`."""
    code = code or ERROR_CODES[status]
    assert answer.status == status, f"expected {status} {code}, got {answer}"
    assert answer.headers.get("content-type", "").startswith("application/json"), \
        f"an error without a JSON Content-Type ({answer.headers.get('content-type')!r}): {answer}"
    assert isinstance(answer.json, dict), f"an error body that is not a JSON object: {answer}"
    assert answer.json.get("error") == code, f"expected error {code!r}: {answer}"
    assert isinstance(answer.json.get("message"), str) and answer.json["message"], f"no message: {answer}"
    return answer


def assert_ok(answer: Answer, status: int = 200) -> Answer:
    assert answer.status == status, f"expected {status}, got {answer}"
    if status != 204:
        assert answer.headers.get("content-type", "").startswith("application/json"), answer
    else:
        assert answer.body == b"", f"a 204 with a body: {answer}"
    return answer


def assert_tenant(tenant: dict, *, slug: str | None = None, region: str = "fr-par", status: str = "active") -> dict:
    assert isinstance(tenant, dict), tenant
    assert list(tenant) == TENANT_FIELDS, f"tenant fields {list(tenant)}, documented {TENANT_FIELDS}"
    if slug is not None:
        assert tenant_id_pattern(slug).match(tenant["id"]), tenant["id"]
    assert tenant["region"] == region, tenant
    for signal, letter in (("metrics", "m"), ("logs", "l"), ("traces", "t")):
        assert tenant[f"{signal}_host"] == f"{region}.{letter}.tokend.localhost", tenant
    assert TIMESTAMP.match(tenant["created_at"]), tenant
    assert tenant["status"] == status, tenant
    return tenant


def assert_key(key: dict, *, created: bool = False, scope: str = "read+write", status: str = "active") -> dict:
    names = list(key)
    if created:
        assert "key" in key and SECRET.match(key["key"]), f"a create/rotate answer without a valid key: {key}"
        assert key["prefix"] == key["key"][:8], key
        names.remove("key")
    else:
        assert "key" not in key, f"a secret outside the create and rotate answers: {key}"
    assert names == KEY_FIELDS, f"key fields {list(key)}, documented {KEY_FIELDS} (+ key)"
    assert KEY_ID.match(key["id"]), key
    assert key["prefix"].startswith("xag_") and len(key["prefix"]) == 8, key
    assert key["scope"] == scope and key["status"] == status, key
    assert TIMESTAMP.match(key["created_at"]), key
    assert (key["revoked_at"] is None) == (status == "active"), key
    return key


class Portal:
    """Portal calls of one server, as one signed-in user (or with any given token)."""

    def __init__(self, port: int, token: str | None = None, prefix: str = ""):
        self.port = port
        self.token = token
        self.prefix = prefix  # "" or "/api/portal"

    def call(self, method: str, path: str, body=None, headers: dict | None = None) -> Answer:
        all_headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        all_headers.update(headers or {})
        return send(self.port, method, self.prefix + path, body, all_headers)

    def login(self, email: str, password: str) -> "Portal":
        answer = send(self.port, "POST", self.prefix + "/auth/login", {"email": email, "password": password})
        assert answer.status == 200 and isinstance(answer.json, dict), f"login of {email}: {answer}"
        return Portal(self.port, answer.json["token"], self.prefix)

    def create_tenant(self, display_name: str | None = None, environment: str | None = None, **extra) -> Answer:
        body = {**({"display_name": display_name} if display_name is not None else {}),
                **({"environment": environment} if environment is not None else {}), **extra}
        return self.call("POST", "/tenants", body)

    def tenant(self, display_name: str = "tenant", environment: str = "prod", **extra) -> dict:
        return assert_ok(self.create_tenant(display_name, environment, **extra), 201).json

    def tenants(self) -> list[dict]:
        answer = assert_ok(self.call("GET", "/tenants"))
        assert isinstance(answer.json, list), f"/tenants is not a bare array: {answer}"
        return answer.json

    def create_key(self, tenant_id: str, display_name: str = "collector", **extra) -> Answer:
        return self.call("POST", f"/tenants/{tenant_id}/keys", {"display_name": display_name, **extra})

    def key(self, tenant_id: str, display_name: str = "collector", **extra) -> dict:
        return assert_ok(self.create_key(tenant_id, display_name, **extra), 201).json

    def keys(self, tenant_id: str) -> list[dict]:
        answer = assert_ok(self.call("GET", f"/tenants/{tenant_id}/keys"))
        assert isinstance(answer.json, list), f"keys list is not a bare array: {answer}"
        return answer.json

    def verify(self, secret: str, tenant: str, operation: tuple[str, str] = PUSH) -> Answer:
        """The data plane, as nginx asks it: no JWT, only the collector's headers."""
        return verify(self.port, secret, tenant, operation)


def verify(port: int, secret: str, tenant: str, operation: tuple[str, str] = PUSH) -> Answer:
    return send(port, "GET", "/_tokend/verify", None, {
        "Authorization": f"Bearer {secret}", "X-Scope-OrgID": tenant,
        "X-Original-Method": operation[0], "X-Original-URI": operation[1]})


# ---------------------------------------------------------------- passwords, JWTs, servers

_HASHES: dict[str, str] = {}


def hash_password(password: str) -> str:
    """`tokend hash-password`, the password on standard input; the one line it prints."""
    if password not in _HASHES:
        done = subprocess.run([str(binary_path()), "hash-password"], input=password + "\n", capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 0, f"tokend hash-password exited {done.returncode}: {done.stderr}"
        lines = done.stdout.splitlines()
        assert len(lines) == 1 and lines[0].strip(), f"hash-password printed {done.stdout!r}"
        _HASHES[password] = lines[0].strip()
    return _HASHES[password]


def organisation(name: str, plan: str, users: dict[str, tuple[str, str]], org_id: str | None = None) -> dict:
    """A keys file's organisation; users: {email: (role, password)}, hashed here."""
    entry = {"name": name, "plan": plan,
             "users": [{"email": email, "role": role, "password": hash_password(password)}
                       for email, (role, password) in users.items()]}
    if org_id:
        entry["id"] = org_id
    return entry


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign_jwt(claims: dict, key: bytes, header: dict | None = None) -> str:
    """An HS256 JWT, by hand (hmac, hashlib, base64)."""
    head = b64url(json.dumps(header or {"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps(claims, separators=(",", ":")).encode())
    signature = hmac.new(key, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64url(signature)}"


def jwt_parts(token: str) -> tuple[dict, dict, bytes]:
    head, body, signature = token.split(".")
    return json.loads(unb64url(head)), json.loads(unb64url(body)), unb64url(signature)


def jwt_signed_with(token: str, key: bytes) -> bool:
    head, body, signature = token.split(".")
    expected = hmac.new(key, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return hmac.compare_digest(expected, unb64url(signature))


class PortalServer(ServeProcess):
    """`tokend serve` (the repository's three regions, a data dir) with, when organisations are
    given, `--auth keys` and a keys file `{"keys": cockpit_keys, "organisations": …}`; with a
    jwt_key, `--jwt-key-file` holding exactly those bytes."""

    def __init__(self, root: Path, name: str = "portal", *, organisations: list[dict] | None = None,
                 cockpit_keys: list[dict] | None = None, jwt_key: bytes | None = None, extra=(), **options):
        extra = list(extra)
        self.jwt_key = jwt_key
        if jwt_key is not None:
            key_file = Path(root) / f"{name}-jwt.key"
            key_file.write_bytes(jwt_key)
            key_file.chmod(0o600)
            extra += ["--jwt-key-file", str(key_file)]
        keys = (cockpit_keys or []) if organisations is not None else None
        super().__init__(root, name, keys=keys, extra=extra, **options)
        if organisations is not None:
            self.keys_file.write_text(json.dumps({"keys": cockpit_keys or [], "organisations": organisations}))

    def portal(self, prefix: str = "") -> Portal:
        return Portal(self.port, None, prefix)


def new_jwt_key() -> bytes:
    """A --jwt-key-file's content: 64 hex characters (as `tokend serve --help` says), no newline."""
    return secrets.token_hex(32).encode()


def signing_key(file_content: bytes) -> bytes:
    """The HMAC key a --jwt-key-file holds: its 64 hex characters decoded, 32 bytes.
    (docs/portal.md says "at least 32 bytes"; the binary reads the file as hex.)"""
    return bytes.fromhex(file_content.decode().strip())


# ---------------------------------------------------------------- the tests

TRAINING_ORG = "Training Org"  # slug trainingorg
OTHER_ORG_ID = "xs_org_0123456789abcdef0123456789abcdef"
PASSWORD = "Training123!"
USERS = {"owner@example.com": ("owner", PASSWORD), "admin@example.com": ("admin", "Admin-pass-1"),
         "member@example.com": ("member", "Member-pass-1"), "viewer@example.com": ("viewer", "Viewer-pass-1")}


@pytest.fixture(scope="module")
def jwt_file() -> bytes:
    return new_jwt_key()


@pytest.fixture(scope="module")
def jwt_key(jwt_file) -> bytes:
    return signing_key(jwt_file)


@pytest.fixture(scope="module")
def orgs(tmp_path_factory, jwt_file):
    """Two organisations in keys mode: Training Org (enterprise, one user of each role) and
    Other Org (scale, one owner, a configured id)."""
    organisations = [organisation(TRAINING_ORG, "enterprise", USERS),
                     organisation("Other Org", "scale", {"other@example.com": ("owner", "Other-pass-1")}, OTHER_ORG_ID)]
    server = PortalServer(tmp_path_factory.mktemp("portal-orgs"), "orgs", organisations=organisations,
                          jwt_key=jwt_file).start()
    yield server
    server.stop()


def users(server) -> dict[str, Portal]:
    portal = server.portal()
    return {role: portal.login(email, password) for email, (role, password) in USERS.items()}


def test_hash_password_prints_a_scrypt_hash_not_the_password():
    first, again = hash_password("Sesame-1234"), subprocess.run(
        [str(binary_path()), "hash-password"], input="Sesame-1234\n", capture_output=True, text=True, timeout=60).stdout.strip()
    assert "Sesame-1234" not in first and "scrypt" in first.lower(), f"not a scrypt hash: {first!r}"
    assert first != again, "two hashes of one password must differ (a random salt)"


def test_users_sign_in_with_their_password_and_role(orgs, jwt_key):
    portal = orgs.portal()
    seen_org_ids = set()
    for email, (role, password) in USERS.items():
        token = portal.login(email, password).token
        header, claims, _ = jwt_parts(token)
        assert header.get("alg") == "HS256", header
        assert jwt_signed_with(token, jwt_key), "the JWT is not signed with the --jwt-key-file's key"
        assert ORG_ID.match(claims["sub"]) and claims["org_id"] == claims["sub"], claims
        assert claims["email"] == email and claims["role"] == role, claims
        assert claims["exp"] - claims["iat"] == JWT_TTL_S and abs(claims["iat"] - time.time()) < 120, claims
        seen_org_ids.add(claims["sub"])
    assert len(seen_org_ids) == 1, "users of one organisation share its id"
    other = jwt_parts(portal.login("other@example.com", "Other-pass-1").token)[1]
    assert other["sub"] == other["org_id"] == OTHER_ORG_ID, other
    assert seen_org_ids != {OTHER_ORG_ID}


@pytest.mark.parametrize("email, password", [
    ("owner@example.com", "training123!"), ("owner@example.com", PASSWORD + " "), ("owner@example.com", ""),
    ("owner@example.com", "Admin-pass-1"), ("nobody@example.com", PASSWORD), ("", PASSWORD),
    ("OWNER@example.com.evil", PASSWORD)], ids=["case", "trailing-space", "empty", "another-users", "unknown-user",
                                                  "no-email", "other-email"])
def test_a_wrong_password_or_unknown_user_is_401(orgs, email, password):
    answer = send(orgs.port, "POST", "/auth/login", {"email": email, "password": password})
    # An empty field is a request missing what login needs (400) or a failed sign-in (401).
    assert_error(answer, 400 if answer.status == 400 and "" in (email, password) else 401)
    assert "token" not in answer.json, answer


def test_signup_is_403_and_cognito_501_in_keys_mode(orgs):
    assert_error(send(orgs.port, "POST", "/auth/signup", {"email": "new@example.com", "password": "x-pass-123",
                                                          "name": "New"}), 403)
    answer = send(orgs.port, "POST", "/auth/cognito/exchange", {"cognito_token": "abc"})
    assert answer.status == 501, answer
    assert_ok(orgs.portal().login("owner@example.com", PASSWORD).call("GET", "/tenants"))


def test_tokens_forged_expired_malformed_or_missing_are_401(orgs, jwt_key):
    owner = orgs.portal().login("owner@example.com", PASSWORD)
    header, claims, _ = jwt_parts(owner.token)
    now = int(time.time())
    valid = sign_jwt({**claims, "iat": now - 60, "exp": now + 600}, jwt_key)
    assert_ok(Portal(orgs.port, valid).call("GET", "/tenants"))  # control: our signing is the server's
    bad = {
        "forged (another key)": sign_jwt({**claims, "iat": now, "exp": now + 600}, signing_key(new_jwt_key())),
        "forged (the file's hex text as key)": sign_jwt({**claims, "iat": now, "exp": now + 600}, jwt_key.hex().encode()),
        "expired": sign_jwt({**claims, "iat": now - 3600, "exp": now - 1800}, jwt_key),
        "expired a minute ago": sign_jwt({**claims, "iat": now - JWT_TTL_S - 120, "exp": now - 120}, jwt_key),
        "alg none": b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode()) + "." +
                    b64url(json.dumps({**claims, "exp": now + 600}).encode()) + ".",
        "alg HS512 header": sign_jwt({**claims, "exp": now + 600}, jwt_key, {"alg": "HS512", "typ": "JWT"}),
        "signature cut": owner.token[:-4],
        "payload changed": ".".join([owner.token.split(".")[0], b64url(json.dumps({**claims, "role": "owner",
                                     "org_id": OTHER_ORG_ID, "sub": OTHER_ORG_ID}).encode()), owner.token.split(".")[2]]),
        "no exp": sign_jwt({k: v for k, v in claims.items() if k != "exp"}, jwt_key),
        "two parts": ".".join(owner.token.split(".")[:2]),
        "garbage": "not-a-jwt",
        "dots": "..",
        "payload not JSON": sign_jwt({}, jwt_key).split(".")[0] + "." + b64url(b"{{{") + ".sig",
    }
    accepted = []
    for what, token in bad.items():
        answer = Portal(orgs.port, token).call("GET", "/tenants")
        if answer.status != 401:
            accepted.append(f"a JWT {what}: {answer}")
        else:
            assert_error(answer, 401)
    assert not accepted, "\n".join(accepted)
    for what, headers in {"missing": {}, "empty bearer": {"Authorization": "Bearer "},
                          "basic": {"Authorization": "Basic " + base64.b64encode(b"owner@example.com:" + PASSWORD.encode()).decode()},
                          "no scheme": {"Authorization": owner.token}}.items():
        for method, path in (("GET", "/tenants"), ("POST", "/tenants"), ("GET", "/dashboard/org/summary"),
                             ("GET", "/activity"), ("GET", "/org/members")):
            answer = send(orgs.port, method, path, {"display_name": "x"} if method == "POST" else None, headers)
            assert answer.status == 401, f"{what} Authorization, {method} {path}: {answer}"
            assert_error(answer, 401)


def test_roles(orgs):
    by_role = users(orgs)
    owner, admin, member, viewer = (by_role[r] for r in ("owner", "admin", "member", "viewer"))
    base = owner.tenant("roles base", "prod")
    base_key = owner.key(base["id"], "base-key")

    # viewer: reads only
    assert [t["id"] for t in viewer.tenants()] == [t["id"] for t in owner.tenants()]
    assert_ok(viewer.call("GET", f"/tenants/{base['id']}"))
    assert [k["id"] for k in viewer.keys(base["id"])] == [base_key["id"]]
    assert_ok(viewer.call("GET", "/dashboard/org/summary"))
    before = owner.tenants()
    for method, path, body in (("POST", "/tenants", {"display_name": "by viewer"}),
                               ("PATCH", f"/tenants/{base['id']}", {"display_name": "renamed by viewer"}),
                               ("DELETE", f"/tenants/{base['id']}", None),
                               ("POST", f"/tenants/{base['id']}/suspend", None),
                               ("POST", f"/tenants/{base['id']}/keys", {"display_name": "by-viewer"}),
                               ("POST", f"/tenants/{base['id']}/keys/{base_key['id']}/rotate", None),
                               ("DELETE", f"/tenants/{base['id']}/keys/{base_key['id']}", None),
                               ("POST", "/org/members/invite", {"email": "x@example.com", "role": "viewer"})):
        assert_error(viewer.call(method, path, body), 403)
    assert owner.tenants() == before and [k["id"] for k in owner.keys(base["id"])] == [base_key["id"]]
    assert owner.verify(base_key["key"], base["id"]).status == 200

    # member: creates and manages tenants and keys, but deletes no tenant and invites nobody
    made = assert_tenant(assert_ok(member.create_tenant("by member", "dev"), 201).json, slug="trainingorg")
    patched = assert_ok(member.call("PATCH", f"/tenants/{made['id']}", {"display_name": "renamed by member"})).json
    assert patched["display_name"] == "renamed by member" and patched["environment"] == "dev", patched
    key = assert_key(member.key(made["id"], "member-key"), created=True)
    rotated = assert_key(assert_ok(member.call("POST", f"/tenants/{made['id']}/keys/{key['id']}/rotate")).json, created=True)
    assert rotated["id"] == key["id"] and rotated["key"] != key["key"]
    assert_ok(member.call("POST", f"/tenants/{made['id']}/suspend"))
    assert_ok(member.call("POST", f"/tenants/{made['id']}/resume"))
    assert_error(member.call("DELETE", f"/tenants/{made['id']}"), 403)
    assert_error(member.call("POST", "/org/members/invite", {"email": "y@example.com", "role": "viewer"}), 403)
    assert_ok(owner.call("GET", f"/tenants/{made['id']}"))
    assert owner.verify(rotated["key"], made["id"]).status == 200, "member's refused delete changed nothing"

    # admin and owner delete tenants; the keys of a deleted tenant stop at once
    assert_ok(admin.call("DELETE", f"/tenants/{made['id']}"), 204)
    assert_error(owner.call("GET", f"/tenants/{made['id']}"), 404)
    assert_error(owner.call("DELETE", f"/tenants/{made['id']}"), 404)
    assert owner.verify(rotated["key"], made["id"]).status == 401
    other = owner.tenant("by owner", "staging")
    assert_ok(owner.call("DELETE", f"/tenants/{other['id']}"), 204)
    left = [t["id"] for t in owner.tenants()]
    assert base["id"] in left and made["id"] not in left and other["id"] not in left, left

    members = assert_ok(owner.call("GET", "/org/members")).json
    assert isinstance(members, list), members
    assert {(m["email"], m["role"]) for m in members} >= {(e, r) for e, (r, _) in USERS.items()}, members
    assert "other@example.com" not in json.dumps(members)


def test_another_organisations_tenant_is_404_and_untouched(orgs):
    owner = orgs.portal().login("owner@example.com", PASSWORD)
    other = orgs.portal().login("other@example.com", "Other-pass-1")
    tenant = owner.tenant("mine", "prod")
    key = owner.key(tenant["id"], "mine-key")
    before_tenant, before_keys = owner.call("GET", f"/tenants/{tenant['id']}").json, owner.keys(tenant["id"])
    t, k = tenant["id"], key["id"]
    for method, path, body in (("GET", f"/tenants/{t}", None),
                               ("PATCH", f"/tenants/{t}", {"display_name": "stolen"}),
                               ("DELETE", f"/tenants/{t}", None),
                               ("POST", f"/tenants/{t}/suspend", None),
                               ("POST", f"/tenants/{t}/resume", None),
                               ("GET", f"/tenants/{t}/keys", None),
                               ("POST", f"/tenants/{t}/keys", {"display_name": "planted"}),
                               ("GET", f"/tenants/{t}/keys/{k}", None),
                               ("POST", f"/tenants/{t}/keys/{k}/rotate", None),
                               ("DELETE", f"/tenants/{t}/keys/{k}", None),
                               ("GET", f"/dashboard/tenants/{t}/usage", None)):
        answer = other.call(method, path, body)
        assert_error(answer, 404)
        assert "mine" not in answer.text and key["prefix"] not in answer.text, answer
    assert owner.call("GET", f"/tenants/{t}").json == before_tenant
    assert owner.keys(t) == before_keys
    assert owner.verify(key["key"], t).status == 200
    assert t not in json.dumps(other.tenants())
    assert assert_ok(other.call("GET", f"/activity?tenant_id={t}")).json["events"] == []


def test_the_free_plan_allows_three_tenants(tmp_path):
    organisations = [organisation(TRAINING_ORG, "free", {"owner@example.com": ("owner", PASSWORD)})]
    with PortalServer(tmp_path, "free", organisations=organisations) as server:
        owner = server.portal().login("owner@example.com", PASSWORD)
        made = [assert_tenant(owner.tenant(f"t{n}", "dev"), slug="trainingorg") for n in range(3)]
        summary = assert_ok(owner.call("GET", "/dashboard/org/summary")).json
        assert list(summary) == SUMMARY_FIELDS, summary
        assert summary["billing_plan"] == "free" and summary["plan_max_active_series"] == 10_000, summary
        assert summary["tenants"] == 3 and summary["plan_max_tenants"] == 3, summary
        answer = owner.create_tenant("fourth", "dev")
        assert_error(answer, 402, "tenant_limit_reached")
        assert [t["id"] for t in owner.tenants()] == [t["id"] for t in made], "the refused create made a tenant"
        assert "tenant.created" in {e["type"] for e in owner.call("GET", "/activity").json["events"]}
        assert len([e for e in owner.call("GET", "/activity?type=tenant.created").json["events"]
                    if e["result"] == "success"]) == 3


def test_state_survives_a_restart_of_its_data_dir(tmp_path):
    key_bytes = new_jwt_key()
    organisations = [organisation(TRAINING_ORG, "scale", {"owner@example.com": ("owner", PASSWORD)})]
    server = PortalServer(tmp_path, "restart", organisations=organisations, jwt_key=key_bytes).start()
    try:
        owner = server.portal().login("owner@example.com", PASSWORD)
        active, suspended = owner.tenant("stays active", "prod"), owner.tenant("stays suspended", "staging")
        keep = owner.key(active["id"], "kept")
        gone = owner.key(active["id"], "revoked")
        paused_key = owner.key(suspended["id"], "of-the-suspended")
        assert_ok(owner.call("DELETE", f"/tenants/{active['id']}/keys/{gone['id']}"), 204)
        assert_ok(owner.call("POST", f"/tenants/{suspended['id']}/suspend"))
        before = {"tenants": owner.tenants(), "keys": owner.keys(active["id"]), "paused keys": owner.keys(suspended["id"]),
                  "revoked": owner.call("GET", f"/tenants/{active['id']}/keys/{gone['id']}").json}
        assert [t["status"] for t in before["tenants"]] == ["active", "suspended"]

        server.restart()

        again = server.portal().login("owner@example.com", PASSWORD)
        assert jwt_parts(again.token)[1]["org_id"] == jwt_parts(owner.token)[1]["org_id"], "the org id moved"
        assert_ok(owner.call("GET", "/tenants")), "a token of the same --jwt-key-file is still good"
        after = {"tenants": again.tenants(), "keys": again.keys(active["id"]), "paused keys": again.keys(suspended["id"]),
                 "revoked": again.call("GET", f"/tenants/{active['id']}/keys/{gone['id']}").json}
        for what in before:
            assert after[what] == before[what], f"{what} changed across the restart: {before[what]} -> {after[what]}"
        assert again.verify(keep["key"], active["id"]).status == 200
        assert again.verify(gone["key"], active["id"]).status == 401
        assert again.verify(paused_key["key"], suspended["id"]).status == 403
        assert_ok(again.call("POST", f"/tenants/{suspended['id']}/resume"))
        assert again.verify(paused_key["key"], suspended["id"]).status == 200
        assert len(again.tenants()) == 2 and again.tenant("after restart")["id"] not in {t["id"] for t in before["tenants"]}
    finally:
        server.stop()


def test_a_restart_with_a_new_random_signing_key_voids_old_jwts(tmp_path):
    with PortalServer(tmp_path, "random-key") as server:  # open mode, no --jwt-key-file
        token = server.portal().login("anyone@example.com", "x").token
        assert_ok(Portal(server.port, token).call("GET", "/tenants"))
        server.restart()
        assert_error(Portal(server.port, token).call("GET", "/tenants"), 401)


def test_open_mode_signs_anyone_in_as_owner_of_default(tmp_path):
    with PortalServer(tmp_path, "open") as server:
        portal = server.portal()
        first = jwt_parts(portal.login("a@example.com", "x").token)[1]
        second = jwt_parts(portal.login("b@example.org", "y").token)[1]
        assert first["role"] == second["role"] == "owner" and first["org_id"] == second["org_id"], (first, second)
        assert ORG_ID.match(first["org_id"]), first
        empty = send(server.port, "POST", "/auth/login", {"email": "a@example.com", "password": ""})
        assert_error(empty, 400 if empty.status == 400 else 401)  # "a non-empty password" is needed
        signup = send(server.port, "POST", "/auth/signup", {"email": "c@example.com", "password": "z", "name": "C"})
        assert signup.status in (200, 201) and signup.json["token"].count(".") == 2, signup
        user = portal.login("a@example.com", "x")
        assert_tenant(user.tenant("open"), slug="default")
        assert assert_ok(user.call("GET", "/dashboard/org/summary")).json["billing_plan"] == "scale"


def test_api_portal_spellings_reach_the_same_handlers(orgs):
    owner = orgs.portal().login("owner@example.com", PASSWORD)
    aliased = orgs.portal("/api/portal").login("owner@example.com", PASSWORD)
    made = assert_tenant(assert_ok(aliased.create_tenant("via alias", "dev"), 201).json, slug="trainingorg")
    assert aliased.tenants() == owner.tenants()
    me = assert_ok(aliased.call("GET", "/org/me")).json
    assert me["name"] == TRAINING_ORG, me
    key = assert_ok(aliased.call("POST", f"/tenants/{made['id']}/keys", {"name": "by-name"}), 201).json
    assert key["display_name"] == "by-name", key
    assert_ok(aliased.call("GET", f"/tenants/{made['id']}/dashboard/summary"))
    paused = assert_ok(owner.call("POST", f"/tenants/{made['id']}/pause")).json
    assert paused["status"] == "suspended", paused
    assert owner.verify(key["key"], made["id"]).status == 403
    assert_ok(owner.call("DELETE", f"/tenants/{made['id']}"), 204)


def test_scopes_on_the_data_plane(orgs):
    owner = orgs.portal().login("owner@example.com", PASSWORD)
    tenant = owner.tenant("scopes")
    keys = {scope: assert_key(owner.key(tenant["id"], "scope-" + scope.replace("+", "-"), scope=scope), created=True, scope=scope)
            for scope in ("read", "write", "read+write")}
    assert assert_key(owner.key(tenant["id"], "default"), created=True)["scope"] == "read+write"
    expected = {("read", PUSH): 403, ("read", QUERY): 200, ("write", PUSH): 200, ("write", QUERY): 403,
                ("read+write", PUSH): 200, ("read+write", QUERY): 200}
    for (scope, operation), status in expected.items():
        answer = owner.verify(keys[scope]["key"], tenant["id"], operation)
        assert answer.status == status, f"{scope} key, {operation}: expected {status}, got {answer}"
    ok = owner.verify(keys["write"]["key"], tenant["id"])
    assert ok.headers.get("x-scope-orgid") == tenant["id"], ok.headers
    for operation in (("POST", "/loki/api/v1/push"), ("POST", "/otlp/v1/traces")):
        assert owner.verify(keys["write"]["key"], tenant["id"], operation).status == 200, operation
    secret = keys["write"]["key"]
    typo = secret[:10] + ("b" if secret[10] == "a" else "a") + secret[11:]
    assert owner.verify(typo, tenant["id"]).status == 401
    assert_ok(owner.call("DELETE", f"/tenants/{tenant['id']}"), 204)


def test_the_cockpit_face_sees_a_tenants_keys_as_tokens_of_its_project(tmp_path):
    """The key id is its token's UUID without dashes (docs/portal.md): the Cockpit token of
    the key names the tenant's project, whose tokens are the tenant's keys."""
    with PortalServer(tmp_path, "faces") as server:  # open mode: any X-Auth-Token manages
        user = server.portal().login("a@example.com", "x")
        tenant = user.tenant("both faces")
        key = user.key(tenant["id"], "xscaler-key", scope="write")
        token_id = str(uuid.UUID(key["id"][len("key_"):]))
        cockpit = {"X-Auth-Token": "faces-test"}
        token = send(server.port, "GET", f"/cockpit/v1/regions/fr-par/tokens/{token_id}", None, cockpit)
        if token.status == 404:
            pytest.skip(f"the key's token is not exposed to the Cockpit face: {token}")
        assert token.status == 200, token
        project = token.json["project_id"]
        assert token.json["name"] == "xscaler-key", token
        assert set(token.json["scopes"]) == {"write_only_metrics", "write_only_logs", "write_only_traces"}, token
        listed = send(server.port, "GET", f"/cockpit/v1/regions/fr-par/tokens?project_id={project}", None, cockpit)
        assert listed.status == 200 and [t["id"] for t in listed.json["tokens"]] == [token_id], listed
        assert verify(server.port, key["key"], project).status == 200, "the project UUID is the tenant's other id"
        # A Cockpit token of the project shows as a key of the tenant.
        made = send(server.port, "POST", "/cockpit/v1/regions/fr-par/tokens", {
            "project_id": project, "name": "cockpit-token",
            "token_scopes": ["read_only_metrics", "write_only_logs"]}, cockpit)
        assert made.status == 200, made
        keys = user.keys(tenant["id"])
        shown = next(k for k in keys if k["display_name"] == "cockpit-token")
        assert shown["id"] == "key_" + made.json["id"].replace("-", "") and shown["scope"] == "read+write", shown
        # Suspended: the Cockpit token is refused too.
        assert_ok(user.call("POST", f"/tenants/{tenant['id']}/suspend"))
        assert verify(server.port, made.json["secret_key"], project, QUERY).status == 403
        assert verify(server.port, key["key"], tenant["id"]).status == 403
