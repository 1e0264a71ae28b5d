"""tokend as a fake cloud for an integration suite, through README's fixture: `tokend serve
--ephemeral --port 0`, its URL read from standard output and the official SDK pointed at
it; then what open mode adds for tests: snapshots (save, restore, download, upload to
another server), fault rules, the clock, the request journal and `--seed`.

    .venv/bin/python -m pytest -q scripts/fake_cloud_test.py      (TOKEND_BINARY: the binary)
"""

import base64
import json
import subprocess
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import requests
from scaleway import Client
from scaleway.cockpit.v1 import CockpitV1RegionalAPI
from scaleway_core.api import ScalewayException

from ephemeral_test import first_line, stop
from harness import binary_path

PROJECT = str(uuid.uuid4())
REGIONS = ["fr-par", "nl-ams", "pl-waw"]
TIMEOUT_S = 30


def serve(folder, *flags):
    """README's command (and `flags`), run in `folder`, its log beside: (process, URL)."""
    log = folder / "tokend.log"
    with open(log, "w") as stderr:
        process = subprocess.Popen([str(binary_path()), "serve", "--ephemeral", "--port", "0", *flags],
                                   cwd=folder, stdout=subprocess.PIPE, stderr=stderr, text=True)
    return process, first_line(process, log)


def cockpit(url):
    """The SDK's Cockpit API on tokend: any keys will do in open mode."""
    return CockpitV1RegionalAPI(Client(access_key="SCWXXXXXXXXXXXXXXXXX", secret_key=str(uuid.uuid4()),
                                       default_project_id=PROJECT, default_region="fr-par", api_url=url))


@pytest.fixture
def tokend(tmp_path):
    """README's fixture: a fresh, empty fake cloud; its URL and the SDK's Cockpit API on it."""
    process, url = serve(tmp_path)
    yield url, cockpit(url)
    stop(process)


@pytest.fixture
def another(tmp_path_factory):
    """Starts more servers on demand (`another(*flags)` → URL); stops them all after the test."""
    started = []

    def start(*flags):
        process, url = serve(tmp_path_factory.mktemp("another"), *flags)
        started.append(process)
        return url

    yield start
    try:
        for process in started:
            stop(process)
    finally:
        for process in started:
            if process.poll() is None:
                process.kill()


def call(method, url, path, expected, **kwargs):
    """One raw request that must answer `expected`; its decoded body (None when empty)."""
    answer = requests.request(method, url + path, timeout=TIMEOUT_S, **kwargs)
    assert answer.status_code == expected, f"{method} {path}: {answer.status_code} {answer.text[:500]}"
    assert answer.headers["Content-Type"] == "application/json"
    return answer.json() if answer.content else None


def verify(url, secret):
    """/_tokend/verify's status for a metrics push by this token's project."""
    return requests.get(f"{url}/_tokend/verify?operation=metrics.push", timeout=TIMEOUT_S,
                        headers={"Authorization": f"Bearer {secret}", "X-Scope-OrgID": PROJECT})


def names(api):
    return sorted(t.name for t in api.list_tokens().tokens)


# ---------------------------------------------------------------- snapshots


def test_a_snapshot_restored_brings_back_a_deleted_token(tokend):
    url, api = tokend
    kept = api.create_token(name="kept", token_scopes=["write_only_metrics"])
    lost = api.create_token(name="lost", token_scopes=["write_only_metrics"])

    saved = call("POST", url, "/_tokend/snapshots", 201, json={"name": "two-tokens"})
    assert list(saved) == ["name", "created_at", "regions", "bytes"]
    assert saved["name"] == "two-tokens" and saved["regions"] == REGIONS and saved["bytes"] > 0
    assert call("GET", url, "/_tokend/snapshots", 200) == {"snapshots": [saved]}

    api.delete_token(token_id=lost.id)
    assert names(api) == ["kept"]
    assert verify(url, lost.secret_key).status_code == 401

    restored = call("POST", url, "/_tokend/snapshots/two-tokens/restore", 200)
    assert restored == {"name": "two-tokens", "restored": REGIONS}
    assert names(api) == ["kept", "lost"]
    assert api.get_token(token_id=lost.id).created_at == lost.created_at
    assert verify(url, lost.secret_key).status_code == 200, "verify forgets what it knew before the restore"
    assert verify(url, kept.secret_key).status_code == 200

    # One region only: the others keep what they have now.
    api.create_token(name="later", token_scopes=["read_only_logs"], region="nl-ams")
    one = call("POST", url, "/_tokend/snapshots/two-tokens/restore", 200, json={"region": "nl-ams"})
    assert one == {"name": "two-tokens", "restored": ["nl-ams"]}
    assert api.list_tokens(region="nl-ams").total_count == 0

    assert call("DELETE", url, "/_tokend/snapshots/two-tokens", 204) is None
    missing = call("POST", url, "/_tokend/snapshots/two-tokens/restore", 404)
    assert missing == {"message": "resource is not found", "resource": "snapshot",
                       "resource_id": "two-tokens", "type": "not_found"}
    assert call("GET", url, "/_tokend/snapshots", 200) == {"snapshots": []}


