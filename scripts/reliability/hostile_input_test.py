"""Item 4, hostile input: every request below must be answered with a 4xx in the contract's
JSON, or, for HTTP that does not parse, with NIO's bare `400` (no body, `Connection: close`)
and the connection closed; each case says which it expects. After each one the store holds
exactly the tokens it held before and the server still answers.

Slow clients are in slow_client_test.py.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

import pytest

from conftest import call_failed
from harness.tokend import ServeProcess
from raw_http import exchange, request_bytes
from tokend_http import REGIONS, Api, assert_contract

PROJECT = "11111111-2222-4333-8444-555555555555"
TOKENS = "/cockpit/v1/regions/fr-par/tokens"
VALID = {"project_id": PROJECT, "name": "hostile", "token_scopes": ["write_only_metrics"]}
JSON4XX, BARE = "json-4xx", "bare-400-closed"


@dataclass
class Case:
    id: str
    method: str
    target: bytes | str      # "{id}" is replaced by a seeded fr-par token's id
    body: bytes = b""
    headers: dict | None = None
    expect: str = JSON4XX
    statuses: tuple = (400,)
    raw: bytes | None = None  # sent as it is, instead of method/target/headers/body

    def data(self, token_id: str) -> bytes:
        if self.raw is not None:
            return self.raw
        target = self.target.replace(b"{id}", token_id.encode()) if isinstance(self.target, bytes) \
            else self.target.replace("{id}", token_id)
        return request_bytes(self.method, target, self.headers, self.body)


def create_body(**changes) -> bytes:
    return json.dumps({**VALID, **changes}).encode()


def create(body: bytes, case_id: str, statuses=(400,), **kwargs) -> Case:
    return Case(case_id, "POST", TOKENS, body, statuses=statuses, **kwargs)


def get(target: bytes | str, case_id: str, statuses=(400,), expect=JSON4XX, **kwargs) -> Case:
    return Case(case_id, "GET", target, statuses=statuses, expect=expect, **kwargs)


BIG = 64 * 1024
BODIES = [
    create(create_body(name="n" * (BIG + 1)), "body-over-64KiB", statuses=(413,)),
    create(b"{" + b" " * (1 << 20) + b"}", "body-1MiB", statuses=(413,)),
    Case("body-chunked-over-64KiB", "POST", TOKENS, statuses=(413,),
         raw=request_bytes("POST", TOKENS, {"Transfer-Encoding": "chunked"}, content_length=False)
         + b"%x\r\n" % (BIG + 100) + b"a" * (BIG + 100) + b"\r\n0\r\n\r\n"),
    # Exactly the limit is read, then refused for what it says (not for its size).
    create(create_body(project_id="not-a-uuid").ljust(BIG), "body-exactly-64KiB-invalid"),
    create(create_body(name="ab").replace(b'"ab"', b'"ab\xff\xfe"'), "utf8-invalid-in-name"),
    create(b"\xff\xfe\xfd", "utf8-invalid-body"),
    create(b'{"project_id":"' + PROJECT.encode() + b'","name":"ab\\ud800c","token_scopes":["write_only_metrics"]}', "lone-surrogate"),
    create(create_body(name="ab\u0000c"), "nul-in-name"),
    create(b"[" * 33 + b"]" * 33, "nested-33-arrays"),
    create(b"[" * 10_000 + b"]" * 10_000, "nested-10000-arrays"),
    create(b'{"a":' * 5000 + b"1" + b"}" * 5000, "nested-5000-objects"),
    create(b"[" * 100_000, "nested-100000-unclosed", statuses=(413,)),
    create(create_body(name=[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["x"]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]), "nested-in-a-field"),
    create(b"", "body-empty"),
    create(b"null", "body-null"),
    create(b'"string"', "body-string"),
    create(b"[]", "body-array"),
    create(create_body()[:-1], "body-truncated"),
    create(create_body() + b"{}", "body-two-documents"),
    create(create_body(token_scopes=[]), "scopes-empty"),
    create(create_body(token_scopes="write_only_metrics"), "scopes-not-a-list"),
    create(create_body(token_scopes=[1]), "scopes-number"),
    create(create_body(project_id=None), "project-null"),
    create(create_body(project_id=123), "project-number"),
    Case("rotate-body-nested", "POST", TOKENS + "/{id}/rotate", b"[" * 1000 + b"]" * 1000),
]

NUMBERS = [
    get(f"{TOKENS}?page=9223372036854775808", "page-2^63"),
    get(f"{TOKENS}?page=-1", "page-negative"),
    get(f"{TOKENS}?page=0", "page-zero"),
    get(f"{TOKENS}?page=1.5", "page-float"),
    get(f"{TOKENS}?page=1e3", "page-exponent"),
    get(f"{TOKENS}?page=0x10", "page-hex"),
    get(f"{TOKENS}?page=NaN", "page-nan"),
    get(f"{TOKENS}?page=%EF%BC%91", "page-fullwidth-digit"),
    get(f"{TOKENS}?page_size=0", "page-size-zero"),
    get(f"{TOKENS}?page_size=1001", "page-size-1001"),
    get(f"{TOKENS}?page_size=-5", "page-size-negative"),
    get(f"{TOKENS}?page_size=9223372036854775807", "page-size-max-int"),
    get(f"{TOKENS}?page_size=99999999999999999999999", "page-size-overflow"),
    get("/cockpit/v1/regions/fr-par/activity?page=9223372036854775808", "activity-page-2^63"),
    get("/cockpit/v1/regions/fr-par/activity?page_size=-1", "activity-page-size-negative"),
    create(create_body(expires_at=1e300), "expires-number"),
    create(create_body().replace(b"}", b',"expires_at":1e400}'), "expires-1e400"),
    create(create_body(expires_at="99999-01-01T00:00:00Z"), "expires-year-99999"),
    create(create_body(expires_at="2030-01-01T25:00:00Z"), "expires-hour-25"),
    create(create_body(expires_at="2030-02-30T00:00:00Z"), "expires-february-30"),
    create(create_body(expires_at="2030-04-31T12:00:00Z"), "expires-april-31"),
    create(create_body(expires_at="2030-01-01T00:00:00+99:00"), "expires-offset-99h"),
    create(create_body(expires_at="1970-01-01T00:00:00Z"), "expires-in-the-past"),
]
for grace in (b"1e30", b"9223372036854775808", b"-1", b"1.5", b'"10"', b"true", b"604801"):
    NUMBERS.append(Case(f"rotate-grace-{grace.decode()}", "POST", TOKENS + "/{id}/rotate", b'{"grace_period_seconds":' + grace + b"}"))

REPEATED = [
    get(f"{TOKENS}?page=1&page=2", "page-twice"),
    get(f"{TOKENS}?page_size=1&page_size=2", "page-size-twice"),
    get(f"{TOKENS}?order_by=name_asc&order_by=name_desc", "order-by-twice"),
    get(f"{TOKENS}?project_id={PROJECT}&project_id={uuid.uuid4()}", "project-twice"),
    get(f"/cockpit/v1/regions/fr-par/activity?token_id={uuid.uuid4()}&token_id={uuid.uuid4()}", "activity-token-twice"),
    create(create_body(), "idempotency-key-twice", headers={"Idempotency-Key": "a", "idempotency-key": "b"}),
    create(create_body(), "idempotency-key-300-chars", headers={"Idempotency-Key": "k" * 300}),
    create(create_body(), "idempotency-key-non-ascii", headers={"Idempotency-Key": "clé".encode()}),
    # Empty values count as absent (the Go SDK sends project_id= when unset): a 200.
    get(f"{TOKENS}?project_id=&page=&page_size=&order_by=&token_scopes=", "all-empty-values", statuses=(200,)),
    get(f"{TOKENS}?&&=&page", "empty-names", statuses=(200,)),
]

HOSTILE_STRINGS = {
    "sql-quote": "' OR '1'='1", "sql-drop": "'; DROP TABLE token; --", "sql-double-quote": '" OR 1=1 --',
    "sql-like": "%' OR 1=1 --", "sql-semicolon": "1; DELETE FROM token", "sql-comment": "x/**/OR/**/1=1",
    "cjk": "名前テスト", "emoji": "token-😀", "rtl-override": "abc\u202edef", "nul": "ab\u0000cd",
    "shell": "$(id)`id`", "html": "<script>alert(1)</script>",
}

PATHS = [
    get("/cockpit/v1/regions/../tokens", "region-dotdot", statuses=(400, 404)),
    get("/cockpit/v1/regions/%2e%2e/tokens", "region-dotdot-encoded", statuses=(400, 404)),
    get("/cockpit/v1/regions/fr-par%2F..%2Fnl-ams/tokens", "region-encoded-slash", statuses=(400, 404)),
    get("/cockpit/v1/regions/fr-par/../nl-ams/tokens", "region-traversal", statuses=(400, 404)),
    get("/cockpit/v1/regions/%00/tokens", "region-encoded-nul", statuses=(400, 404)),
    get("/cockpit/v1/regions/fr-par%00/tokens", "region-suffix-encoded-nul", statuses=(400, 404)),
    get(b"/cockpit/v1/regions/fr-par\x00/tokens", "region-raw-nul", expect=BARE),
    get("/cockpit/v1/regions/FR-PAR/tokens", "region-upper-case", statuses=(400, 404)),
    get("/cockpit/v1/regions/fr-p%C3%A4r/tokens", "region-unicode", statuses=(400, 404)),
    get(f"{TOKENS}/..", "token-dotdot", statuses=(400, 404)),
    get(f"{TOKENS}/%2e%2e", "token-dotdot-encoded", statuses=(400, 404)),
    get(f"{TOKENS}/%2F", "token-encoded-slash", statuses=(400, 404)),
    get(f"{TOKENS}/..%2F..%2Fnl-ams%2Ftokens", "token-encoded-traversal", statuses=(400, 404)),
    get(f"{TOKENS}/{{id}}/../../nl-ams/tokens", "token-traversal", statuses=(400, 404)),
    get(f"{TOKENS}/%00", "token-encoded-nul", statuses=(400, 404)),
    get(f"{TOKENS}/{{id}}%00", "token-id-then-encoded-nul", statuses=(400, 404)),
    get(f"{TOKENS}/{{id}}%2F..%2F{uuid.uuid4()}", "token-id-then-encoded-traversal", statuses=(400, 404)),
    get(b"/cockpit/v1/regions/fr-par/tokens/\x00", "token-raw-nul", expect=BARE),
    get(b"/cockpit/v1/regions/fr-par/tokens/\xff\xfe", "token-raw-invalid-utf8", expect=BARE),
    get(f"{TOKENS}/%FF%FE", "token-encoded-invalid-utf8", statuses=(400, 404)),
    get(f"{TOKENS}?project_id=%FF%FE", "query-encoded-invalid-utf8"),
    get(b"/cockpit/v1/regions/fr-par/tokens?project_id=\xff", "query-raw-invalid-utf8", expect=BARE),
    Case("delete-traversal", "DELETE", f"{TOKENS}/..%2F{{id}}", statuses=(400, 404)),
]

MALFORMED = [
    get(TOKENS, "header-100KB", expect=BARE, headers={"X-Big": "a" * 100_000}),
    get(TOKENS, "headers-1000", expect=BARE, headers={f"X-Filler-{n}": "v" for n in range(1000)}),
    get(TOKENS + "?x=" + "a" * 100_000, "url-100KB", expect=BARE),
    get(TOKENS, "header-value-nul", expect=BARE, headers={"X-A": b"a\x00b"}),
    get(TOKENS, "header-name-space", expect=BARE, headers={"Bad Name": "x"}),
    get(TOKENS, "header-obs-fold", expect=BARE, headers={"X-A": "a\r\n folded"}),
    Case("content-length-and-chunked", "POST", TOKENS, expect=BARE,
         raw=request_bytes("POST", TOKENS, {"Content-Length": "0", "Transfer-Encoding": "chunked"}, content_length=False)
         + b"0\r\n\r\n"),
    Case("content-length-twice", "POST", TOKENS, expect=BARE,
         raw=f"POST {TOKENS} HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 4\r\n\r\n{{}}{{}}".encode()),
    Case("content-length-not-a-number", "POST", TOKENS, expect=BARE,
         raw=request_bytes("POST", TOKENS, {"Content-Length": "abc"}, content_length=False)),
    Case("content-length-overflow", "POST", TOKENS, expect=BARE,
         raw=request_bytes("POST", TOKENS, {"Content-Length": "99999999999999999999999"}, content_length=False)),
    Case("content-length-negative", "POST", TOKENS, expect=BARE,
         raw=request_bytes("POST", TOKENS, {"Content-Length": "-1"}, content_length=False)),
    Case("bare-line-feeds", "GET", TOKENS, expect=BARE,
         raw=f"GET {TOKENS} HTTP/1.1\nHost: x\nX-Auth-Token: k\nConnection: close\n\n".encode()),
    Case("unknown-method", "FOO", TOKENS, expect=BARE, raw=request_bytes("FOO", TOKENS)),
    Case("http2-preface", "PRI", "*", expect=BARE, raw=b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
    Case("garbage", "-", "-", expect=BARE, raw=b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 64 + b"\r\n\r\n"),
    Case("wrong-method-on-route", "PUT", TOKENS, statuses=(404, 405)),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    process = ServeProcess(tmp_path_factory.mktemp("hostile"), "hostile").start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def seeded(server) -> dict[str, list[str]]:
    """Two tokens per region, so a DELETE or DROP slipped through would show in the counts."""
    api = Api(server.port)
    return {region: [assert_contract(api.create(region, PROJECT, f"seed-{n}")).json["id"] for n in range(2)]
            for region in REGIONS}


@pytest.fixture
def unchanged(request, server, seeded):
    """Yields an Api; afterwards the server runs, answers, and holds exactly the same tokens."""
    api = Api(server.port)
    before = api.counts()
    yield api
    assert server.is_running(), f"the server died:\n{server.log_text()}"
    if not call_failed(request):  # a failed case (say, a 200 create) has already said why
        assert api.counts() == before, "the store changed"
    for region, ids in seeded.items():
        for token_id in ids:
            assert api.get(region, token_id).status == 200, f"seeded token {token_id} is gone"


@pytest.fixture(scope="module")
def observed(figures):
    """Each raw case's outcome, summed up in the run's figures at the end of the module."""
    outcomes: dict[str, str] = {}
    yield outcomes
    bare = sorted(case for case, outcome in outcomes.items() if outcome == BARE)
    figures("hostile input", f"{len(outcomes)} raw cases; {len(bare)} answered {BARE} (NIO: no JSON body, "
            f"then closed): {', '.join(bare)}; the others a JSON 4xx (or 200 where the contract says so)")


@pytest.mark.parametrize("case", BODIES + NUMBERS + REPEATED + PATHS + MALFORMED, ids=lambda c: c.id)
def test_hostile_request(case: Case, server, seeded, unchanged, observed):
    answer = exchange(server.port, case.data(seeded["fr-par"][0]))
    observed[case.id] = answer.outcome
    if case.statuses == (200,):
        assert answer.status == 200 and answer.headers.get("content-type") == "application/json", answer
        return
    assert answer.outcome == case.expect, f"{case.id}: expected {case.expect}, got {answer}"
    if case.expect == JSON4XX:
        assert answer.status in case.statuses, f"{case.id}: expected {case.statuses}, got {answer}"
        assert "x-request-id" in answer.headers, answer


@pytest.mark.parametrize("name", HOSTILE_STRINGS, ids=str)
def test_hostile_string_in_every_field(name, server, seeded, unchanged):
    """A SQL or Unicode string in each string field, path segment and query value: a 4xx in
    the contract's JSON every time (none of them is a valid name, UUID, scope, order or number)."""
    api, text, token_id = unchanged, HOSTILE_STRINGS[name], seeded["fr-par"][0]
    answers = {
        "create name": api.create("fr-par", PROJECT, text),
        "create project_id": api.create("fr-par", text, "hostile"),
        "create token_scopes": api.create("fr-par", PROJECT, "hostile", scopes=[text]),
        "create expires_at": api.create("fr-par", PROJECT, "hostile", expires_at=text),
        "get token id": api.get("fr-par", text),
        "delete token id": api.delete("fr-par", text),
        "rotate token id": api.rotate("fr-par", text),
        "get region": api.get(text, token_id),
        "delete region": api.delete(text, token_id),
    }
    for field in ("project_id", "order_by", "token_scopes", "page", "page_size"):
        answers[f"list {field}"] = api.list("fr-par", **{field: text})
    for field in ("project_id", "token_id", "page"):
        answers[f"activity {field}"] = api.activity("fr-par", **{field: text})
    for what, answer in answers.items():
        assert_contract(answer)
        assert 400 <= answer.status < 500, f"{what} = {text!r}: {answer}"
    # Header values go as raw UTF-8 bytes (http.client only sends Latin-1).
    verify = request_bytes("GET", "/_tokend/verify", {"Authorization": b"Bearer " + text.encode(),
                                                      "X-Scope-OrgID": text.encode(), "X-Tokend-Operation": text.encode()}, auth=None)
    answer = exchange(server.port, verify)
    assert answer.outcome in (JSON4XX, BARE), f"verify with {text!r} in its headers: {answer}"


