"""Item 5, isolation in keys mode: project A's key against project B's tokens, on every
endpoint and in every region, is a 403 or a 404 every time, and no answer (body or headers)
carries any of B's ids, names, secrets or secret prefixes. On the data plane, a token of
tenant A presented with B's X-Scope-OrgID is a 403, and the other way round.
"""

from __future__ import annotations

import pytest

from harness.tokend import ServeProcess
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
