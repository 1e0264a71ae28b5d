"""Drives a live tokend with the official Scaleway Python SDKs (scaleway==2.12.0, and
scaleway-async==2.12.0 with TOKEND_SDK=async: the same tests, each call awaited).

The server under test is named by TOKEND_URL (e.g. http://127.0.0.1:18080). It must
serve exactly the regions of TOKEND_REGIONS (a comma list, default fr-par,nl-ams,pl-waw)
in `open` auth mode, where `POST /_tokend/reset` empties every region; every test starts
from that empty state. The first listed region is the main one; tests that need a second
or third region are skipped when fewer are listed.

Run:  TOKEND_URL=http://127.0.0.1:18080 [TOKEND_SDK=async] python3 -m pytest -q scripts/sdk_integration_test.py
      scripts/with-server …, scripts/with-topology …, scripts/with-topology --direct fr-par …
"""

import asyncio
import inspect
import json
import os
import re
import uuid
from datetime import timezone

import pytest
import requests
from scaleway import Client
from scaleway.cockpit.v1 import CockpitV1RegionalAPI, ListTokensRequestOrderBy, TokenScope
from scaleway_async.cockpit.v1 import CockpitV1RegionalAPI as AsyncCockpitV1RegionalAPI
from scaleway_core.api import ScalewayException

# Which official SDK drives the server: `sync` (scaleway) or `async` (scaleway-async).
SDK = os.environ.get("TOKEND_SDK", "sync")
if SDK not in ("sync", "async"):
    raise RuntimeError(f"TOKEND_SDK must be sync or async, not {SDK!r}")

TOKEND_URL = os.environ.get("TOKEND_URL", "").rstrip("/")
if not TOKEND_URL:
    # A missing server is a broken setup, not a reason to skip: fail the whole module.
    raise RuntimeError("TOKEND_URL is not set: point it at a running tokend, e.g. http://127.0.0.1:18080")

# The regions the server serves, main one first. A malformed list is a broken setup too.
REGIONS = [r.strip() for r in os.environ.get("TOKEND_REGIONS", "fr-par,nl-ams,pl-waw").split(",") if r.strip()]
if not REGIONS or len(set(REGIONS)) != len(REGIONS) or not all(re.fullmatch(r"[a-z]{2}-[a-z0-9]{2,8}", r) for r in REGIONS):
    raise RuntimeError(f"TOKEND_REGIONS must be distinct region names like fr-par,nl-ams: {os.environ.get('TOKEND_REGIONS')!r}")
MAIN_REGION = REGIONS[0]

# The SDK validates credential formats client-side; in open mode any non-empty key is accepted.
ACCESS_KEY = "SCWXXXXXXXXXXXXXXXXX"
SECRET_KEY = str(uuid.uuid4())

PROJECT_A = str(uuid.uuid4())
PROJECT_B = str(uuid.uuid4())

ORDERS = [o.value for o in ListTokensRequestOrderBy]
NOT_FOUND_MESSAGE = "resource is not found"
ARGUMENT_REASONS = {"unknown", "required", "format", "constraint"}
# The public secret alphabet is URL-safe; tokend's secrets start with `tkd_`.
SECRET_PATTERN = re.compile(r"^tkd_[A-Za-z0-9_-]+$")


# ---------------------------------------------------------------- helpers


def needs_regions(count):
    """Skips a test that needs `count` distinct regions when TOKEND_REGIONS lists fewer."""
    return pytest.mark.skipif(
        len(REGIONS) < count,
        reason=f"needs {count} regions; TOKEND_REGIONS serves only {','.join(REGIONS)}")


def make_api(project_id=PROJECT_A, region=MAIN_REGION):
    """The SDK's regional Cockpit API, pointed at tokend.

    project_id=None builds a client with no default project: then the SDK neither fills
    `project_id` into list queries nor into create bodies (it sends null)."""
    client = Client(
        access_key=ACCESS_KEY,
        secret_key=SECRET_KEY,
        default_project_id=project_id,
        default_region=region,
        api_url=TOKEND_URL,
    )
    return CockpitV1RegionalAPI(client) if SDK == "sync" else Awaited(AsyncCockpitV1RegionalAPI(client))


