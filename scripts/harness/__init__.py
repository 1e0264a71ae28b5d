"""One process harness for tokend's tests, reliability suite and benchmark. Standard library
only (the benchmark runs under plain python3, the tests under .venv/bin/python); every server
it starts binds 127.0.0.1 only, and every wait has a time limit.

    harness.processes  ManagedProcess: start, stop and kill with time limits, logs in files;
                       stop_all() ends every child still running (also at interpreter exit)
    harness.ports      free_port(): a free loopback port
    harness.readiness  wait_until_answering(): until a URL answers, failing early with the
                       log if the process died; request(): one bounded HTTP request
    harness.tokend     binary_path() (TOKEND_BINARY), ServeProcess, RegionServer, Gateway, Topology
    harness.nginx      Nginx: nginx on a free loopback port in front of a given server block
                       Balancer: nginx proxying to tokend instances (upstream, keepalive)
    harness.postgres   PostgresCluster: a throwaway PostgreSQL cluster (initdb, a free port);
                       fresh_store_url(): a new database under TOKEND_TEST_POSTGRESQL
    harness.inprocess  serving(): a Python stand-in server (an upstream, a fake region) in a thread
    harness.http_client send(), Answer: one request to a tokend on a fresh connection, the client
                       of reliability/tokend_http.py and portal_test.py
    harness.cli        `python3 -m harness with-server|with-topology|with-postgres CMD…`, behind
                       scripts/with-server, scripts/with-topology and scripts/with-postgres

Importable as `harness` with scripts/ on sys.path: scripts/pytest.ini puts it there for
pytest, and a script run as `python3 scripts/NAME.py` (or `python3 -m …` from scripts/) has it.
"""

from .processes import HarnessError, ManagedProcess, stop_all
from .ports import free_port
from .postgres import PostgresCluster
from .readiness import wait_until_answering
from .tokend import Gateway, RegionServer, ServeProcess, Topology, binary_path

__all__ = ["HarnessError", "ManagedProcess", "stop_all", "free_port", "wait_until_answering",
           "Gateway", "RegionServer", "ServeProcess", "Topology", "binary_path", "PostgresCluster"]