def test_duplicate_json_keys_are_refused(server, seeded, unchanged):
    """`{"project_id": A, …, "project_id": B}` means A to one parser and B to another (most
    keep the last): a body naming a field twice must be refused, not read either way."""
    body = create_body(name="dup-keys")[:-1] + b', "project_id": "not-a-uuid"}'
    answer = exchange(server.port, request_bytes("POST", TOKENS, body=body))
    assert answer.outcome == JSON4XX and answer.status == 400, f"a body naming project_id twice: {answer}"


def test_utf16_body_is_refused(server, seeded, unchanged):
    """JSON between systems is UTF-8 (RFC 8259 §8.1), as the server's own message says."""
    answer = exchange(server.port, request_bytes("POST", TOKENS, body=json.dumps({**VALID, "name": "utf16"}).encode("utf-16")))
    assert answer.outcome == JSON4XX and answer.status == 400, f"a UTF-16 body: {answer}"


def test_sql_metacharacters_in_an_idempotency_key_are_just_a_key(server, seeded):
    """A valid key full of SQL: one token is made, a retry answers it, nothing else changes."""
    api = Api(server.port)
    before = api.count("fr-par")
    key = "';DELETE/**/FROM/**/token;DROP/**/TABLE/**/idempotency;--"  # printable ASCII, no spaces: a valid key
    first = assert_contract(api.create("fr-par", PROJECT, "sql-key", idempotency_key=key))
    retry = assert_contract(api.create("fr-par", PROJECT, "sql-key", idempotency_key=key))
    assert first.status == retry.status == 200 and first.json["id"] == retry.json["id"], (first, retry)
    assert api.count("fr-par") == before + 1

@pytest.mark.xfail(strict=True, reason="Hummingbird 2.28's HTTP/1 channel keeps an HTTP/1.0 connection open "
                   "until the idle timeout (the request's version does not reach the application); "
                   "strict, so a fix upstream turns this red and we remove the mark")
def test_http10_request_without_keep_alive_is_closed(server, seeded):
    """An HTTP/1.0 request without `Connection: keep-alive` ends its connection after the
    answer (RFC 9112 §9.3): a client reading to EOF must not wait for the 60 s idle timeout."""
    data = f"GET {TOKENS}?page_size=1 HTTP/1.0\r\nX-Auth-Token: k\r\n\r\n".encode()
    answer = exchange(server.port, data, timeout=3)
    assert answer.status == 200, answer
    assert answer.closed, f"HTTP/1.0 answer sent, connection still open after {answer.seconds:.1f} s: {answer.headers}"