class Awaited:
    """The async SDK's API with each coroutine method run to completion, so the tests read
    the same for both SDKs; what the SDK sends and how it reads answers is its own."""

    def __init__(self, api):
        self._api = api

    def __getattr__(self, name):
        attribute = getattr(self._api, name)
        if not inspect.iscoroutinefunction(attribute):
            return attribute
        return lambda *args, **kwargs: asyncio.run(attribute(*args, **kwargs))


def create(api, name, scopes, region=MAIN_REGION, project_id=PROJECT_A):
    return api.create_token(name=name, token_scopes=list(scopes), region=region, project_id=project_id)


def scope_set(token):
    # TokenScope is a str Enum whose hash differs from its value's: compare plain strings.
    return {str(s) for s in token.scopes}


def ids(tokens):
    return [t.id for t in tokens]


def expect_error(status, call, *args, **kwargs):
    """Runs an SDK call that must fail with HTTP `status`; returns the decoded error body."""
    with pytest.raises(ScalewayException) as caught:
        call(*args, **kwargs)
    error = caught.value
    assert error.status_code == status, f"expected HTTP {status}, got {error.status_code}: {error.response.text}"
    assert error.response.headers.get("Content-Type", "").startswith("application/json")
    return error.response.json()


def assert_not_found(body, token_id):
    # The contract fixes this body exactly: no extra fields, nothing missing.
    assert body == {
        "message": NOT_FOUND_MESSAGE,
        "resource": "token",
        "resource_id": token_id,
        "type": "not_found",
    }


def assert_invalid_arguments(body, argument, reason=None):
    """Checks a 400 body's shape and that one of its details names `argument`; returns that detail."""
    assert set(body) == {"details", "message", "type"}, body
    assert body["type"] == "invalid_arguments"
    assert body["message"] == "invalid argument(s)"
    assert isinstance(body["details"], list) and body["details"], body
    for detail in body["details"]:
        assert set(detail) == {"argument_name", "help_message", "reason"}, detail
        assert detail["reason"] in ARGUMENT_REASONS, detail
        assert isinstance(detail["help_message"], str) and detail["help_message"], detail
    named = [d for d in body["details"] if d["argument_name"] == argument]
    assert named, f"no detail names {argument!r}: {body['details']}"
    if reason is not None:
        assert named[0]["reason"] == reason, named[0]
    return named[0]


def assert_fresh_token(token, *, name, scopes, region, project_id):
    """Checks a create response: every field as asked, plus a secret shown this once."""
    assert uuid.UUID(token.id)
    assert token.project_id == project_id
    assert token.name == name
    assert scope_set(token) == set(scopes)
    assert len(token.scopes) == len(set(scopes)), "scopes must not repeat"
    assert token.region == region
    assert token.created_at is not None and token.created_at.utcoffset() == timezone.utc.utcoffset(None)
    assert token.updated_at is not None and token.updated_at >= token.created_at
    assert isinstance(token.secret_key, str)
    assert SECRET_PATTERN.match(token.secret_key), token.secret_key
    assert len(token.secret_key) == 64


def assert_same_token_without_secret(got, created):
    """A get (or list) shows everything create showed, except the secret."""
    assert got.secret_key is None
    assert (got.id, got.project_id, got.name, got.region) == (created.id, created.project_id, created.name, created.region)
    assert scope_set(got) == scope_set(created)
    assert (got.created_at, got.updated_at) == (created.created_at, created.updated_at)


# ---------------------------------------------------------------- fixtures


@pytest.fixture(autouse=True)
def empty_server():
    """Empties every region so that each test sees only its own tokens."""
    response = requests.post(f"{TOKEND_URL}/_tokend/reset", timeout=30)
    assert response.status_code == 200, response.text
    # The server resets what it serves: exactly TOKEND_REGIONS, or the setup is wrong.
    assert sorted(response.json()["reset"]) == sorted(REGIONS), f"TOKEND_REGIONS={','.join(REGIONS)}"


@pytest.fixture
def api():
    """A client with default project A and the main region."""
    return make_api()


@pytest.fixture
def api_any_project():
    """A client with no default project, so list calls are not narrowed to one project."""
    return make_api(project_id=None)


