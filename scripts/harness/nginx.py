"""nginx in the foreground on a free loopback port, with a server block of the caller's.

    proxy = Nginx(nginx_binary(), block, block_name="tokend-forward-auth.conf").start()
    proxy.url, proxy.error_log_text()
    proxy.stop()      # and its folder is gone

Everything (config, pid file, temp paths, logs) is in a throwaway folder; the block is
included in `server { listen 127.0.0.1:PORT; … }`.

Balancer is the benchmark's nginx: a reverse proxy in front of tokend instances (an
`upstream` with keepalive connections, HTTP/1.1, no access log), the one config of both the
gateway phase (nginx beside `tokend gateway`) and the PostgreSQL phase (two instances).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

from .ports import HOST, free_port
from .processes import HarnessError, ManagedProcess
from .readiness import wait_until

TIMEOUT_S = 10.0
PORT_ATTEMPTS = 3


def nginx_binary() -> str:
    """NGINX, else the nginx on PATH, else Debian's; fails when none can run."""
    binary = os.environ.get("NGINX") or shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.access(binary, os.X_OK):
        raise HarnessError(f"nginx not found ({binary}): install the Debian package `nginx` or set NGINX")
    return binary


def nginx_version(binary: str) -> str:
    """What `nginx -v` says (on stderr), e.g. `nginx version: nginx/1.22.1`, for the report."""
    return subprocess.run([binary, "-v"], capture_output=True, text=True, timeout=10).stderr.strip()


class Nginx(ManagedProcess):
    label = "nginx"

    def __init__(self, binary: str, server_block: str, *, block_name: str = "server.conf"):
        self.binary = binary
        self.dir = Path(tempfile.mkdtemp(prefix="tokend-nginx-"))
        super().__init__("proxy", self.dir / "nginx.out", port=free_port(), stop_timeout=TIMEOUT_S)
        self.error_log = self.dir / "error.log"
        self.block_path = self.dir / block_name
        self.block_path.write_text(server_block)
        for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (self.dir / name).mkdir()
        self.write_main_conf()

    def write_main_conf(self) -> None:
        d = self.dir
        # As root, nginx would run its workers as `nobody`, who cannot enter the 0700 tmpdir.
        user = "user root;\n" if os.geteuid() == 0 else ""
        (d / "nginx.conf").write_text(f"""{user}worker_processes 1;
error_log {d}/error.log info;
pid {d}/nginx.pid;
events {{ worker_connections 64; }}
http {{
    access_log {d}/access.log;
    client_body_temp_path {d}/client_body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    server {{
        listen {HOST}:{self.port};
        include {self.block_path};
    }}
}}
""")

    def command(self) -> list[str]:
        return [self.binary, "-p", str(self.dir), "-c", str(self.dir / "nginx.conf"),
                "-e", str(self.error_log), "-g", "daemon off;"]

    def error_log_text(self) -> str:
        try:
            return self.error_log.read_text(errors="replace")
        except FileNotFoundError:
            return "(no error log)"

    def failure(self, what: str) -> HarnessError:
        return HarnessError(f"{self.title}: {what}\n--- nginx output\n{self.log_text(since_start=True)}"
                            f"--- nginx error log\n{self.error_log_text()}")

    def pid_from_file(self) -> int | None:
        try:
            return int((self.dir / "nginx.pid").read_text().strip())
        except (FileNotFoundError, ValueError):
            return None

    def start(self) -> "Nginx":
        # The free port can be taken between probing and nginx's bind: then try another one.
        for _ in range(PORT_ATTEMPTS):
            if self.start_once():
                return self
            self.port = free_port()
            self.write_main_conf()
        raise self.failure("could not bind a free port")

    def start_once(self) -> bool:
        """Starts nginx and waits until it listens; False if its port was taken."""
        self.spawn()

        def listening() -> tuple[bool, object]:
            # nginx writes its pid file only once it has bound its port; the connection then
            # proves it is that nginx (not another process on a reused port) that answers.
            if self.pid_from_file() != self.pid:
                return False, "no pid file of this nginx yet"
            try:
                with socket.create_connection((HOST, self.port), timeout=0.5):
                    return True, None
            except OSError as error:
                return False, repr(error)

        try:
            wait_until(listening, process=self, timeout=TIMEOUT_S, interval=0.05,
                       expected=f"did not listen on {self.port}", before="listening")
            return True
        except HarnessError:
            if not self.is_running() and "Address already in use" in self.log_text(tail=None, since_start=True):
                return False
            self.stop()
            raise

    def stop(self, timeout: float | None = None) -> None:
        super().stop(timeout)
        shutil.rmtree(self.dir, ignore_errors=True)


class Balancer(Nginx):
    """nginx in front of tokend instances: one round-robin upstream with `keepalive`
    connections to them (HTTP/1.1 with the client's `Connection` header cleared, so nginx
    reuses them rather than opening one per request), every request proxied as it is
    (headers and body), no access log. `workers`: `worker_processes` (Debian's default is
    `auto`, one per core). With `out`, its config and error log are copied there on stop
    (the folder itself goes), under `name`."""

    label = "nginx"

    def __init__(self, binary: str, ports: list[int], name: str, out: Path | None = None, *,
                 workers: int | str = "auto", keepalive: int = 64) -> None:
        self.ports = list(ports)  # before Nginx.__init__, which writes the main config
        self.out = out
        self.workers = workers
        self.keepalive = keepalive
        block = ("location / {\n    proxy_pass http://tokend;\n    proxy_http_version 1.1;\n"
                 "    proxy_set_header Connection \"\";\n}\n")
        super().__init__(binary, block, block_name=f"{name}.conf")
        self.name = name

    def write_main_conf(self) -> None:
        d = self.dir
        user = "user root;\n" if os.geteuid() == 0 else ""
        servers = "".join(f"        server {HOST}:{port} max_fails=0;\n" for port in self.ports)
        (d / "nginx.conf").write_text(f"""{user}worker_processes {self.workers};
error_log {d}/error.log warn;
pid {d}/nginx.pid;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {d}/client_body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    upstream tokend {{
{servers}        keepalive {self.keepalive};
    }}
    server {{
        listen {HOST}:{self.port};
        include {self.block_path};
    }}
}}
""")

    def stop(self, timeout: float | None = None) -> None:
        if self.out is not None:
            try:
                shutil.copy(self.dir / "nginx.conf", self.out / f"{self.name}.conf")
                (self.out / f"{self.name}-error.log").write_text(self.error_log_text())
            except OSError:
                pass
        super().stop(timeout)
