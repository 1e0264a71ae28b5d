"""xScaler's own training examples (learn.xscalerlabs.com, session 4: tenant administration),
run as they are written, with real bash, curl and jq, against `tokend serve --ephemeral
--port 0` (open mode: any email signs in, as owner of the organisation `Default`) with
PORTAL_BASE set to the URL it prints; then the data plane with curl, as nginx would ask it.

    TOKEND_BINARY=… .venv/bin/python -m pytest -q scripts/portal_curl_test.py

With TOKEND_URL set (scripts/with-topology: a gateway over three `tokend region` servers)
the examples run against that server instead.

The tests run in order and share one server and what the earlier ones made (`state`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

import pytest

from ephemeral_test import first_line, start, stop
from portal_test import KEY_FIELDS, SUMMARY_FIELDS, TENANT_FIELDS, TIMESTAMP, jwt_parts

TENANT_ID = re.compile(r"^xs_default_[a-z2-7]{8}$")
KEY_ID = re.compile(r"^key_[0-9a-f]{32}$")
SECRET = re.compile(r"^xag_[a-z0-9]{32}$")
TENANTS = [("Payment Service Production", "prod"), ("Payment Service Staging", "staging"),
           ("Payment Service Dev", "dev")]

pytestmark = pytest.mark.skipif(not (shutil.which("curl") and shutil.which("jq")),
                                reason="needs curl and jq (scripts/system-packages installs them)")


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    if os.environ.get("TOKEND_URL"):
        logs = tmp_path_factory.mktemp("portal-curl-logs")
        (logs / "tokend.log").write_text("(the server's logs are with-topology's)\n")
        yield {"url": os.environ["TOKEND_URL"].rstrip("/"), "log": logs / "tokend.log",
               "work": tmp_path_factory.mktemp("portal-curl-work")}
        return
    folder, logs = tmp_path_factory.mktemp("portal-curl"), tmp_path_factory.mktemp("portal-curl-logs")
    process = start(folder, logs / "tokend.log")
    try:
        yield {"url": first_line(process, logs / "tokend.log"), "log": logs / "tokend.log",
               "work": tmp_path_factory.mktemp("portal-curl-work")}
    finally:
        stop(process)


@pytest.fixture(scope="module")
def state() -> dict:
    return {}


def bash(portal: dict, script: str, **env: str) -> str:
    """Runs `script` in bash with PORTAL_BASE (and `env`) set; its standard output."""
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=120, cwd=portal["work"],
                          env={**os.environ, "PORTAL_BASE": portal["url"], "OUT": str(portal["work"]), **env})
    assert done.returncode == 0, f"bash exited {done.returncode}\n--- script\n{script}\n--- stdout\n{done.stdout}" \
                                 f"\n--- stderr\n{done.stderr}\n--- server log\n{open(portal['log']).read()[-3000:]}"
    return done.stdout


def documents(text: str) -> list:
    """The JSON documents jq printed one after another."""
    decoder, found, at = json.JSONDecoder(), [], 0
    while at < len(text):
        if text[at].isspace():
            at += 1
            continue
        value, at = decoder.raw_decode(text, at)
        found.append(value)
    return found


def need(state: dict, *names: str) -> list:
    missing = [name for name in names if name not in state]
    if missing:
        pytest.skip(f"an earlier step failed: no {', '.join(missing)}")
    return [state[name] for name in names]


def test_login(portal, state):
    out = bash(portal, """
JWT_TOKEN=$(curl -s -X POST $PORTAL_BASE/auth/login -H "Content-Type: application/json" -d '{"email":"training@example.com","password":"Training123!"}' | jq -r '.token')
echo "$JWT_TOKEN"
""")
    token = out.strip()
    assert token.count(".") == 2, f"no JWT from login: {out!r}"
    header, claims, _ = jwt_parts(token)
    assert header["alg"] == "HS256" and header.get("typ", "JWT") == "JWT", header
    assert claims["email"] == "training@example.com" and claims["role"] == "owner", claims
    assert re.match(r"^xs_org_[0-9a-f]{32}$", claims["sub"]) and claims["org_id"] == claims["sub"], claims
    assert claims["exp"] - claims["iat"] == 1800, claims
    state["jwt"] = token


def test_create_three_tenants(portal, state):
    (jwt,) = need(state, "jwt")
    out = bash(portal, """