def test_a_downloaded_snapshot_uploaded_to_a_fresh_server_has_the_same_tokens(tokend, another):
    url, api = tokend
    made = {api.create_token(name=n, token_scopes=["write_only_metrics"]).id for n in ("alloy", "grafana")}
    api.create_token(name="in-warsaw", token_scopes=["read_only_traces"], region="pl-waw")
    call("POST", url, "/_tokend/snapshots", 201, json={"name": "fixture"})

    file = requests.get(f"{url}/_tokend/snapshots/fixture", timeout=TIMEOUT_S)
    assert file.status_code == 200
    assert file.headers["Content-Disposition"] == 'attachment; filename="fixture.tokend-snapshot.json"'
    body = file.json()
    assert list(body) == ["format", "name", "created_at", "regions"]
    assert body["format"] == "tokend-snapshot/1" and sorted(body["regions"]) == REGIONS
    assert all(base64.b64decode(image).startswith(b"SQLite format 3\0") for image in body["regions"].values())

    fresh = another()
    uploaded = call("PUT", fresh, "/_tokend/snapshots/shipped", 201, data=file.content)
    assert uploaded["name"] == "shipped" and uploaded["regions"] == REGIONS
    assert cockpit(fresh).list_tokens().total_count == 0, "uploading does not restore"
    call("POST", fresh, "/_tokend/snapshots/shipped/restore", 200)
    assert {t.id for t in cockpit(fresh).list_tokens().tokens} == made
    assert [t.name for t in cockpit(fresh).list_tokens(region="pl-waw").tokens] == ["in-warsaw"]

    # A file that is no snapshot is refused, and nothing is kept under its name.
    refused = call("PUT", fresh, "/_tokend/snapshots/broken", 400,
                   data=b'{"format":"tokend-snapshot/1","regions":{"fr-par":"bm9wZQ=="}}')
    assert refused["type"] == "invalid_arguments" and refused["details"][0]["argument_name"] == "regions"
    assert [s["name"] for s in call("GET", fresh, "/_tokend/snapshots", 200)["snapshots"]] == ["shipped"]


def test_a_restore_refused_for_one_bad_region_changes_no_region(tokend):
    url, api = tokend
    api.create_token(name="saved", token_scopes=["write_only_metrics"])
    call("POST", url, "/_tokend/snapshots", 201, json={"name": "good"})
    good = requests.get(f"{url}/_tokend/snapshots/good", timeout=TIMEOUT_S).json()
    not_a_store = base64.b64encode(b"SQLite format 3\0" + b"x" * 100).decode()  # passes the upload's check
    call("PUT", url, "/_tokend/snapshots/half", 201, data=json.dumps(
        {"format": "tokend-snapshot/1", "regions": {"fr-par": good["regions"]["fr-par"], "nl-ams": not_a_store}}))
    call("POST", url, "/_tokend/reset", 200)
    refused = call("POST", url, "/_tokend/snapshots/half/restore", 400)
    assert refused["details"][0]["argument_name"] == "image"
    assert api.list_tokens().total_count == 0, "a refused restore restores nothing, fr-par included"


def test_a_region_state_moves_between_servers_as_a_gateway_moves_it(tokend, another):
    url, api = tokend
    token = api.create_token(name="moved", token_scopes=["write_only_logs"])
    state = call("GET", url, "/_tokend/state?region=fr-par", 200)
    assert list(state) == ["region", "image"] and state["region"] == "fr-par"
    fresh = another()
    assert call("PUT", fresh, "/_tokend/state?region=fr-par", 200, data=json.dumps(state)) == {"imported": True}
    assert [t.id for t in cockpit(fresh).list_tokens().tokens] == [token.id]
    call("PUT", fresh, "/_tokend/state?region=nl-ams", 400, data=json.dumps(state))  # another region's state