# ---------------------------------------------------------------- 1. create and get, per region


def test_create_and_get_in_the_main_region(api):
    token = create(api, "main-token", [TokenScope.WRITE_ONLY_METRICS, TokenScope.READ_ONLY_LOGS])
    assert_fresh_token(token, name="main-token", scopes={"write_only_metrics", "read_only_logs"},
                       region=MAIN_REGION, project_id=PROJECT_A)
    # The secret is shown once: a get returns the same token with secret_key null.
    assert_same_token_without_secret(api.get_token(token_id=token.id), token)


@needs_regions(2)
def test_create_and_get_in_two_regions(api):
    first, second = REGIONS[:2]
    par = create(api, "par-token", [TokenScope.WRITE_ONLY_METRICS, TokenScope.READ_ONLY_LOGS])
    ams = create(api, "ams-token", [TokenScope.FULL_ACCESS_ALERT_MANAGER], region=second, project_id=PROJECT_B)

    assert_fresh_token(par, name="par-token", scopes={"write_only_metrics", "read_only_logs"},
                       region=first, project_id=PROJECT_A)
    assert_fresh_token(ams, name="ams-token", scopes={"full_access_alert_manager"},
                       region=second, project_id=PROJECT_B)
    assert par.id != ams.id and par.secret_key != ams.secret_key

    # The secret is shown once: a get returns the same token with secret_key null.
    assert_same_token_without_secret(api.get_token(token_id=par.id), par)
    assert_same_token_without_secret(api.get_token(token_id=ams.id, region=second), ams)


@needs_regions(3)
def test_a_token_exists_only_in_its_own_region(api):
    _, second, third = REGIONS[:3]
    par = create(api, "par-only", [TokenScope.READ_ONLY_METRICS])

    assert_not_found(expect_error(404, api.get_token, token_id=par.id, region=second), par.id)
    assert_not_found(expect_error(404, api.delete_token, token_id=par.id, region=third), par.id)
    assert api.list_tokens(region=second).total_count == 0
    # The failed cross-region delete left the token alone.
    assert api.get_token(token_id=par.id).id == par.id


def test_an_unserved_region_is_an_argument_error_naming_the_served_ones(api):
    # A well-formed region this server does not serve (in --direct mode: fr-par's neighbours).
    unserved = next(r for r in ("nl-ams", "pl-waw", "fr-par", "de-fra") if r not in REGIONS)
    detail = assert_invalid_arguments(expect_error(400, api.list_tokens, region=unserved), "region")
    for served in REGIONS:
        assert served in detail["help_message"], detail
    assert unserved in detail["help_message"] and detail["help_message"].count(unserved) == 1, detail


def test_duplicate_scopes_collapse(api):
    token = create(api, "dup-scopes", ["read_only_logs", "read_only_logs", "write_only_traces"])
    assert sorted(str(s) for s in token.scopes) == ["read_only_logs", "write_only_traces"]


# ---------------------------------------------------------------- 2. list filters, orders, pages


def test_list_filters_by_project(api_any_project):
    a_ids = {create(api_any_project, f"proj-a-{i}", ["read_only_metrics"], project_id=PROJECT_A).id for i in range(3)}
    b_ids = {create(api_any_project, f"proj-b-{i}", ["read_only_metrics"], project_id=PROJECT_B).id for i in range(2)}

    only_a = api_any_project.list_tokens(project_id=PROJECT_A)
    only_b = api_any_project.list_tokens(project_id=PROJECT_B)
    everything = api_any_project.list_tokens()

    assert (only_a.total_count, set(ids(only_a.tokens))) == (3, a_ids)
    assert (only_b.total_count, set(ids(only_b.tokens))) == (2, b_ids)
    assert (everything.total_count, set(ids(everything.tokens))) == (5, a_ids | b_ids)
    assert all(t.secret_key is None for t in everything.tokens), "a list never shows secrets"
    # A client with a default project narrows its lists to it (the SDK fills the query).
    assert set(ids(make_api(project_id=PROJECT_B).list_tokens().tokens)) == b_ids


