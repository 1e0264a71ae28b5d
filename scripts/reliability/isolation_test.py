"""Item 5, isolation in keys mode: project A's key against project B's tokens, on every
endpoint and in every region, is a 403 or a 404 every time, and no answer (body or headers)
carries any of B's ids, names, secrets or secret prefixes. On the data plane, a token of
tenant A presented with B's X-Scope-OrgID is a 403, and the other way round.

The portal face (docs/portal.md), the same matrix for organisations: a user of organisation
A on B's tenants and keys (get, patch, delete, suspend, resume, keys: list, create, get,
revoke, rotate; usage; the /api/portal spellings) is a 404 every time, A's lists, summary
and activity (filtered by B's tenant or searched for B's names) show nothing of B's, and
an xScaler key of A never verifies for B's tenant (403) nor for a made-up one (401 or 403).
"""

from __future__ import annotations

import uuid

import pytest

from harness.tokend import ServeProcess
from portal_test import Answer as PortalAnswer, PortalServer, assert_error, assert_ok, new_jwt_key, organisation
from tokend_http import REGIONS, Answer, Api, assert_contract, send

PROJECT_A = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
PROJECT_B = "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"
KEY_A, KEY_B, KEY_ADMIN = "alpha-key-0123456789", "bravo-key-0123456789", "admin-key-0123456789"
KEYS = [{"key": KEY_A, "projects": [PROJECT_A]}, {"key": KEY_B, "projects": [PROJECT_B]},
        {"key": KEY_ADMIN, "projects": ["*"]}]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A keys-mode server; A and B each have two tokens per region (one rotated, so the
    activity trail has every kind of event), B's created with Idempotency-Keys."""
    server = ServeProcess(tmp_path_factory.mktemp("isolation"), "isolation", keys=KEYS).start()
    try:
        tokens = {"A": [], "B": []}
        for owner, key, project in (("A", KEY_A, PROJECT_A), ("B", KEY_B, PROJECT_B)):
            api = Api(server.port, key)
            for region in REGIONS:
                for n in range(2):
                    token = assert_contract(api.create(region, project, f"{owner.lower()}-secret-name-{region}-{n}",
                                                       idempotency_key=f"{owner}-{region}-{n}")).json
                    if n == 1:
                        token["secret_key"] = assert_contract(api.rotate(region, token["id"])).json["secret_key"]
                    tokens[owner].append(token)
        yield server, tokens
    finally:
        server.stop()


def b_traces(tokens: list[dict]) -> set[str]:
    """Everything of B's that A must never see: ids, names, secrets, display prefixes. (B's
    project id is not among them: A names it in its own requests, and may see it echoed.)"""
    traces = set()
    for token in tokens:
        traces |= {token["id"], token["name"], token["secret_key"], token["secret_key"][:18]}
    return traces


def leaks(answer: Answer, traces: set[str]) -> list[str]:
    text = answer.text + " " + " ".join(f"{k}: {v}" for k, v in answer.headers.items())
    return sorted(trace for trace in traces if trace in text)


def a_against_b(api: Api, token: dict) -> dict[str, Answer]:
    """Every management call A can aim at one of B's tokens (in its region and another)."""
    region, token_id = token["region"], token["id"]
    elsewhere = next(r for r in REGIONS if r != region)
    return {
        "create in B": api.create(region, PROJECT_B, "a-into-b"),
        "get": api.get(region, token_id),
        "get via another region": api.get(elsewhere, token_id),
        "delete": api.delete(region, token_id),
        "rotate": api.rotate(region, token_id),
        "rotate with grace": api.rotate(region, token_id, grace_period_seconds=3600),
        "list project B": api.list(region, project_id=PROJECT_B),
        "list project B, page 2": api.list(region, project_id=PROJECT_B, page=2, page_size=1),
        "activity project B": api.activity(region, project_id=PROJECT_B),
        "replay B's idempotency key": api.create(region, PROJECT_B, token["name"],
                                                 idempotency_key=f"B-{region}-{token['name'][-1]}"),
    }


