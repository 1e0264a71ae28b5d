"""Free loopback ports."""

from __future__ import annotations

import socket

HOST = "127.0.0.1"  # every server the harness starts binds this address only


_handed_out: set[int] = set()


def free_port() -> int:
    """A port nothing listens on now, and never one this process handed out before: the kernel
    may give a released port again, and a server given it may not have bound it yet (a gateway
    once got the port of a region still starting, and the harness asked the region for the
    gateway's health). There is still a tiny window before the server binds it, so a server
    that cannot bind it (nginx) is started on another."""
    for _ in range(1_000):
        with socket.socket() as s:
            s.bind((HOST, 0))
            port = s.getsockname()[1]
        if port not in _handed_out:
            _handed_out.add(port)
            return port
    raise OSError("no loopback port left that this process has not handed out already")
