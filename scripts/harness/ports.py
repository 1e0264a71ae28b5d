"""Free loopback ports."""

from __future__ import annotations

import socket

HOST = "127.0.0.1"  # every server the harness starts binds this address only


def free_port() -> int:
    """A port nothing listens on now. The kernel picks it; there is a tiny window before the
    server binds it again, so a server that cannot bind it (nginx) is started on another."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]