def test_key_of_a_on_tokens_of_b(world, figures):
    server, tokens = world
    api, admin = Api(server.port, KEY_A), Api(server.port, KEY_ADMIN)
    traces = b_traces(tokens["B"])
    checked = 0
    for token in tokens["B"]:
        # The id and name A itself sent may be echoed (a 404 names the id asked for); nothing else.
        others = traces - {token["id"], token["name"]}
        for what, answer in a_against_b(api, token).items():
            assert_contract(answer)
            assert answer.status in (403, 404), f"A: {what} on B's {token['id']}: {answer}"
            assert not leaks(answer, others), f"A: {what} shows B's {leaks(answer, others)}: {answer}"
            assert token["secret_key"] not in answer.text and token["secret_key"][:18] not in answer.text, answer
            checked += 1
        # Nothing A did changed B's token: it is there and its latest secret still works.
        assert admin.get(token["region"], token["id"]).status == 200
        assert api.verify(token["secret_key"], PROJECT_B).status == 200

    a_ids = {t["id"] for t in tokens["A"]}
    for region in REGIONS:
        # What A may list or read without naming a project: its own, and nothing of B's.
        views = {"list": api.list(region, page_size=1000), "list project A": api.list(region, project_id=PROJECT_A),
                 "activity": api.activity(region, page_size=1000)}
        for what, answer in views.items():
            assert assert_contract(answer).status == 200, f"A: {what} in {region}: {answer}"
            assert not leaks(answer, traces), f"A: {what} in {region} shows B's {leaks(answer, traces)}"
            checked += 1
        listed = {t["id"] for t in views["list"].json["tokens"]}
        assert listed == {t["id"] for t in tokens["A"] if t["region"] == region} and listed <= a_ids
        assert views["list"].json["total_count"] == 2
        assert {e["project_id"] for e in views["activity"].json["events"]} == {PROJECT_A}
        b_token = next(t for t in tokens["B"] if t["region"] == region)
        of_b_token = assert_contract(api.activity(region, token_id=b_token["id"]))
        assert of_b_token.status == 200 and of_b_token.json == {"total_count": 0, "events": []}, of_b_token

    # Control: the scan does find B's traces where B may look, so a leak could not go unseen.
    assert leaks(admin.list("fr-par", project_id=PROJECT_B), traces)
    figures("isolation", f"{checked} calls of A's key on B's tokens and lists, every one 403/404 or "
            f"filtered to A, none showing any of B's {len(traces)} ids, names, secrets or prefixes")


def test_tenants_cannot_cross_on_the_data_plane(world):
    server, tokens = world
    api = Api(server.port, None)
    traces = b_traces(tokens["B"])
    for a_token, b_token in zip(tokens["A"], tokens["B"]):
        assert api.verify(a_token["secret_key"], PROJECT_A).status == 200  # control
        crossed = api.verify(a_token["secret_key"], PROJECT_B)
        assert assert_contract(crossed).status == 403 and crossed.json["type"] == "permissions_denied", crossed
        reverse = api.verify(b_token["secret_key"], PROJECT_A)
        assert assert_contract(reverse).status == 403, reverse
        assert not leaks(reverse, traces - {b_token["secret_key"]}), reverse


def test_unknown_and_missing_keys_and_reset(world):
    server, tokens = world
    # (A trailing space is not a different key: HTTP strips it from every field value.)
    for key in ("not-a-key-but-long-enough", KEY_A.upper(), KEY_A[:-1], KEY_A + "x", ""):
        answer = assert_contract(Api(server.port, key).list("fr-par"))
        assert answer.status == 401 and answer.json["type"] == "denied_authentication", (key, answer)
    reset = assert_contract(send(server.port, "POST", "/_tokend/reset", b"", {"X-Auth-Token": KEY_A}))
    assert reset.status == 403, reset
    admin = Api(server.port, KEY_ADMIN)
    assert sum(admin.counts().values()) == len(tokens["A"]) + len(tokens["B"])


def test_idempotency_keys_do_not_cross_projects(world):
    """B used the key "B-fr-par-0"; A's own create with that same key must be A's business
    alone: a new token in A, not a 409 telling A that another tenant used the key."""
    server, _ = world
    api = Api(server.port, KEY_A)
    answer = assert_contract(api.create("fr-par", PROJECT_A, "a-own-create", idempotency_key="B-fr-par-0"))
    assert answer.status == 200 and answer.json["project_id"] == PROJECT_A, \
        f"A's create with a key B happened to use: {answer}"


# ---------------------------------------------------------------- the portal face: organisations


ORGS = {"A": ("Alpha Org", "alpha@example.com", "Alpha-pass-1"), "B": ("Bravo Org", "bravo@example.com", "Bravo-pass-1")}


