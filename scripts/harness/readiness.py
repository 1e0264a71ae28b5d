"""Bounded waits: until a URL answers, failing early (with the log) if the process died.

    wait_until_answering("http://127.0.0.1:8080/_tokend/ping", process=server, timeout=60)
"""

from __future__ import annotations

import http.client
import json
import time
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlsplit

from .processes import HarnessError, ManagedProcess


def request(url: str, method: str = "GET", headers: dict | None = None, body: bytes | str | None = None,
            timeout: float = 2.0) -> tuple[int, bytes]:
    """One request on a connection of its own, with a hard timeout: (status, body)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        connection.request(method, (parts.path or "/") + (f"?{parts.query}" if parts.query else ""),
                           body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def decoded(body: bytes) -> object:
    """The body as JSON, or as text when it is not JSON."""
    try:
        return json.loads(body)
    except ValueError:
        return body.decode(errors="replace")


def wait_until(check: Callable[[], tuple[bool, object]], *, process: ManagedProcess | None, timeout: float,
               interval: float, expected: str, before: str = "answering") -> object:
    """Calls check() every `interval` s until it returns (True, value), and returns value;
    (False, what) means not yet, `what` being the last state seen. Fails with the process's
    log as soon as the process has exited, or once `timeout` s have passed."""
    deadline = time.monotonic() + timeout
    last: object = "nothing yet"
    while True:
        if process is not None and not process.is_running():
            code = process.process.returncode if process.process else None
            raise process.failure(f"exited with status {code} before {before}")
        done, last = check()
        if done:
            return last
        if time.monotonic() >= deadline:
            what = f"{expected} within {timeout:g} s (last: {str(last)[:300]})"
            raise process.failure(what) if process is not None else HarnessError(what)
        time.sleep(interval)


@dataclass
class Answer:
    status: int
    body: bytes
    seconds: float  # since the wait began


def wait_until_answering(url: str, *, process: ManagedProcess | None = None, timeout: float = 30.0,
                         interval: float = 0.05, headers: dict | None = None, request_timeout: float = 2.0,
                         accept: Callable[[int, bytes], bool] = lambda status, body: status == 200) -> Answer:
    """Polls GET `url` until an answer is accepted (default: status 200) and returns it."""
    started = time.monotonic()

    def check() -> tuple[bool, object]:
        try:
            status, body = request(url, headers=headers, timeout=request_timeout)
        except (OSError, http.client.HTTPException) as error:
            return False, repr(error)
        if accept(status, body):
            return True, Answer(status, body, time.monotonic() - started)
        return False, f"HTTP {status}: {decoded(body)!r}"

    return wait_until(check, process=process, timeout=timeout, interval=interval,
                      expected=f"{urlsplit(url).path} did not answer")