# ---------------------------------------------------------------- faults


def test_an_injected_503_is_the_sdks_typed_error_and_the_next_create_succeeds(tokend):
    url, api = tokend
    rule = call("POST", url, "/_tokend/faults", 201,
                json={"dialect": "cockpit", "operation": "create", "status": 503, "count": 1})
    assert rule == {"id": 1, "region": None, "dialect": "cockpit", "operation": "create", "effect": "status",
                    "status": 503, "probability": 1, "count": 1, "fired": 0}

    with pytest.raises(ScalewayException) as caught:
        api.create_token(name="unlucky", token_scopes=["write_only_metrics"])
    assert caught.value.status_code == 503
    assert caught.value.response.headers["Retry-After"] == "1"
    assert caught.value.response.json() == {"message": "unavailable: injected fault (POST /_tokend/faults)",
                                            "resource": "region fr-par", "type": "out_of_stock"}

    assert api.create_token(name="lucky", token_scopes=["write_only_metrics"]).secret_key
    assert names(api) == ["lucky"], "the faulted create created nothing"
    assert call("GET", url, "/_tokend/faults", 200) == {"faults": [{**rule, "fired": 1}]}
    assert call("DELETE", url, "/_tokend/faults", 204) is None
    assert call("GET", url, "/_tokend/faults", 200) == {"faults": []}


def test_fault_rules_by_region_and_effect(tokend):
    url, api = tokend
    call("POST", url, "/_tokend/faults", 201, json={"region": "pl-waw", "status": 429})
    call("POST", url, "/_tokend/faults", 201, json={"operation": "list", "effect": "delay", "delay_ms": 400})
    with pytest.raises(ScalewayException) as caught:
        api.list_tokens(region="pl-waw")
    assert caught.value.status_code == 429 and caught.value.response.json()["type"] == "too_many_requests"
    started = time.monotonic()
    assert api.list_tokens(region="nl-ams").total_count == 0
    assert time.monotonic() - started >= 0.4
    assert api.get_token(region="nl-ams", token_id=api.create_token(
        name="untouched", token_scopes=["read_only_logs"], region="nl-ams").id).name == "untouched"

    for body, argument in [({"status": 418}, "status"), ({"effect": "delay"}, "delay_ms"),
                           ({"probability": 2}, "probability"), ({"dialect": "tokend"}, "dialect"),
                           ({"count": 0}, "count"), ({"colour": "red"}, "colour")]:
        refused = call("POST", url, "/_tokend/faults", 400, json=body)
        assert [d["argument_name"] for d in refused["details"]] == [argument], (body, refused)


def test_a_dropped_answer_is_a_closed_connection_without_a_byte(tokend):
    url, _ = tokend
    call("POST", url, "/_tokend/faults", 201, json={"operation": "get", "effect": "drop", "count": 1})
    path = f"/cockpit/v1/regions/fr-par/tokens/{uuid.uuid4()}"
    # Not a status line and then a cut body (a 200 a client could take for a success): nothing.
    with pytest.raises(requests.ConnectionError):
        requests.get(url + path, headers={"X-Auth-Token": "x"}, timeout=TIMEOUT_S)
    assert call("GET", url, "/_tokend/requests?limit=1", 200)["requests"][0]["status"] == 0, "journalled as 0"
    call("GET", url, path, 404, headers={"X-Auth-Token": "x"})  # count 1: the next one is answered


# ---------------------------------------------------------------- the clock and the journal


