"""Item 4, slow clients: connections that send half a request and stall must not keep the
server from serving others. The server's idle timeout is 60 s; the soak profile waits it out
and measures when the stalled connections are closed (CI only checks they do no harm)."""

from __future__ import annotations

import socket
import threading
import time
import uuid

import pytest

from raw_http import exchange, request_bytes
from tokend_http import Api, assert_contract

PROJECT = str(uuid.uuid4())
TOKENS = "/cockpit/v1/regions/fr-par/tokens"
SERVED_WITHIN_S = 2.0        # a normal request while others stall (a blocked one would wait 60 s)
IDLE_TIMEOUT_S = 60          # Application+build.swift: idleTimeout
IDLE_CLOSE_WINDOW_S = (IDLE_TIMEOUT_S - 5, IDLE_TIMEOUT_S + 15)

HALF_REQUESTS = [
    b"GET /cockpit/v1/regions/fr-par/tok",                                   # half a request line
    b"GET " + TOKENS.encode() + b" HTTP/1.1\r\nHost: x\r\nX-Auth-Token: k\r\n",  # headers never end
    # A complete head promising 1000 bytes of body, and 10 of them: the handler waits on the body.
    request_bytes("POST", TOKENS, {"Content-Length": "1000"}, content_length=False) + b'{"project_',
]


def stall(port: int, count: int) -> list[socket.socket]:
    sockets = []
    for n in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        sock.sendall(HALF_REQUESTS[n % len(HALF_REQUESTS)])
        sockets.append(sock)
    return sockets


def state(sock: socket.socket) -> str:
    """'open' (nothing received), 'closed' (EOF or reset) or 'answered' (bytes came back)."""
    sock.setblocking(False)
    try:
        data = sock.recv(4096)
    except BlockingIOError:
        return "open"
    except ConnectionResetError:
        return "closed"
    finally:
        sock.setblocking(True)
    return "answered" if data else "closed"


def served_latencies(api: Api, count: int) -> list[float]:
    """`count` rounds of create, list and verify, each timed; each must succeed."""
    latencies = []
    for n in range(count):
        for call in (lambda: api.create("fr-par", PROJECT, f"slow-{n}"), lambda: api.list("fr-par", page_size=5)):
            started = time.monotonic()
            answer = assert_contract(call())
            latencies.append(time.monotonic() - started)
            assert answer.status == 200, answer
            if "secret_key" in answer.json:
                assert api.verify(answer.json["secret_key"], PROJECT).status == 200
    return latencies


def test_stalled_clients_do_not_block_others(serve, profile, figures):
    server = serve("slow")
    api = Api(server.port, timeout=5)
    stalled = stall(server.port, profile.stalled_connections)
    try:
        latencies = served_latencies(api, 20)
        states = [state(sock) for sock in stalled]
        assert max(latencies) < SERVED_WITHIN_S, f"with {len(stalled)} stalled clients, slowest request {max(latencies):.2f} s"
        assert states.count("answered") == 0, "a half request was answered as if it were whole"
        # A stalled client that finally completes its request is served normally.
        sock = stalled[1]
        sock.sendall(b"Connection: close\r\n\r\n")
        sock.settimeout(5)
        assert sock.recv(4096).startswith(b"HTTP/1.1 200 "), "a completed request after a stall was not served"
        figures("slow clients", f"{len(stalled)} stalled half-requests held open; meanwhile {len(latencies)} "
                f"requests served, slowest {max(latencies) * 1000:.0f} ms; stalled connections after the checks: "
                f"{states.count('open')} open, {states.count('closed')} closed")
    finally:
        for sock in stalled:
            sock.close()
    assert server.is_running()


def wait_closed(sock: socket.socket, started: float, limit: float) -> float | None:
    """Seconds from `started` until the server closes `sock` (EOF or reset), or None if it is
    still open `limit` seconds after `started`."""
    sock.settimeout(1)
    while time.monotonic() - started < limit:
        try:
            if sock.recv(4096) == b"":
                return time.monotonic() - started
        except ConnectionResetError:
            return time.monotonic() - started
        except socket.timeout:
            pass
    return None


def test_idle_stalled_and_trickling_clients_are_closed(serve, profile, figures):
    """Waits out the idle timeout: a silent half request and one that sends a byte every 5 s."""
    if not profile.wait_for_idle_close:
        pytest.skip("waits out the 60 s idle timeout: soak profile only (scripts/soak)")
    server = serve("idle")
    started = time.monotonic()
    silent = stall(server.port, profile.stalled_connections)
    all_stalled = time.monotonic()  # opening many takes seconds (SYN retries past the listen backlog)
    trickler = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    stop = threading.Event()

    def trickle():  # one byte of a never-ending header every 5 s
        payload = b"GET " + TOKENS.encode() + b" HTTP/1.1\r\nX-Pad: " + b"a" * 1000
        for byte in payload:
            if stop.wait(5):
                return
            try:
                trickler.send(bytes([byte]))
            except OSError:
                return

    threading.Thread(target=trickle, daemon=True).start()
    limit = IDLE_CLOSE_WINDOW_S[1]
    try:
        silent_close = wait_closed(silent[0], started, limit)
        trickle_close = wait_closed(trickler, started, limit)
        time.sleep(max(0.0, all_stalled + IDLE_TIMEOUT_S + 5 - time.monotonic()))
        still_open = [state(sock) for sock in silent[1:]].count("open")
    finally:
        stop.set()
        for sock in [*silent, trickler]:
            sock.close()
    figures("slow clients", f"idle half request closed after {silent_close and round(silent_close, 1)} s; "
            f"trickling client (1 byte / 5 s) closed after {trickle_close and round(trickle_close, 1)} s; "
            f"{still_open} of the other {len(silent) - 1} stalled connections still open 65 s after the last was opened")
    assert silent_close is not None and IDLE_CLOSE_WINDOW_S[0] <= silent_close, f"silent client closed after {silent_close}"
    assert trickle_close is not None, f"a client trickling a byte every 5 s was still connected after {limit} s"
    assert still_open == 0, f"{still_open} stalled connections outlived the idle timeout"
    assert server.is_running() and exchange(server.port, request_bytes("GET", TOKENS)).status == 200
