"""A small HTTP client for tokend, on the standard library only.

Every call opens its own connection with a hard timeout, so a killed server shows up as a
connection error on that call alone, and "refused" (the request never left) can be told
apart from "sent, then the connection died" (the request may or may not have run).
"""

from __future__ import annotations

import socket
import time
from urllib.parse import quote, urlencode

from harness import http_client
from harness.http_client import TIMEOUT_S, Answer

SCOPES = ["write_only_metrics"]
REGIONS = ("fr-par", "nl-ams", "pl-waw")
SECRET_DISPLAY_PREFIX_CHARS = 18  # "tkd_frpar_" plus 8 random characters, kept in the db


class NotSent(Exception):
    """The connection was refused: the request never reached the server."""


def send(port: int, method: str, path: str, body: bytes | dict | None = None,
         headers: dict[str, str] | None = None, timeout: float = TIMEOUT_S) -> Answer:
    """One request on a fresh connection (harness.http_client.send). Raises NotSent when refused,
    OSError or http.client.HTTPException when the connection fails after that, socket.timeout on a hang."""
    try:
        return http_client.send(port, method, path, body, headers, timeout)
    except ConnectionRefusedError as error:
        raise NotSent(str(error)) from error


def contract_problem(answer: Answer) -> str | None:
    """What is wrong with an answer under the contract, or None: JSON everywhere, no 5xx but
    a 503 out_of_stock, errors with message and type, 204 empty."""
    if answer.status >= 500 and not (answer.status == 503 and isinstance(answer.json, dict)
                                      and answer.json.get("type") == "out_of_stock"):
        return f"a {answer.status}: {answer}"
    if not answer.headers.get("content-type", "").startswith("application/json"):
        return f"Content-Type {answer.headers.get('content-type')!r}: {answer}"
    if answer.status == 204:
        return None if answer.body == b"" else f"a 204 with a body: {answer}"
    if not isinstance(answer.json, dict):
        return f"a body that is not a JSON object: {answer}"
    if answer.status >= 400 and not (isinstance(answer.json.get("message"), str) and isinstance(answer.json.get("type"), str)):
        return f"an error without message and type: {answer}"
    return None


def assert_contract(answer: Answer) -> Answer:
    problem = contract_problem(answer)
    assert problem is None, problem
    return answer


class Api:
    """The management and data-plane calls of one tokend, with one management key."""

    def __init__(self, port: int, key: str = "reliability-open-mode", timeout: float = TIMEOUT_S):
        self.port = port
        self.key = key
        self.timeout = timeout

    def call(self, method: str, path: str, body=None, headers: dict[str, str] | None = None) -> Answer:
        all_headers = {"X-Auth-Token": self.key} if self.key else {}
        all_headers.update(headers or {})
        return send(self.port, method, path, body, all_headers, self.timeout)

    @staticmethod
    def tokens_path(region: str, token_id: str | None = None, suffix: str = "") -> str:
        path = f"/cockpit/v1/regions/{quote(region, safe='')}/tokens"
        return (f"{path}/{quote(token_id, safe='')}" if token_id is not None else path) + suffix

    def create(self, region: str, project: str, name: str | None = None, scopes=SCOPES,
               idempotency_key: str | None = None, **extra) -> Answer:
        body = {"project_id": project, "token_scopes": list(scopes), **extra}
        if name is not None:
            body["name"] = name
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        return self.call("POST", self.tokens_path(region), body, headers)

    def get(self, region: str, token_id: str) -> Answer:
        return self.call("GET", self.tokens_path(region, token_id))

    def delete(self, region: str, token_id: str) -> Answer:
        return self.call("DELETE", self.tokens_path(region, token_id))

    def rotate(self, region: str, token_id: str, grace_period_seconds: int | None = None) -> Answer:
        body = None if grace_period_seconds is None else {"grace_period_seconds": grace_period_seconds}
        return self.call("POST", self.tokens_path(region, token_id, "/rotate"), body)

    def list(self, region: str, **query) -> Answer:
        return self.call("GET", self.tokens_path(region) + ("?" + urlencode(query, doseq=True) if query else ""))

    def activity(self, region: str, **query) -> Answer:
        return self.call("GET", f"/cockpit/v1/regions/{quote(region, safe='')}/activity" + ("?" + urlencode(query) if query else ""))

    def verify(self, secret: str, tenant: str, operation: str = "metrics.push") -> Answer:
        # The data plane takes no management key: only the collector's headers.
        return send(self.port, "GET", "/_tokend/verify", None, {
            "Authorization": f"Bearer {secret}", "X-Scope-OrgID": tenant, "X-Tokend-Operation": operation,
        }, self.timeout)

    def list_all(self, region: str, page_size: int = 100, **query) -> tuple[int, list[dict]]:
        """Pages through a list until a page comes back empty; returns (first total_count, tokens)."""
        tokens: list[dict] = []
        total = None
        for page in range(1, 100_000):
            answer = assert_contract(self.list(region, page=page, page_size=page_size, **query))
            assert answer.status == 200, f"list page {page}: {answer}"
            total = answer.json["total_count"] if total is None else total
            if not answer.json["tokens"]:
                return total, tokens
            tokens.extend(answer.json["tokens"])
        raise AssertionError("paging never ended")

    def count(self, region: str) -> int:
        answer = assert_contract(self.list(region, page_size=1))
        assert answer.status == 200, f"count in {region}: {answer}"
        return answer.json["total_count"]

    def counts(self) -> dict[str, int]:
        return {region: self.count(region) for region in REGIONS}


def wait_until_refused(port: int, timeout: float = 5.0) -> None:
    """Until nothing listens on the port any more (bounded)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        except OSError:
            return
        time.sleep(0.05)
    raise AssertionError(f"port {port} still accepts connections after {timeout} s")