curl -s -X POST $PORTAL_BASE/tenants -H "Authorization: Bearer $JWT_TOKEN" -H "Content-Type: application/json" -d '{"display_name": "Payment Service Production", "environment": "prod"}' | jq
curl -s -X POST $PORTAL_BASE/tenants -H "Authorization: Bearer $JWT_TOKEN" -H "Content-Type: application/json" -d '{"display_name": "Payment Service Staging", "environment": "staging"}' | jq
curl -s -X POST $PORTAL_BASE/tenants -H "Authorization: Bearer $JWT_TOKEN" -H "Content-Type: application/json" -d '{"display_name": "Payment Service Dev", "environment": "dev"}' | jq
""", JWT_TOKEN=jwt)
    tenants = documents(out)
    assert len(tenants) == 3, out
    for tenant, (name, environment) in zip(tenants, TENANTS):
        assert list(tenant) == TENANT_FIELDS, f"fields {list(tenant)}, documented {TENANT_FIELDS}"
        assert TENANT_ID.match(tenant["id"]), tenant
        assert (tenant["display_name"], tenant["environment"]) == (name, environment), tenant
        assert tenant["region"] == "fr-par", tenant
        assert (tenant["metrics_host"], tenant["logs_host"], tenant["traces_host"]) == \
            ("fr-par.m.tokend.localhost", "fr-par.l.tokend.localhost", "fr-par.t.tokend.localhost"), tenant
        assert TIMESTAMP.match(tenant["created_at"]) and tenant["status"] == "active", tenant
    assert len({t["id"] for t in tenants}) == 3
    state["tenants"] = tenants


def test_list_tenants(portal, state):
    jwt, tenants = need(state, "jwt", "tenants")
    out = bash(portal, """
curl -s $PORTAL_BASE/tenants -H "Authorization: Bearer $JWT_TOKEN" | jq '.[].id'
""", JWT_TOKEN=jwt)
    assert documents(out) == [t["id"] for t in tenants], "oldest first, bare array"
    out = bash(portal, """
curl -s $PORTAL_BASE/tenants -H "Authorization: Bearer $JWT_TOKEN" | jq '.[] | {id, display_name, environment}'
""", JWT_TOKEN=jwt)
    assert documents(out) == [{"id": t["id"], "display_name": t["display_name"], "environment": t["environment"]}
                              for t in tenants]
    out = bash(portal, """
curl -s $PORTAL_BASE/tenants -H "Authorization: Bearer $JWT_TOKEN" | jq -c '.[0] | keys_unsorted'
""", JWT_TOKEN=jwt)
    assert json.loads(out) == TENANT_FIELDS


def test_two_keys_for_the_prod_tenant(portal, state):
    jwt, tenants = need(state, "jwt", "tenants")
    out = bash(portal, """
TENANT_ID=$(curl -s $PORTAL_BASE/tenants -H "Authorization: Bearer $JWT_TOKEN" | jq -r '.[] | select(.environment == "prod") | .id')
KEY1=$(curl -s -X POST $PORTAL_BASE/tenants/$TENANT_ID/keys -H "Authorization: Bearer $JWT_TOKEN" -H "Content-Type: application/json" -d '{"display_name": "k8s-prod-collector-1"}' | jq -r '.key')
KEY2=$(curl -s -X POST $PORTAL_BASE/tenants/$TENANT_ID/keys -H "Authorization: Bearer $JWT_TOKEN" -H "Content-Type: application/json" -d '{"display_name": "k8s-prod-collector-2"}' | tee "$OUT/key2.json" | jq -r '.key')
echo "$TENANT_ID"
echo "$KEY1"
echo "$KEY2"
""", JWT_TOKEN=jwt)
    tenant_id, key1, key2 = out.split()
    assert tenant_id == tenants[0]["id"]
    for key in (key1, key2):
        assert key.startswith("xag_") and SECRET.match(key), key
    assert key1 != key2
    created = json.loads((portal["work"] / "key2.json").read_text())
    fields = list(created)
    assert "key" in fields and created["key"] == key2, created
    fields.remove("key")
    assert fields == KEY_FIELDS, f"create answer fields {list(created)}, documented {KEY_FIELDS} + key"
    assert KEY_ID.match(created["id"]) and created["display_name"] == "k8s-prod-collector-2", created
    assert created["prefix"] == key2[:8] and created["scope"] == "read+write" and created["status"] == "active", created
    assert created["last_used_at"] is None and created["revoked_at"] is None and TIMESTAMP.match(created["created_at"])
    state.update(tenant_id=tenant_id, key1=key1, key2=key2)


def test_list_keys(portal, state):
    jwt, tenant_id, key1, key2 = need(state, "jwt", "tenant_id", "key1", "key2")
    out = bash(portal, """
