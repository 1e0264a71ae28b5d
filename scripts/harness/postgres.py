"""A throwaway PostgreSQL cluster (Debian's `postgresql` package), and the calls a test makes on
one: fresh databases, backends killed by application_name, an immediate restart.

    with PostgresCluster() as cluster:            # initdb in a temporary folder, a free port
        cluster.admin_url                         # postgresql://postgres@127.0.0.1:PORT/postgres
        url = cluster.new_database()              # CREATE DATABASE with a fresh name
        cluster.kill_backends("tokend fr-par listener")   # pg_terminate_backend; how many
        cluster.restart(mode="immediate")         # pg_ctl restart -m immediate (a crash and recovery)
        cluster.stop_server(mode="immediate"); cluster.start_server()   # down for a while

The cluster: `initdb` (trust authentication, UTF-8, locale C) in a folder of its own under the
system's temporary folder; it listens on 127.0.0.1 only, on a free port, with its unix socket
in that folder and fsync on; `pg_ctl start -w`, and `pg_ctl stop -m fast` at the end (the
folder is removed then). As root, PostgreSQL refuses to run: initdb and pg_ctl then run as
the `postgres` system user (runuser), the folder owned by it. Every failure is a HarnessError
carrying the server's log.

`scripts/with-postgres CMD…` (python3 -m harness with-postgres) runs CMD with one cluster up
and exports TOKEND_TEST_POSTGRESQL (its admin URL) and TOKEND_TEST_POSTGRESQL_DATA (its data
folder, for a test that restarts it: PostgresCluster.attach()). With TOKEND_TEST_POSTGRESQL
set, every `tokend serve` and `tokend region` the harness starts gets `--store` on a fresh
database of that cluster (harness.tokend; `fresh_store_url()`).

The binaries: POSTGRES_BINDIR if set, else the newest /usr/lib/postgresql/*/bin holding
initdb, else `pg_config --bindir`, else the folder of an `initdb` on PATH.
"""

from __future__ import annotations

import glob
import os
import pwd
import re
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from .ports import HOST, free_port
from .processes import HarnessError

ADMIN_URL_VARIABLE = "TOKEND_TEST_POSTGRESQL"
DATA_DIR_VARIABLE = "TOKEND_TEST_POSTGRESQL_DATA"
SUPERUSER = "postgres"
START_TIMEOUT_S = 60
STOP_TIMEOUT_S = 60
PSQL_TIMEOUT_S = 60
LOG_TAIL_CHARS = 6000
# Room for a topology's three regions (a pool each and a listener), the suites' servers that
# overlap, and the Swift suites' own connections.
MAX_CONNECTIONS = 300


def bindir() -> Path:
    """The folder of initdb, pg_ctl and psql (see the module's docstring for the search)."""
    if os.environ.get("POSTGRES_BINDIR"):
        folder = Path(os.environ["POSTGRES_BINDIR"])
        if not (folder / "initdb").exists():
            raise HarnessError(f"POSTGRES_BINDIR={folder}: no initdb there")
        return folder

    def version(path: str) -> tuple:
        return tuple(int(part) if part.isdigit() else 0 for part in re.split(r"[.]", Path(path).parent.parent.name))

    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=version)
    if candidates:
        return Path(candidates[-1]).parent
    if shutil.which("pg_config"):
        done = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, timeout=30)
        folder = Path(done.stdout.strip())
        if done.returncode == 0 and (folder / "initdb").exists():
            return folder
    initdb = shutil.which("initdb")
    if initdb:
        return Path(os.path.realpath(initdb)).parent
    raise HarnessError("no PostgreSQL server binaries (initdb, pg_ctl): install Debian's `postgresql` "
                       "package (scripts/system-packages does) or set POSTGRES_BINDIR")


def psql_binary() -> str:
    """The cluster's psql, or any psql client on PATH."""
    try:
        candidate = bindir() / "psql"
        if candidate.exists():
            return str(candidate)
    except HarnessError:
        pass
    found = shutil.which("psql")
    if not found:
        raise HarnessError("no psql (Debian's postgresql-client)")
    return found