def test_list_filters_by_scopes_holding_every_listed_scope(api):
    metrics = create(api, "metrics-only", ["write_only_metrics"])
    both = create(api, "metrics-and-logs", ["write_only_metrics", "read_only_logs"])
    logs = create(api, "logs-only", ["read_only_logs"])
    three = create(api, "three-scopes", ["write_only_metrics", "read_only_logs", "read_only_traces"])
    # Same scopes in another project: excluded when the project filter is combined.
    create(api, "other-project", ["write_only_metrics", "read_only_logs"], project_id=PROJECT_B)

    def listed(*scopes):
        page = api.list_tokens(token_scopes=list(scopes), project_id=PROJECT_A)
        assert page.total_count == len(page.tokens)
        return set(ids(page.tokens))

    assert listed(TokenScope.WRITE_ONLY_METRICS) == {metrics.id, both.id, three.id}
    assert listed(TokenScope.READ_ONLY_LOGS) == {logs.id, both.id, three.id}
    assert listed(TokenScope.WRITE_ONLY_METRICS, TokenScope.READ_ONLY_LOGS) == {both.id, three.id}
    assert listed("read_only_traces", "read_only_logs", "write_only_metrics") == {three.id}
    assert listed("write_only_traces") == set()
    assert listed("read_only_traces", "write_only_traces") == set()


def test_list_orders(api):
    # Names out of creation order, with repeats, so that name ties must be broken by id.
    names = ["delta", "alpha", "charlie", "alpha", "bravo", "alpha", "charlie"]
    created = [create(api, name, ["read_only_logs"]) for name in names]

    def listed(order_by=None):
        page = api.list_tokens(order_by=order_by, page_size=100)
        assert page.total_count == len(names)
        return page.tokens

    by_created = sorted(created, key=lambda t: (t.created_at, t.id))
    by_name = sorted(created, key=lambda t: (t.name, t.id))

    assert ids(listed()) == ids(by_created), "the default order is created_at_asc"
    assert ids(listed(ListTokensRequestOrderBy.CREATED_AT_ASC)) == ids(by_created)
    assert ids(listed(ListTokensRequestOrderBy.NAME_ASC)) == ids(by_name)
    # Descending orders are the exact reverse: the id tie-break is reversed too.
    assert ids(listed(ListTokensRequestOrderBy.CREATED_AT_DESC)) == ids(reversed(by_created))
    assert ids(listed(ListTokensRequestOrderBy.NAME_DESC)) == ids(reversed(by_name))

    # Concrete values, not just "the same as a sort": creation times never go backwards,
    # and the three "alpha" tokens come first, lowest id first.
    assert [t.created_at for t in created] == sorted(t.created_at for t in created)
    alphas = [t for t in listed(ListTokensRequestOrderBy.NAME_ASC)][:3]
    assert [t.name for t in alphas] == ["alpha"] * 3
    assert ids(alphas) == sorted(t.id for t in created if t.name == "alpha")
    assert [t.name for t in listed(ListTokensRequestOrderBy.NAME_DESC)][:3] == ["delta", "charlie", "charlie"]


@pytest.mark.parametrize("order_by", ORDERS)
def test_pages_partition_the_list(api, order_by):
    created = [create(api, f"paged-{i % 4}", ["write_only_logs"]) for i in range(7)]
    full = api.list_tokens(order_by=order_by, page_size=1000)
    assert full.total_count == 7 and set(ids(full.tokens)) == set(ids(created))

    pages = [api.list_tokens(order_by=order_by, page=n, page_size=3) for n in (1, 2, 3)]
    assert [len(p.tokens) for p in pages] == [3, 3, 1]
    assert [p.total_count for p in pages] == [7, 7, 7]
    # Pages neither overlap nor skip: together they are the full list, in order.
    assert sum((ids(p.tokens) for p in pages), []) == ids(full.tokens)

    past_the_end = api.list_tokens(order_by=order_by, page=4, page_size=3)
    assert (past_the_end.total_count, past_the_end.tokens) == (7, [])


# ---------------------------------------------------------------- 3. the SDK's paging helper