curl -s $PORTAL_BASE/tenants/$TENANT_ID/keys -H "Authorization: Bearer $JWT_TOKEN" | jq '.[] | {id, display_name, prefix}'
""", JWT_TOKEN=jwt, TENANT_ID=tenant_id)
    listed = documents(out)
    assert [k["display_name"] for k in listed] == ["k8s-prod-collector-1", "k8s-prod-collector-2"], listed
    assert [k["prefix"] for k in listed] == [key1[:8], key2[:8]], listed
    assert all(KEY_ID.match(k["id"]) for k in listed), listed
    raw = bash(portal, """
curl -s $PORTAL_BASE/tenants/$TENANT_ID/keys -H "Authorization: Bearer $JWT_TOKEN"
""", JWT_TOKEN=jwt, TENANT_ID=tenant_id)
    assert key1 not in raw and key2 not in raw and key1[8:20] not in raw, "a secret in the key list"
    for key in json.loads(raw):
        assert list(key) == KEY_FIELDS, f"list fields {list(key)}, documented {KEY_FIELDS}"
    state["key_ids"] = {k["display_name"]: k["id"] for k in listed}


def test_org_summary(portal, state):
    (jwt,) = need(state, "jwt")
    out = bash(portal, """
curl -s $PORTAL_BASE/dashboard/org/summary -H "Authorization: Bearer $JWT_TOKEN" | jq '{plan: .billing_plan, series: .org_active_series, limit: .plan_max_active_series, pct_used: ((.org_active_series / .plan_max_active_series) * 100 | floor)}'
""", JWT_TOKEN=jwt)
    assert documents(out) == [{"plan": "scale", "series": 0, "limit": 20000, "pct_used": 0}], out
    raw = json.loads(bash(portal, 'curl -s $PORTAL_BASE/dashboard/org/summary -H "Authorization: Bearer $JWT_TOKEN"',
                          JWT_TOKEN=jwt))
    assert list(raw) == SUMMARY_FIELDS, raw
    assert raw["tenants"] == 3 and raw["plan_max_tenants"] == 10 and raw["org_logs_gb_ingested_this_month"] == 0, raw


DATA_PLANE = r"""
verify() {
  curl -s -o /dev/null -w '%{http_code}' $PORTAL_BASE/_tokend/verify -H "Authorization: Bearer $1" -H "X-Scope-OrgID: $2" -H "X-Original-URI: /api/v1/push" -H "X-Original-Method: POST"
}
"""


def test_data_plane_verify_tenant_typo(portal, state):
    tenant_id, key1, tenants = need(state, "tenant_id", "key1", "tenants")
    out = bash(portal, DATA_PLANE + r"""
echo "own $(verify $KEY1 $TENANT_ID)"
echo "other $(verify $KEY1 $OTHER_ID)"
echo "made-up $(verify $KEY1 xs_default_zzzzzzzz)"
echo "typo $(verify ${KEY1%?}$( [ "${KEY1: -1}" = a ] && echo b || echo a) $TENANT_ID)"
echo "none $(curl -s -o /dev/null -w '%{http_code}' $PORTAL_BASE/_tokend/verify -H "X-Scope-OrgID: $TENANT_ID" -H "X-Original-URI: /api/v1/push" -H "X-Original-Method: POST")"
curl -s -D - -o /dev/null $PORTAL_BASE/_tokend/verify -H "Authorization: Bearer $KEY1" -H "X-Scope-OrgID: $TENANT_ID" -H "X-Original-URI: /api/v1/push" -H "X-Original-Method: POST" | tr -d '\r' | grep -i '^x-scope-orgid:' || echo 'X-Scope-OrgID: (none)'
""", KEY1=key1, TENANT_ID=tenant_id, OTHER_ID=tenants[1]["id"])
    lines = out.splitlines()
    results = dict(line.split(" ", 1) for line in lines[:5])
    assert results == {"own": "200", "other": "403", "made-up": results["made-up"], "typo": "401", "none": "401"}, out
    assert results["made-up"] in ("401", "403"), out
    assert lines[5].split(":", 1)[1].strip() == tenant_id, f"the canonical tenant id on a 200: {out}"


def test_data_plane_revoke_and_rotate(portal, state):
    jwt, tenant_id, key1, key2, key_ids = need(state, "jwt", "tenant_id", "key1", "key2", "key_ids")
    out = bash(portal, DATA_PLANE + r"""