@pytest.fixture(scope="module")
def org_world(tmp_path_factory):
    """A keys-mode server with two organisations (each one owner, plus a viewer in A), each
    with a tenant holding two keys (one rotated) and a second, suspended tenant."""
    organisations = [organisation("Alpha Org", "scale", {"alpha@example.com": ("owner", "Alpha-pass-1"),
                                                         "alpha-viewer@example.com": ("viewer", "Alpha-view-1")}),
                     organisation("Bravo Org", "scale", {"bravo@example.com": ("owner", "Bravo-pass-1")})]
    server = PortalServer(tmp_path_factory.mktemp("org-isolation"), "orgs", organisations=organisations,
                          cockpit_keys=KEYS, jwt_key=new_jwt_key()).start()
    try:
        world = {}
        for owner, (org_name, email, password) in ORGS.items():
            portal = server.portal().login(email, password)
            tenant = portal.tenant(f"{owner.lower()}-secret-tenant-name", f"{owner.lower()}-env")
            paused = portal.tenant(f"{owner.lower()}-paused-tenant-name", "dev")
            assert_ok(portal.call("POST", f"/tenants/{paused['id']}/suspend"))
            keys = [portal.key(tenant["id"], f"{owner.lower()}-secret-key-name-{n}") for n in range(2)]
            rotated = assert_ok(portal.call("POST", f"/tenants/{tenant['id']}/keys/{keys[1]['id']}/rotate")).json
            keys[1] = rotated
            world[owner] = {"portal": portal, "tenant": tenant, "paused": paused, "keys": keys}
        yield server, world
    finally:
        server.stop()


def org_traces(side: dict) -> set[str]:
    """What another organisation must never see of this one: ids, names, secrets, prefixes."""
    traces = {side["tenant"]["id"], side["tenant"]["display_name"], side["paused"]["id"], side["paused"]["display_name"],
              side["tenant"]["environment"]}
    for key in side["keys"]:
        traces |= {key["id"], key["display_name"], key["key"], key["prefix"], key["key"][4:16]}
    return traces


def portal_leaks(answer: PortalAnswer, traces: set[str]) -> list[str]:
    text = answer.text + " " + " ".join(f"{k}: {v}" for k, v in answer.headers.items())
    return sorted(trace for trace in traces if trace in text)


def cross_org_calls(portal, tenant_id: str, key_id: str) -> dict[str, PortalAnswer]:
    t, k = tenant_id, key_id
    calls = {
        "get tenant": ("GET", f"/tenants/{t}", None),
        "patch tenant": ("PATCH", f"/tenants/{t}", {"display_name": "a-was-here"}),
        "patch environment": ("PATCH", f"/tenants/{t}", {"environment": ""}),
        "delete tenant": ("DELETE", f"/tenants/{t}", None),
        "suspend": ("POST", f"/tenants/{t}/suspend", None),
        "resume": ("POST", f"/tenants/{t}/resume", None),
        "pause": ("POST", f"/tenants/{t}/pause", None),
        "list keys": ("GET", f"/tenants/{t}/keys", None),
        "create key": ("POST", f"/tenants/{t}/keys", {"display_name": "a-planted-key"}),
        "create key by name": ("POST", f"/tenants/{t}/keys", {"name": "a-planted-key"}),
        "get key": ("GET", f"/tenants/{t}/keys/{k}", None),
        "revoke key": ("DELETE", f"/tenants/{t}/keys/{k}", None),
        "rotate key": ("POST", f"/tenants/{t}/keys/{k}/rotate", None),
        "usage": ("GET", f"/dashboard/tenants/{t}/usage", None),
        "alias get tenant": ("GET", f"/api/portal/tenants/{t}", None),
        "alias tenant summary": ("GET", f"/api/portal/tenants/{t}/dashboard/summary", None),
        "alias revoke key": ("DELETE", f"/api/portal/tenants/{t}/keys/{k}", None),
    }
    return {what: portal.call(method, path, body) for what, (method, path, body) in calls.items()}