def test_an_expired_token_is_refused_once_the_clock_passes_its_expiry(tokend):
    url, _ = tokend
    expires_at = (datetime.now(timezone.utc) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    # expires_at is tokend's extension of the create body (the SDK has no field for it).
    token = call("POST", url, "/cockpit/v1/regions/fr-par/tokens", 200,
                 headers={"X-Auth-Token": "x", "Prefer": "tokend-extensions"},
                 json={"project_id": PROJECT, "name": "short-lived", "token_scopes": ["write_only_metrics"],
                       "expires_at": expires_at})
    assert token["expires_at"].startswith(expires_at[:-1])
    assert verify(url, token["secret_key"]).status_code == 200

    call("PUT", url, "/_tokend/clock", 200, json={"advance_seconds": 7200})
    expired = verify(url, token["secret_key"])
    assert expired.status_code == 401
    assert expired.json() == {"message": "authentication is denied", "method": "api_key", "reason": "expired",
                              "type": "denied_authentication"}


def test_the_journal_shows_each_request_newest_first_and_never_a_secret(tokend):
    url, api = tokend
    token = api.create_token(name="journalled", token_scopes=["write_only_metrics"])
    assert verify(url, token.secret_key).status_code == 200
    api.delete_token(token_id=token.id)
    assert verify(url, token.secret_key).status_code == 401

    journal = requests.get(f"{url}/_tokend/requests", timeout=TIMEOUT_S)
    assert journal.status_code == 200
    entries = journal.json()["requests"]
    assert all(list(e) == ["at", "method", "path", "status", "dialect", "region", "operation", "duration_us", "request_id"]
               for e in entries)
    assert [(e["method"], e["path"], e["status"], e["dialect"], e["region"], e["operation"]) for e in entries] == [
        ("GET", "/_tokend/verify", 401, "data_plane", "fr-par", "verify"),
        ("DELETE", f"/cockpit/v1/regions/fr-par/tokens/{token.id}", 204, "cockpit", "fr-par", "delete"),
        ("GET", "/_tokend/verify", 200, "data_plane", "fr-par", "verify"),
        ("POST", "/cockpit/v1/regions/fr-par/tokens", 200, "cockpit", "fr-par", "create"),
    ]
    assert [e["at"] for e in entries] == sorted((e["at"] for e in entries), reverse=True)
    assert token.secret_key not in journal.text and token.secret_key[10:30] not in journal.text
    assert "metrics.push" not in journal.text, "no query string"
    assert len(call("GET", url, "/_tokend/requests?limit=2", 200)["requests"]) == 2
    call("GET", url, "/_tokend/requests?limit=0", 400)


# ---------------------------------------------------------------- --seed


def first_create(url):
    call("PUT", url, "/_tokend/clock", 200, json={"frozen": True, "time": "2030-01-01T00:00:00Z"})
    return call("POST", url, "/cockpit/v1/regions/fr-par/tokens", 200, headers={"X-Auth-Token": "x"},
                json={"project_id": PROJECT, "name": "seeded", "token_scopes": ["write_only_metrics"]})


def test_the_same_seed_gives_the_same_first_token_in_two_fresh_servers(another):
    first, second = first_create(another("--seed", "42")), first_create(another("--seed", "42"))
    assert first == second
    assert first["created_at"] == "2030-01-01T00:00:00.000000Z"
    assert first_create(another("--seed", "43"))["secret_key"] != first["secret_key"]


def test_the_same_seed_makes_the_same_requests_hit_a_fault_rule(another):
    def hits(url):
        call("POST", url, "/_tokend/faults", 201, json={"operation": "list", "status": 500, "probability": 0.5})
        statuses = [requests.get(f"{url}/cockpit/v1/regions/fr-par/tokens", headers={"X-Auth-Token": "x"},
                                 timeout=TIMEOUT_S).status_code for _ in range(32)]
        assert set(statuses) == {200, 500}
        return statuses

    assert hits(another("--seed", "42")) == hits(another("--seed", "42"))


# ---------------------------------------------------------------- open mode only


def test_keys_mode_serves_none_of_it(tmp_path, another):
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps({"keys": [{"key": "a-long-random-admin-key", "projects": ["*"]}]}))
    url = another("--auth", "keys", "--keys-file", str(keys))
    for method, path in [("POST", "/_tokend/faults"), ("GET", "/_tokend/faults"), ("DELETE", "/_tokend/faults"),
                         ("GET", "/_tokend/requests"), ("POST", "/_tokend/snapshots"), ("GET", "/_tokend/snapshots"),
                         ("GET", "/_tokend/snapshots/any"), ("PUT", "/_tokend/snapshots/any"),
                         ("DELETE", "/_tokend/snapshots/any"), ("POST", "/_tokend/snapshots/any/restore"),
                         ("GET", "/_tokend/state?region=fr-par"), ("PUT", "/_tokend/state?region=fr-par")]:
        body = json.dumps({"name": "any"}) if method in ("POST", "PUT") else None
        refused = call(method, url, path, 403, data=body, headers={"X-Auth-Token": "a-long-random-admin-key"})
        assert refused["type"] == "permissions_denied", (method, path, refused)