def quote_literal(text: str) -> str:
    """A SQL string literal (standard_conforming_strings is on: only ' is doubled)."""
    if "\x00" in text:
        raise ValueError("a NUL byte cannot be in a SQL literal")
    return "'" + text.replace("'", "''") + "'"


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def psql(url: str, sql: str, timeout: float = PSQL_TIMEOUT_S) -> list[list[str]]:
    """Runs `sql` (one or more statements, from standard input) on `url`; the rows of the last
    result, each a list of its columns as text. Fails (HarnessError) on any SQL error."""
    argv = [psql_binary(), "--no-psqlrc", "--quiet", "--no-align", "--tuples-only", "--field-separator=\x1f",
            "-v", "ON_ERROR_STOP=1", "--dbname", url]
    try:
        done = subprocess.run(argv, input=sql, capture_output=True, text=True, timeout=timeout,
                              env={**os.environ, "PGCONNECT_TIMEOUT": "10"})
    except subprocess.TimeoutExpired as error:
        raise HarnessError(f"psql on {url}: no answer within {timeout} s to {sql[:200]!r}") from error
    if done.returncode != 0:
        raise HarnessError(f"psql on {url} exited {done.returncode}: {done.stderr.strip()}\n--- sql\n{sql[:2000]}")
    return [line.split("\x1f") for line in done.stdout.splitlines() if line]


def with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, "", ""))


def new_database(admin_url: str, prefix: str = "tokend_test") -> str:
    """CREATE DATABASE with a fresh name on the cluster of `admin_url`; its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    psql(admin_url, f"CREATE DATABASE {quote_identifier(name)};")
    return with_database(admin_url, name)


def kill_backends(admin_url: str, application_name: str, database: str | None = None) -> int:
    """pg_terminate_backend of every connection whose application_name is exactly this one
    (on `database` only, if given); how many were terminated."""
    on = f" AND datname = {quote_literal(database)}" if database is not None else ""
    rows = psql(admin_url, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                           f"WHERE application_name = {quote_literal(application_name)}{on} AND pid <> pg_backend_pid();")
    return int(rows[0][0])


def backends(admin_url: str, application_name: str | None = None) -> list[dict]:
    """The connections of pg_stat_activity (those of one application_name, if given)."""
    where = f"WHERE application_name = {quote_literal(application_name)}" if application_name is not None \
        else "WHERE backend_type = 'client backend'"
    rows = psql(admin_url, "SELECT pid, application_name, datname, state FROM pg_stat_activity "
                           f"{where} AND pid <> pg_backend_pid() ORDER BY pid;")
    return [{"pid": int(pid), "application_name": name, "database": db, "state": state}
            for pid, name, db, state in rows]


def dump(url: str, timeout: float = PSQL_TIMEOUT_S) -> bytes:
    """pg_dump of the database at `url` (plain SQL, data and schema): what a store holds, as
    bytes to scan (the secret hygiene suite)."""
    pg_dump = bindir() / "pg_dump"
    binary = str(pg_dump) if pg_dump.exists() else shutil.which("pg_dump")
    if not binary:
        raise HarnessError("no pg_dump")
    done = subprocess.run([binary, "--no-owner", "--dbname", url], capture_output=True, timeout=timeout)
    if done.returncode != 0:
        raise HarnessError(f"pg_dump of {url} exited {done.returncode}: {done.stderr.decode(errors='replace')}")
    return done.stdout


def test_admin_url() -> str | None:
    """TOKEND_TEST_POSTGRESQL (scripts/with-postgres sets it), or None: SQLite, as always."""
    return os.environ.get(ADMIN_URL_VARIABLE) or None


def fresh_store_url(prefix: str = "tokend_test") -> str | None:
    """A fresh database on TOKEND_TEST_POSTGRESQL's cluster, or None when it is not set."""
    admin = test_admin_url()
    return new_database(admin, prefix) if admin else None