def test_an_organisation_never_reaches_anothers_tenants(org_world, figures):
    server, world = org_world
    checked = 0
    for me, them in (("A", "B"), ("B", "A")):
        portal, other = world[me]["portal"], world[them]
        traces = org_traces(other)
        before = {"tenants": other["portal"].tenants(),
                  "keys": {t["id"]: other["portal"].keys(t["id"]) for t in (other["tenant"], other["paused"])}}
        for tenant in (other["tenant"], other["paused"]):
            for key in other["keys"]:
                for what, answer in cross_org_calls(portal, tenant["id"], key["id"]).items():
                    assert_error(answer, 404)
                    # The ids asked for may be echoed by a 404; nothing else of theirs.
                    shown = portal_leaks(answer, traces - {tenant["id"], key["id"]})
                    assert not shown, f"{me}: {what} on {them}'s {tenant['id']} shows {shown}: {answer}"
                    checked += 1
        # Views that name nothing of theirs, or filter by their tenant: only mine, or empty.
        views = {"tenants": portal.call("GET", "/tenants"), "summary": portal.call("GET", "/dashboard/org/summary"),
                 "activity": portal.call("GET", "/activity?limit=200"), "members": portal.call("GET", "/org/members"),
                 "alias tenants": portal.call("GET", "/api/portal/tenants"), "me": portal.call("GET", "/api/portal/org/me")}
        for tenant in (other["tenant"], other["paused"]):
            views[f"activity of {tenant['id']}"] = portal.call("GET", f"/activity?tenant_id={tenant['id']}")
            views[f"activity q={tenant['display_name']}"] = portal.call("GET", f"/activity?q={tenant['display_name']}")
        views["activity q=key"] = portal.call("GET", f"/activity?q={other['keys'][0]['display_name']}")
        for what, answer in views.items():
            assert_ok(answer)
            assert not portal_leaks(answer, traces), f"{me}: {what} shows {them}'s {portal_leaks(answer, traces)}"
            checked += 1
        mine = {world[me]["tenant"]["id"], world[me]["paused"]["id"]}
        assert {t["id"] for t in views["tenants"].json} == mine
        assert views["summary"].json["tenants"] == 2, views["summary"]
        assert {e["tenant_id"] for e in views["activity"].json["events"]} <= mine, views["activity"]
        for what in views:
            if what.startswith("activity ") and what != "activity":
                assert views[what].json["events"] == [], f"{me}: {what}: {views[what]}"
        assert ORGS[them][1] not in views["members"].text
        # Nothing they have changed.
        after = {"tenants": other["portal"].tenants(),
                 "keys": {t["id"]: other["portal"].keys(t["id"]) for t in (other["tenant"], other["paused"])}}
        assert after == before, f"{me}'s calls changed {them}'s tenants or keys"
        for key in other["keys"]:
            assert server.portal().verify(key["key"], other["tenant"]["id"]).status == 200
    # Control: the scan finds their traces where they may look.
    assert portal_leaks(world["B"]["portal"].call("GET", "/tenants"), org_traces(world["B"]))
    figures("isolation", f"{checked} portal calls of one organisation on another's tenants, keys and views, "
            "every one 404 or filtered to its own")


def test_a_viewer_reads_only_its_own_organisation(org_world):
    server, world = org_world
    viewer = server.portal().login("alpha-viewer@example.com", "Alpha-view-1")
    assert {t["id"] for t in viewer.tenants()} == {world["A"]["tenant"]["id"], world["A"]["paused"]["id"]}
    b = world["B"]
    assert_error(viewer.call("GET", f"/tenants/{b['tenant']['id']}"), 404)
    for method, path in (("DELETE", f"/tenants/{b['tenant']['id']}"), ("PATCH", f"/tenants/{b['tenant']['id']}"),
                         ("POST", f"/tenants/{b['tenant']['id']}/keys")):
        answer = viewer.call(method, path, {"display_name": "by-viewer"} if method != "DELETE" else None)
        assert answer.status in (403, 404), f"a viewer's {method} {path}: {answer}"
        assert_error(answer, answer.status)
    assert_ok(b["portal"].call("GET", f"/tenants/{b['tenant']['id']}"))


def test_org_keys_cannot_cross_on_the_data_plane(org_world):
    server, world = org_world
    portal = server.portal()
    for me, them in (("A", "B"), ("B", "A")):
        mine, theirs = world[me], world[them]
        slug = "alphaorg" if me == "A" else "bravoorg"
        for key in mine["keys"]:
            assert portal.verify(key["key"], mine["tenant"]["id"]).status == 200  # control
            for tenant in (theirs["tenant"], theirs["paused"], mine["paused"]):
                answer = portal.verify(key["key"], tenant["id"])
                assert answer.status == 403, f"{me}'s key for {tenant['id']}: {answer}"
                assert key["key"] not in answer.text
            suffix = theirs["tenant"]["id"][-8:]
            made_up = [f"xs_{slug}_zzzzzzzz", f"xs_nobody_{suffix}", mine["tenant"]["id"][:-1] + ("q" if mine["tenant"]["id"][-1] != "q" else "r"),
                       f"xs_{'bravoorg' if me == 'A' else 'alphaorg'}_aaaaaaaa", str(uuid.uuid4())]
            for tenant_id in made_up:
                answer = portal.verify(key["key"], tenant_id)
                assert answer.status in (401, 403), f"{me}'s key with made-up tenant {tenant_id}: {answer}"
        assert portal.verify(theirs["keys"][0]["key"], mine["tenant"]["id"]).status == 403