def test_list_tokens_all_walks_every_page(api):
    created = [create(api, f"bulk-{i:02d}", ["read_only_metrics"]) for i in range(65)]
    created_ids = set(ids(created))

    # Without page_size the server's default (20) applies: a first page of 20, exact total.
    first = api.list_tokens()
    assert (first.total_count, len(first.tokens)) == (65, 20)

    # 20 per page: pages of 20, 20, 20, 5; the short page ends the walk.
    everything = api.list_tokens_all(page_size=20)
    assert len(everything) == 65
    assert len(set(ids(everything))) == 65, "a token appeared twice"
    assert set(ids(everything)) == created_ids
    assert ids(everything) == ids(sorted(created, key=lambda t: (t.created_at, t.id)))

    # 13 per page divides 65 exactly: the walk only stops on the empty 6th page.
    by_name = api.list_tokens_all(page_size=13, order_by=ListTokensRequestOrderBy.NAME_DESC)
    assert [t.name for t in by_name] == [f"bulk-{i:02d}" for i in reversed(range(65))]

    # No page_size at all: the helper walks the default-sized pages until one is empty.
    assert sorted(ids(api.list_tokens_all())) == sorted(created_ids)


# ---------------------------------------------------------------- 4. delete


def test_delete_then_delete_again_is_not_found(api):
    kept = create(api, "kept", ["read_only_traces"])
    doomed = create(api, "doomed", ["read_only_traces"])

    assert api.delete_token(token_id=doomed.id) is None
    assert_not_found(expect_error(404, api.get_token, token_id=doomed.id), doomed.id)
    assert_not_found(expect_error(404, api.delete_token, token_id=doomed.id), doomed.id)

    remaining = api.list_tokens()
    assert (remaining.total_count, ids(remaining.tokens)) == (1, [kept.id])


def test_unknown_token_id_is_not_found(api):
    missing = str(uuid.uuid4())
    assert_not_found(expect_error(404, api.get_token, token_id=missing), missing)


