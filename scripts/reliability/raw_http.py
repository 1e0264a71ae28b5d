"""HTTP/1.1 over a plain socket: for requests http.client refuses to send (bad framing,
huge or broken headers, NUL bytes, half requests) and for seeing how a connection ends."""

from __future__ import annotations

import json
import socket
import time
from dataclasses import dataclass

READ_TIMEOUT_S = 5.0


@dataclass
class RawAnswer:
    status: int | None          # None: the server answered nothing
    headers: dict[str, str]
    body: bytes
    closed: bool                # the server closed the connection (EOF or reset) within the timeout
    seconds: float

    @property
    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    @property
    def outcome(self) -> str:
        """json-4xx: a contract error; bare-400-closed: NIO's answer to malformed HTTP (400, no
        body, Connection: close, then closed); closed: no answer at all; else what came."""
        body = self.json
        if self.status is not None and 400 <= self.status < 500 and self.headers.get("content-type", "").startswith(
                "application/json") and isinstance(body, dict) and {"message", "type"} <= body.keys():
            return "json-4xx"
        if self.status == 400 and self.body == b"" and self.closed and self.headers.get("connection") == "close":
            return "bare-400-closed"
        if self.status is None:
            return "closed" if self.closed else "no answer, still open"
        return f"HTTP {self.status}"

    def __str__(self) -> str:
        return f"{self.outcome} (HTTP {self.status}, closed={self.closed}, {self.seconds:.2f} s) {self.body[:300]!r}"


def request_bytes(method: str, target: bytes | str, headers: dict[str, bytes | str] | None = None,
                  body: bytes = b"", *, auth: str | None = "reliability-hostile", content_length: bool = True) -> bytes:
    """A request with Host and Connection: close; headers and target are taken byte for byte."""
    def b(value):
        return value if isinstance(value, bytes) else value.encode()
    lines = [b"%s %s HTTP/1.1" % (b(method), b(target)), b"Host: 127.0.0.1", b"Connection: close"]
    if auth:
        lines.append(b"X-Auth-Token: " + b(auth))
    for name, value in (headers or {}).items():
        lines.append(b(name) + b": " + b(value))
    if content_length and (body or method in ("POST", "PUT")):
        lines.append(b"Content-Length: %d" % len(body))
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def exchange(port: int, data: bytes, timeout: float = READ_TIMEOUT_S) -> RawAnswer:
    """Sends `data`, reads until the server closes or `timeout`, parses the first response."""
    started = time.monotonic()
    received, closed = b"", False
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        try:
            sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            closed = True  # it answered (or gave up) before reading everything: read what it said
        sock.settimeout(max(0.1, timeout - (time.monotonic() - started)))
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    closed = True
                    break
                received += chunk
        except ConnectionResetError:
            closed = True
        except socket.timeout:
            pass
    return parse(received, closed, time.monotonic() - started)


def parse(received: bytes, closed: bool, seconds: float) -> RawAnswer:
    head, separator, rest = received.partition(b"\r\n\r\n")
    if not separator:
        return RawAnswer(None, {}, received, closed, seconds)
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", len(rest)))
    return RawAnswer(int(status_line.split()[1]), headers, rest[:length], closed, seconds)
