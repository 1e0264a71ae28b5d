"""Stand-in servers written in Python (a recording upstream, fake regions), run in a thread.

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with serving(server, "upstream") as running:
        running.url        # http://127.0.0.1:<the port the kernel picked>
"""

from __future__ import annotations

import socketserver
import threading
from contextlib import contextmanager
from typing import Iterator

JOIN_TIMEOUT_S = 10.0


@contextmanager
def serving(server: socketserver.BaseServer, name: str = "stand-in") -> Iterator[socketserver.BaseServer]:
    """Serves `server` (bound by the caller, to 127.0.0.1) from a daemon thread, with `url`
    set; afterwards shuts it down and closes it. Its handler threads are daemons, so one still
    sleeping never holds the shutdown up."""
    server.daemon_threads = True
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(JOIN_TIMEOUT_S)