# ---------------------------------------------------------------- 5. invalid arguments


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"name": "x!"}, "name"),
        ({"name": "ab"}, "name"),
        ({"name": "n" * 51}, "name"),
        ({"token_scopes": ["bogus_scope"]}, "token_scopes"),
        ({"token_scopes": ["unknown_scope"]}, "token_scopes"),  # the SDK enum's zero value
        ({"token_scopes": []}, "token_scopes"),  # at least one scope
        ({"project_id": "not-a-uuid"}, "project_id"),
        ({"region": "zz-zzz"}, "region"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_create_rejects_invalid_arguments(api, kwargs, argument):
    request = {"name": "valid-name", "token_scopes": ["read_only_logs"], **kwargs}
    assert_invalid_arguments(expect_error(400, api.create_token, **request), argument)
    assert api.list_tokens(project_id=PROJECT_A).total_count == 0, "nothing was created"


def test_create_names_every_bad_argument_at_once(api):
    body = expect_error(400, api.create_token, name="x!", token_scopes=["bogus_scope"])
    assert_invalid_arguments(body, "name")
    assert_invalid_arguments(body, "token_scopes")


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"page": 0}, "page"),
        ({"page_size": 1001}, "page_size"),
        ({"order_by": "sideways"}, "order_by"),
        ({"token_scopes": ["bogus_scope"]}, "token_scopes"),
        ({"project_id": "not-a-uuid"}, "project_id"),
        ({"region": "zz-zzz"}, "region"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_list_rejects_invalid_arguments(api, kwargs, argument):
    assert_invalid_arguments(expect_error(400, api.list_tokens, **kwargs), argument)


def test_page_size_bounds_are_accepted(api):
    create(api, "bounds-1", ["read_only_logs"])
    create(api, "bounds-2", ["read_only_logs"])
    smallest = api.list_tokens(page_size=1)
    assert (smallest.total_count, len(smallest.tokens)) == (2, 1)
    assert api.list_tokens(page_size=1000).total_count == 2


# ---------------------------------------------------------------- 6. no default project


def test_create_without_any_project_is_required_error():
    api = make_api(project_id=None)
    with pytest.raises(ScalewayException) as caught:
        api.create_token(name="no-project", token_scopes=[TokenScope.READ_ONLY_LOGS])
    error = caught.value

    # The SDK really sends an explicit null (not an absent field): that is the case to cover.
    sent = json.loads(error.response.request.body)
    assert "project_id" in sent and sent["project_id"] is None

    assert error.status_code == 400, error.response.text
    detail = assert_invalid_arguments(error.response.json(), "project_id", reason="required")
    assert [d["argument_name"] for d in error.response.json()["details"]] == ["project_id"]
    assert detail["help_message"]


# ---------------------------------------------------------------- what the SDK hides: raw wire


def test_wire_shape_that_the_sdk_does_not_check(api):
    """The SDK's unmarshalling ignores field order, null vs absent and headers; other
    clients do not, so check those on the raw responses."""
    headers = {"X-Auth-Token": SECRET_KEY}
    tokens_url = f"{TOKEND_URL}/cockpit/v1/regions/{MAIN_REGION}/tokens"
    contract_order = ["id", "project_id", "name", "created_at", "updated_at", "scopes", "secret_key", "region"]
    timestamp = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")

    created = requests.post(tokens_url, headers=headers, timeout=30,
                            json={"project_id": PROJECT_A, "name": "raw-wire", "token_scopes": ["read_only_logs"]})
    assert created.status_code == 200, created.text
    assert created.headers["Content-Type"].startswith("application/json")
    assert created.headers.get("X-Request-Id")
    created_json = created.json()
    # Exactly the public API's eight fields, in its order, and its 64-character secret.
    assert list(created_json) == contract_order
    assert len(created_json["secret_key"]) == 64
    assert re.fullmatch(r"[A-Za-z0-9_-]{64}", created_json["secret_key"])
    assert timestamp.match(created_json["created_at"]) and timestamp.match(created_json["updated_at"])
    assert "Preference-Applied" not in created.headers

    # tokend's extensions follow the public fields when asked for (the SDK ignores them).
    extended = requests.get(f"{tokens_url}/{created_json['id']}", timeout=30,
                            headers={**headers, "Prefer": "tokend-extensions"})
    assert extended.headers.get("Preference-Applied") == "tokend-extensions"
    assert list(extended.json()) == contract_order + ["secret_prefix", "expires_at", "last_used_at", "status"]
    assert created_json["secret_key"].startswith(extended.json()["secret_prefix"])

    token_url = f"{tokens_url}/{created_json['id']}"
    got = requests.get(token_url, headers=headers, timeout=30)
    assert got.status_code == 200
    got_json = got.json()
    assert list(got_json) == list(created_json), "a get sends the same fields, in the same order"
    assert got_json["secret_key"] is None  # present and null, not absent

    listed = requests.get(tokens_url, headers=headers, timeout=30)
    assert list(listed.json()) == ["total_count", "tokens"]

    deleted = requests.delete(token_url, headers=headers, timeout=30)
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert deleted.headers["Content-Type"].startswith("application/json")
    assert deleted.headers.get("X-Request-Id")

    again = requests.delete(token_url, headers=headers, timeout=30)
    assert again.status_code == 404
    # The contract fixes the bytes of this body, key order included.
    assert again.text == ('{"message":"resource is not found","resource":"token",'
                          f'"resource_id":"{created_json["id"]}","type":"not_found"}}')


# ---------------------------------------------------------------- errors as the SDKs read them

# What scaleway-sdk-go (scw/errors.go) unmarshals for each error type it has a typed error
# for: the field names and their JSON types. A body that lacks one, or has it with another
# type, leaves the Go SDK with an empty or failed typed error.
GO_TYPED_ERROR_FIELDS = {
    "invalid_arguments": {"details": [{"argument_name": str, "reason": str, "help_message": str}]},
    "denied_authentication": {"method": str, "reason": str},
    "permissions_denied": {"details": [{"resource": str, "action": str}]},
    "not_found": {"resource": str, "resource_id": str},
    "out_of_stock": {"resource": str},
}


def assert_go_sdk_reads(body):
    """The body is a standard error with `message` and `type`, and, for a type the Go SDK
    has a typed error for, every field that error reads, with its JSON type."""
    assert isinstance(body.get("message"), str) and body["message"], body
    assert isinstance(body.get("type"), str) and body["type"], body
    for field, shape in GO_TYPED_ERROR_FIELDS.get(body["type"], {}).items():
        assert field in body, f"{body['type']} lacks {field}: {body}"
        if isinstance(shape, list):
            assert isinstance(body[field], list) and body[field], body
            for item in body[field]:
                for name, kind in shape[0].items():
                    assert isinstance(item.get(name), kind), f"{body['type']}.{field}[].{name}: {body}"
        else:
            assert isinstance(body[field], shape), f"{body['type']}.{field}: {body}"


def test_errors_the_sdk_meets_are_its_api_exception_with_a_typed_body(api):
    """scaleway 2.12.0 raises ScalewayException for every API error (ValidationError only for
    a body whose message is "Validation Error", which the public API never sends for tokens);
    the body carries what scaleway-sdk-go's typed error for its type reads."""
    for call, status, kind in [
        (lambda: create(api, "x!", ["read_only_logs"]), 400, "invalid_arguments"),
        (lambda: api.get_token(token_id=str(uuid.uuid4())), 404, "not_found"),
        (lambda: api.delete_token(token_id=str(uuid.uuid4())), 404, "not_found"),
        (lambda: api.get_token(token_id=str(uuid.uuid4()), region="zz-none"), 400, "invalid_arguments"),
    ]:
        with pytest.raises(ScalewayException) as caught:
            call()
        assert type(caught.value) is ScalewayException, type(caught.value)
        assert caught.value.status_code == status
        assert caught.value.response.headers["Content-Type"] == "application/json"  # exactly: the Go SDK compares it
        body = caught.value.response.json()
        assert body["type"] == kind
        assert_go_sdk_reads(body)


def test_errors_beyond_the_sdk_calls_carry_their_typed_fields():
    """The errors an SDK call cannot provoke in open mode, over the raw wire."""
    tokens_url = f"{TOKEND_URL}/cockpit/v1/regions/{MAIN_REGION}/tokens"
    headers = {"X-Auth-Token": SECRET_KEY}
    body = {"project_id": PROJECT_A, "name": "typed-errors", "token_scopes": ["write_only_metrics"]}

    unauthenticated = requests.get(tokens_url, timeout=30)
    assert unauthenticated.status_code == 401
    assert unauthenticated.json()["type"] == "denied_authentication"
    assert_go_sdk_reads(unauthenticated.json())

    first = requests.post(tokens_url, json=body, headers={**headers, "Idempotency-Key": "typed-1"}, timeout=30)
    assert first.status_code == 200, first.text
    conflict = requests.post(tokens_url, json={**body, "name": "typed-other"},
                             headers={**headers, "Idempotency-Key": "typed-1"}, timeout=30)
    assert conflict.status_code == 409
    assert conflict.json()["type"] == "conflict"
    assert_go_sdk_reads(conflict.json())

    # The data plane: a token presented for another tenant is permissions_denied with details.
    verify = requests.get(f"{TOKEND_URL}/_tokend/verify?operation=metrics.push", timeout=30, headers={
        "Authorization": f"Bearer {first.json()['secret_key']}", "X-Scope-OrgID": PROJECT_B})
    assert verify.status_code == 403
    assert verify.json()["type"] == "permissions_denied"
    assert_go_sdk_reads(verify.json())


# ---------------------------------------------------------------- the Terraform provider's flow


def test_terraform_style_create_read_delete_flow(api):
    """What the provider does: create, read at once (no wait) and again, delete; then a read
    is a 404 (the resource leaves the state) and so is a second delete (an error to it)."""
    created = create(api, "terraform-flow", ["write_only_logs", "read_only_metrics"])
    first_read = api.get_token(token_id=created.id)
    assert_same_token_without_secret(first_read, created)
    second_read = api.get_token(token_id=created.id)
    assert_same_token_without_secret(second_read, created)
    # The provider diffs the scopes it sent against those it reads back, in the server's order.
    assert [str(s) for s in second_read.scopes] == ["read_only_metrics", "write_only_logs"]
    api.delete_token(token_id=created.id)
    assert_not_found(expect_error(404, api.get_token, token_id=created.id), created.id)
    assert_not_found(expect_error(404, api.delete_token, token_id=created.id), created.id)