echo "before $(verify $KEY1 $TENANT_ID)"
echo "revoke $(curl -s -o /dev/null -w '%{http_code}' -X DELETE $PORTAL_BASE/tenants/$TENANT_ID/keys/$KEY1_ID -H "Authorization: Bearer $JWT_TOKEN")"
echo "revoked $(verify $KEY1 $TENANT_ID)"
echo "listed $(curl -s $PORTAL_BASE/tenants/$TENANT_ID/keys -H "Authorization: Bearer $JWT_TOKEN" | jq -c '[.[].id]')"
echo "shown $(curl -s $PORTAL_BASE/tenants/$TENANT_ID/keys/$KEY1_ID -H "Authorization: Bearer $JWT_TOKEN" | jq -c '{status, revoked: (.revoked_at != null)}')"
echo "again $(curl -s -o /dev/null -w '%{http_code}' -X DELETE $PORTAL_BASE/tenants/$TENANT_ID/keys/$KEY1_ID -H "Authorization: Bearer $JWT_TOKEN")"
NEW_KEY=$(curl -s -X POST $PORTAL_BASE/tenants/$TENANT_ID/keys/$KEY2_ID/rotate -H "Authorization: Bearer $JWT_TOKEN" | tee "$OUT/rotated.json" | jq -r '.key')
echo "old $(verify $KEY2 $TENANT_ID)"
echo "new $(verify $NEW_KEY $TENANT_ID)"
echo "key $NEW_KEY"
""", JWT_TOKEN=jwt, TENANT_ID=tenant_id, KEY1=key1, KEY2=key2, KEY1_ID=key_ids["k8s-prod-collector-1"],
               KEY2_ID=key_ids["k8s-prod-collector-2"])
    results = dict(line.split(" ", 1) for line in out.splitlines())
    assert results["before"] == "200", out
    assert results["revoke"] == "204", out
    assert results["revoked"] == "401", f"a revoked key must be refused at once: {out}"
    assert json.loads(results["listed"]) == [key_ids["k8s-prod-collector-2"]], f"a revoked key stays listed: {out}"
    assert json.loads(results["shown"]) == {"status": "revoked", "revoked": True}, out
    assert results["again"] == "404", out
    assert results["old"] == "401" and results["new"] == "200", out
    rotated = json.loads((portal["work"] / "rotated.json").read_text())
    assert rotated["id"] == key_ids["k8s-prod-collector-2"] and rotated["key"] == results["key"] != key2, rotated
    assert SECRET.match(rotated["key"]) and rotated["prefix"] == rotated["key"][:8], rotated
    state["live_key"] = results["key"]


def test_data_plane_suspend_and_resume(portal, state):
    jwt, tenant_id, key = need(state, "jwt", "tenant_id", "live_key")
    out = bash(portal, DATA_PLANE + r"""
echo "suspend $(curl -s -X POST $PORTAL_BASE/tenants/$TENANT_ID/suspend -H "Authorization: Bearer $JWT_TOKEN" | jq -r '.status')"
echo "suspended $(verify $KEY $TENANT_ID)"
echo "status $(curl -s $PORTAL_BASE/tenants/$TENANT_ID -H "Authorization: Bearer $JWT_TOKEN" | jq -r '.status')"
echo "resume $(curl -s -X POST $PORTAL_BASE/tenants/$TENANT_ID/resume -H "Authorization: Bearer $JWT_TOKEN" | jq -r '.status')"
echo "resumed $(verify $KEY $TENANT_ID)"
""", JWT_TOKEN=jwt, TENANT_ID=tenant_id, KEY=key)
    results = dict(line.split(" ", 1) for line in out.splitlines())
    assert results == {"suspend": "suspended", "suspended": "403", "status": "suspended", "resume": "active",
                       "resumed": "200"}, out


def test_activity_tells_the_story(portal, state):
    jwt, tenant_id = need(state, "jwt", "tenant_id")
    out = bash(portal, """
curl -s "$PORTAL_BASE/activity?tenant_id=$TENANT_ID" -H "Authorization: Bearer $JWT_TOKEN" | jq -c '[.events[].type]'
""", JWT_TOKEN=jwt, TENANT_ID=tenant_id)
    assert json.loads(out) == ["tenant.activated", "tenant.suspended", "api_key.rotated", "api_key.revoked",
                               "api_key.created", "api_key.created", "tenant.created"], f"newest first: {out}"
