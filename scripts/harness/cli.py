"""The commands behind scripts/with-server and scripts/with-topology (run from scripts/,
as those two do: `cd scripts && python3 -m harness …`; CMD runs in the repository's root).

    python3 -m harness with-server [--] CMD...
        a fresh `tokend serve` (open auth, every region of regions/, a throwaway data dir);
        exports TOKEND_URL; prints the server's log if CMD failed.
    python3 -m harness with-topology [--direct REGION] [--] CMD...
        fr-par, nl-ams and pl-waw, each a `tokend region` process, behind a `tokend gateway`
        (or only that region's server with --direct); exports TOKEND_URL and TOKEND_REGIONS;
        prints every log if CMD failed.

    python3 -m harness with-postgres [--] CMD...
        a throwaway PostgreSQL cluster (harness.postgres: initdb in a temporary folder, a free
        port); exports TOKEND_TEST_POSTGRESQL (its admin URL,
        postgresql://postgres@127.0.0.1:PORT/postgres) and TOKEND_TEST_POSTGRESQL_DATA (its data
        folder); prints its log if CMD failed. Under it, every tokend serve and region the
        harness starts gets --store on a fresh database.

All of them stop every server afterwards and exit with CMD's status (1 when the servers did not start).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from .postgres import ADMIN_URL_VARIABLE, DATA_DIR_VARIABLE, PostgresCluster
from .processes import REPO_ROOT, HarnessError
from .tokend import DEFAULT_REGIONS, ServeProcess, Topology


def without_separator(command: list[str]) -> list[str]:
    return command[1:] if command[:1] == ["--"] else command


def run_command(prog: str, command: list[str], exports: dict[str, str]) -> int:
    """CMD's exit status, as a shell reports it (128 + N when killed by signal N)."""
    try:
        status = subprocess.run(command, cwd=REPO_ROOT, env={**os.environ, **exports}).returncode
    except FileNotFoundError as error:
        print(f"{prog}: {error}", file=sys.stderr)
        return 127
    except PermissionError as error:
        print(f"{prog}: {error}", file=sys.stderr)
        return 126
    return 128 - status if status < 0 else status


def with_server(argv: list[str]) -> int:
    command = without_separator(argv)
    if not command:
        print("usage: with-server CMD...", file=sys.stderr)
        return 2
    root = Path(tempfile.mkdtemp(prefix="tokend-server-"))
    server = ServeProcess(root, "server")
    try:
        try:
            server.start()
        except HarnessError as error:
            if server.log_path.exists():
                print(server.log_text(tail=None), end="", flush=True)
            print(f"with-server: {str(error).splitlines()[0]}", file=sys.stderr)
            return 1
        status = run_command("with-server", command, {"TOKEND_URL": server.url})
        if status != 0:
            server.stop()  # first, so that a crashed server has finished writing its backtrace
            print(f"--- tokend log\n{server.log_text(tail=None)}", end="", flush=True)
        return status
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


def with_topology(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="with-topology",
        description="Runs CMD against tokend regions behind a gateway (or one region with --direct); "
                    "exports TOKEND_URL and TOKEND_REGIONS.")
    parser.add_argument("--direct", metavar="REGION", help="start only `tokend region --region REGION`, no gateway")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="the command to run")
    args = parser.parse_args(argv)
    command = without_separator(args.command)
    if not command:
        parser.error("no command given")

    regions = (args.direct,) if args.direct else DEFAULT_REGIONS
    topology = Topology(regions, direct=bool(args.direct))
    try:
        try:
            topology.start()
        except HarnessError as error:
            print(f"with-topology: {error}", file=sys.stderr)
            return 1
        status = run_command("with-topology", command, {"TOKEND_URL": topology.url, "TOKEND_REGIONS": ",".join(regions)})
        if status != 0:
            # Stop first, so that a crashed process has finished writing its backtrace.
            topology.stop(keep_files=True)
            print(topology.logs(), flush=True)
        return status
    finally:
        topology.stop()


def with_postgres(argv: list[str]) -> int:
    command = without_separator(argv)
    if not command:
        print("usage: with-postgres CMD...", file=sys.stderr)
        return 2
    cluster = None
    try:
        try:
            cluster = PostgresCluster().start()
        except HarnessError as error:
            print(f"with-postgres: {error}", file=sys.stderr)
            return 1
        status = run_command("with-postgres", command, {ADMIN_URL_VARIABLE: cluster.admin_url,
                                                        DATA_DIR_VARIABLE: str(cluster.data_dir)})
        if status != 0:
            print(f"--- postgresql log ({cluster.log_path})\n{cluster.log_text(tail=10000)}", end="", flush=True)
        return status
    finally:
        if cluster is not None:
            try:
                cluster.stop()
            except HarnessError as error:
                print(f"with-postgres: {error}", file=sys.stderr)


COMMANDS = {"with-server": with_server, "with-topology": with_topology, "with-postgres": with_postgres}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        print(f"usage: python3 -m harness {{{','.join(COMMANDS)}}} …\n{__doc__}", file=sys.stderr)
        return 2

    # SIGTERM (e.g. from a CI timeout) unwinds like Ctrl-C, so the servers are stopped too.
    def interrupted(signum, frame):
        raise KeyboardInterrupt(signum)

    signal.signal(signal.SIGTERM, interrupted)
    try:
        return COMMANDS[argv[0]](argv[1:])
    except KeyboardInterrupt as interruption:
        signum = interruption.args[0] if interruption.args else signal.SIGINT
        return 128 + int(signum)
