"""What every part of the benchmark shares: the store's layout, the error, the log line, and
a keep-alive HTTP client."""

from __future__ import annotations

import http.client
import json
import sys
import time
from pathlib import Path

from harness.processes import REPO_ROOT

REPO = REPO_ROOT
REGION = "fr-par"
TOKENS = f"/cockpit/v1/regions/{REGION}/tokens"
AUTH = ("X-Auth-Token", "bench")
ORDERS = ("created_at_asc", "created_at_desc", "name_asc", "name_desc")
TOKENS_PER_PROJECT = 1000     # every scale keeps projects of 1,000 tokens (1,000,000 = 1,000 projects)
BIG_PROJECT_TOKENS = 10_000   # project 0 of the largest store: 100 pages of 100
AWS_AUTH = ("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/us-east-1/iam/aws4_request, "
            "SignedHeaders=host, Signature=00")
VERIFY_PROJECT = "00000000-0000-4000-8000-b00000000001"
CREATE_PROJECT = "00000000-0000-4000-8000-b00000000002"
PAIR_PROJECT = "00000000-0000-4000-8000-b00000000003"
RESTORE_PROJECT = "00000000-0000-4000-8000-b00000000004"
RESTORE_TOKENS = 10_000       # the ephemeral server's snapshot, restored and timed
RATIO_ROUNDS = 3              # rounds of ping, verify and get, alternating; each row is its median round


class BenchError(RuntimeError):
    pass


def project_id(index: int) -> str:
    return f"00000000-0000-4000-8000-{index:012d}"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- HTTP


class Client:
    """A keep-alive HTTP/1.1 client to one loopback port."""

    def __init__(self, port: int, timeout: float = 30.0) -> None:
        self.port = port
        self.timeout = timeout
        self.connection: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, headers: dict | None = None, body: bytes | str | None = None):
        for attempt in range(2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            try:
                self.connection.request(method, path, body=body, headers=headers or {})
                response = self.connection.getresponse()
                return response.status, response.read()
            except (http.client.HTTPException, ConnectionError, OSError):
                self.connection.close()
                self.connection = None
                if attempt == 1:
                    raise
        raise AssertionError("unreachable")

    def json(self, method: str, path: str, body: dict | None = None, expect: int = 200):
        headers = {AUTH[0]: AUTH[1]}
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body)
        status, payload = self.request(method, path, headers, data)
        if status != expect:
            raise BenchError(f"{method} {path} -> {status} (expected {expect}): {payload[:300]!r}")
        return json.loads(payload) if payload else None


def list_ids(client: Client, project: str, limit: int = 1000) -> list[str]:
    page = client.json("GET", f"{TOKENS}?project_id={project}&page=1&page_size={min(limit, 1000)}")
    return [token["id"] for token in page["tokens"]]


def list_all_ids(client: Client, project: str) -> list[str]:
    """Every token id of a project, page by page of 1,000 (each id once, in the order listed)."""
    ids: dict[str, None] = {}
    page = 1
    while True:
        tokens = client.json("GET", f"{TOKENS}?project_id={project}&page={page}&page_size=1000")["tokens"]
        ids.update((token["id"], None) for token in tokens)
        if len(tokens) < 1000:
            return list(ids)
        page += 1


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines))
    return path
