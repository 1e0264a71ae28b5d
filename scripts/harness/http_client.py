"""One HTTP request to a tokend on 127.0.0.1, on the standard library only: the client of the
process-level suites (scripts/reliability/tokend_http.py for the Cockpit face,
scripts/portal_test.py for the portal face).

    answer = send(port, "POST", "/tenants", {"display_name": "a"}, {"Authorization": "Bearer …"})
    answer.status, answer.headers["content-type"], answer.json

Every call opens its own connection with a hard timeout, so a killed server shows up as a
connection error on that call alone (ConnectionRefusedError when nothing listens).
"""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass, field

TIMEOUT_S = 10.0  # no answer within this is a hang, and a failure of whichever test saw it
HOST = "127.0.0.1"


@dataclass
class Answer:
    status: int
    headers: dict[str, str]  # names lower-cased
    body: bytes
    json: object = field(default=None)  # the body parsed, or None when empty or not JSON

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace")

    def __str__(self) -> str:
        return f"HTTP {self.status} {self.text[:500]}"


def send(port: int, method: str, path: str, body: bytes | dict | list | None = None,
         headers: dict[str, str] | None = None, timeout: float = TIMEOUT_S, *,
         content_type: str | None = None) -> Answer:
    """One request on a fresh connection; a dict or list body goes as JSON. With content_type,
    a request with a body and no Content-Type of its own gets that one. Raises
    ConnectionRefusedError when refused, OSError or http.client.HTTPException when the
    connection fails after that, socket.timeout on a hang."""
    headers = dict(headers or {})
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
    if content_type and body is not None and not any(k.lower() == "content-type" for k in headers):
        headers["Content-Type"] = content_type
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        raw = response.read()
        answer = Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, raw)
    finally:
        connection.close()
    if raw:
        try:
            answer.json = json.loads(raw)
        except ValueError:
            answer.json = None
    return answer