def database_of(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def schema_of(region: str) -> str:
    """The schema of a region's store: tokend_<region, - as _>."""
    return "tokend_" + region.replace("-", "_")


class PostgresCluster:
    """One throwaway cluster (see the module's docstring). start() or `with`; stop() removes
    its folder unless keep_files. attach() takes over one scripts/with-postgres started."""

    def __init__(self, root: Path | None = None, port: int | None = None):
        self.bindir = bindir()
        self._own_root = root is None
        self.root = Path(root) if root else Path(tempfile.mkdtemp(prefix="tokend-postgres-"))
        self.data_dir = self.root / "data"
        self.log_path = self.root / "postgres.log"
        self.port = port or free_port()
        self.user = self._run_as()
        self._attached = False
        self.started = False

    # ------------------------------------------------------------ who runs it

    @staticmethod
    def _run_as() -> str | None:
        """None when this process may run PostgreSQL itself; as root, the system user to run it as."""
        if os.geteuid() != 0:
            return None
        try:
            pwd.getpwnam(SUPERUSER)
        except KeyError as error:
            raise HarnessError("running as root, and there is no `postgres` system user to run PostgreSQL as "
                               "(Debian's postgresql package makes it)") from error
        return SUPERUSER

    def _argv(self, tool: str, *arguments: str) -> list[str]:
        argv = [str(self.bindir / tool), *arguments]
        return ["runuser", "-u", self.user, "--", *argv] if self.user else argv

    def _run(self, tool: str, *arguments: str, timeout: float = START_TIMEOUT_S) -> str:
        argv = self._argv(tool, *arguments)
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, cwd=self.root,
                                  stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as error:
            raise self.failure(f"{tool} did not finish within {timeout} s: {' '.join(argv)}") from error
        if done.returncode != 0:
            raise self.failure(f"{tool} exited {done.returncode}: {' '.join(argv)}\n{done.stdout}{done.stderr}")
        return done.stdout

    # ------------------------------------------------------------ the URLs

    @property
    def admin_url(self) -> str:
        return f"postgresql://{SUPERUSER}@{HOST}:{self.port}/postgres"

    def url(self, database: str) -> str:
        return f"postgresql://{SUPERUSER}@{HOST}:{self.port}/{database}"

    # ------------------------------------------------------------ life

    def initdb(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o700)
        if self.user:
            entry = pwd.getpwnam(self.user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        # --no-sync: only initdb's own final flush is skipped (the folder is thrown away
        # anyway); the running server has fsync on.
        self._run("initdb", "--pgdata", str(self.data_dir), "--username", SUPERUSER, "--auth", "trust",
                  "--encoding", "UTF8", "--locale", "C", "--no-sync", "--no-instructions")
        settings = {
            "listen_addresses": f"'{HOST}'",
            "port": str(self.port),
            "unix_socket_directories": quote_literal(str(self.root)),
            "fsync": "on",
            "synchronous_commit": "on",
            "max_connections": str(MAX_CONNECTIONS),
            "shared_buffers": "'128MB'",
            "log_line_prefix": "'%m [%p] %q%a '",
            "log_min_messages": "warning",
        }
        conf = self.data_dir / "postgresql.conf"
        with conf.open("a") as out:
            out.write("\n# tokend's test harness (scripts/harness/postgres.py)\n")
            for key, value in settings.items():
                out.write(f"{key} = {value}\n")
        # Trust, on the unix socket (in the private folder) and on 127.0.0.1 only.
        (self.data_dir / "pg_hba.conf").write_text(
            "# tokend's test harness: trust on the private socket and on 127.0.0.1, nothing else\n"
            "local all all trust\n"
            f"host  all all {HOST}/32 trust\n")
        if self.user:
            entry = pwd.getpwnam(self.user)
            for path in (conf, self.data_dir / "pg_hba.conf"):
                os.chown(path, entry.pw_uid, entry.pw_gid)

    def start(self) -> "PostgresCluster":
        """initdb (the first time), then pg_ctl start -w; fails with the log. A port taken in
        the moment between free_port() and the bind is replaced by another (up to 3 tries)."""
        try:
            if not (self.data_dir / "PG_VERSION").exists():
                self.initdb()
            for attempt in range(3):
                logged = self.log_path.stat().st_size if self.log_path.exists() else 0
                try:
                    self.start_server()
                    break
                except HarnessError:
                    taken = "Address already in use" in self.log_text(tail=None)[logged:]
                    if not taken or attempt == 2:
                        raise
                    self.port = free_port()
                    with (self.data_dir / "postgresql.conf").open("a") as out:
                        out.write(f"port = {self.port}  # the one before was taken\n")
        except BaseException:
            self.stop()
            raise
        return self

    def start_server(self, timeout: float = START_TIMEOUT_S) -> None:
        """pg_ctl start -w (after stop_server(), or the first time)."""
        if self.user and not self.log_path.exists():
            self.log_path.touch()
            entry = pwd.getpwnam(self.user)
            os.chown(self.log_path, entry.pw_uid, entry.pw_gid)
        self._run("pg_ctl", "start", "--wait", "--timeout", str(int(timeout)), "--pgdata", str(self.data_dir),
                  "--log", str(self.log_path), timeout=timeout + 10)
        self.started = True
        self.wait_ready(timeout)

    def stop_server(self, mode: str = "fast", timeout: float = STOP_TIMEOUT_S) -> None:
        """pg_ctl stop -m MODE (fast: clients disconnected, a clean shutdown; immediate: as a
        crash, recovery at the next start)."""
        self._run("pg_ctl", "stop", "--wait", "--timeout", str(int(timeout)), "--mode", mode,
                  "--pgdata", str(self.data_dir), timeout=timeout + 10)

    def restart(self, mode: str = "immediate", timeout: float = START_TIMEOUT_S) -> float:
        """pg_ctl restart -m MODE -w, and until it answers queries; the seconds it took."""
        started = time.monotonic()
        self._run("pg_ctl", "restart", "--wait", "--timeout", str(int(timeout)), "--mode", mode,
                  "--pgdata", str(self.data_dir), "--log", str(self.log_path), timeout=timeout + 10)
        self.wait_ready(timeout)
        return time.monotonic() - started

    def wait_ready(self, timeout: float = START_TIMEOUT_S) -> None:
        """Until `SELECT 1` answers over TCP (pg_ctl -w waits for the socket; recovery may follow)."""
        deadline = time.monotonic() + timeout
        last = "nothing yet"
        while True:
            try:
                if psql(self.admin_url, "SELECT 1;", timeout=10) == [["1"]]:
                    return
            except HarnessError as error:
                last = str(error)
            if time.monotonic() >= deadline:
                raise self.failure(f"not answering SELECT 1 within {timeout} s (last: {last[:300]})")
            time.sleep(0.05)

    def is_running(self) -> bool:
        done = subprocess.run(self._argv("pg_ctl", "status", "--pgdata", str(self.data_dir)),
                              capture_output=True, text=True, timeout=30)
        return done.returncode == 0

    def stop(self, keep_files: bool = False) -> None:
        """pg_ctl stop -m fast (then immediate, if fast did not end it), and the folder removed."""
        if self._attached:
            return  # scripts/with-postgres owns it
        try:
            if (self.data_dir / "postmaster.pid").exists():
                try:
                    self.stop_server("fast")
                except HarnessError:
                    self.stop_server("immediate")
        finally:
            self.started = False
            if not keep_files and self._own_root:
                shutil.rmtree(self.root, ignore_errors=True)

    @classmethod
    def attach(cls) -> "PostgresCluster | None":
        """The cluster scripts/with-postgres started (TOKEND_TEST_POSTGRESQL and
        TOKEND_TEST_POSTGRESQL_DATA), to restart it or kill its backends; None outside one.
        stop() leaves an attached cluster running."""
        admin, data = os.environ.get(ADMIN_URL_VARIABLE), os.environ.get(DATA_DIR_VARIABLE)
        if not admin or not data or not Path(data, "PG_VERSION").exists():
            return None
        cluster = cls.__new__(cls)
        cluster.bindir = bindir()
        cluster._own_root = False
        cluster.data_dir = Path(data)
        cluster.root = cluster.data_dir.parent
        cluster.log_path = cluster.root / "postgres.log"
        cluster.port = urlsplit(admin).port
        cluster.user = cls._run_as()
        cluster._attached = True
        cluster.started = True
        return cluster

    # ------------------------------------------------------------ what tests do with it

    def psql(self, sql: str, database: str = "postgres", timeout: float = PSQL_TIMEOUT_S) -> list[list[str]]:
        return psql(self.url(database), sql, timeout)

    def new_database(self, prefix: str = "tokend_test") -> str:
        return new_database(self.admin_url, prefix)

    def kill_backends(self, application_name: str, database: str | None = None) -> int:
        return kill_backends(self.admin_url, application_name, database)

    def backends(self, application_name: str | None = None) -> list[dict]:
        return backends(self.admin_url, application_name)

    # ------------------------------------------------------------ logs

    def log_text(self, tail: int | None = LOG_TAIL_CHARS) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return "(no log)"
        return text if tail is None or len(text) <= tail else "…" + text[-tail:]

    def failure(self, what: str) -> HarnessError:
        return HarnessError(f"postgresql ({self.admin_url}, {self.data_dir}): {what}\n--- {self.log_path}\n{self.log_text()}")

    def __enter__(self) -> "PostgresCluster":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
