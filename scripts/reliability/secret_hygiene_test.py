"""Item 6, secret hygiene: a server logging at debug (and at trace) issues secrets (create,
idempotent replays, rotate with and without grace), sees them used (verify: accepted,
refused for the wrong tenant, refused once revoked), and is stopped. No file of its data dir
(db, wal, shm, hash.key) nor its log may hold any secret issued, whole or past its display
prefix. The display prefix itself is expected in the db: finding it there shows the scan works.
On the PostgreSQL store (scripts/with-postgres) the db scanned is a pg_dump of its database, and
the cluster's log is scanned too.
"""

from __future__ import annotations

import json
import stat
import time
import uuid

import pytest

from store_files import postgresql_log, store_dump
from tokend_http import REGIONS, SECRET_DISPLAY_PREFIX_CHARS, Api, assert_contract, send

USAGE_FLUSH_WAIT_S = 1.5  # verify's last-use times and denials are written every second
MANAGEMENT_KEY = "hygiene-management-key-7f3a9c2e41"  # only its first 8 characters may be kept (audit actor)


def issue_and_use(api: Api, project: str, per_region: int) -> list[str]:
    """Every secret issued along the way, current or rotated away."""
    secrets = []
    for region in REGIONS:
        for n in range(per_region):
            key = f"hygiene-{region}-{n}"
            created = assert_contract(api.create(region, project, f"hyg-{n}", idempotency_key=key)).json
            replay = assert_contract(api.create(region, project, f"hyg-{n}", idempotency_key=key)).json
            assert replay["id"] == created["id"] and replay["secret_key"] is None
            secrets.append(created["secret_key"])
            rotated = assert_contract(api.rotate(region, created["id"], grace_period_seconds=3600 * (n % 2))).json
            secrets.append(rotated["secret_key"])
            assert api.verify(rotated["secret_key"], project).status == 200
            assert api.verify(created["secret_key"], project).status == (200 if n % 2 else 401)
            assert api.verify(rotated["secret_key"], str(uuid.uuid4())).status == 403
            # The forms a proxy sends: nginx mode, the original URI instead of an operation.
            nginx = send(api.port, "GET", "/_tokend/verify?mode=nginx", None, {
                "Authorization": f"Bearer {rotated['secret_key']}", "X-Scope-OrgID": project,
                "X-Original-URI": "/api/v1/push", "X-Original-Method": "POST"})
            assert nginx.status == 200, nginx
            if n % 3 == 0:
                assert api.delete(region, created["id"]).status == 204
                assert api.verify(rotated["secret_key"], project).status == 401
    # A mistyped secret (the checksum refuses it) must not be logged either.
    broken = secrets[0][:-1] + ("A" if secrets[0][-1] != "A" else "B")
    assert api.verify(broken, project).status == 401
    return secrets + [broken]


def files_of(server) -> dict[str, bytes]:
    files = {str(path.relative_to(server.root)): path.read_bytes() for path in server.data_dir.rglob("*") if path.is_file()}
    files["log"] = server.log_path.read_bytes()
    if server.on_postgresql:
        files["postgresql dump"] = store_dump(server)
        log = postgresql_log()  # the cluster's own log: a failed statement is written there
        if log is not None:
            files["postgresql log"] = log
    return files


@pytest.mark.parametrize("level,log_format", [("debug", "text"), ("trace", "text"), ("debug", "json")])
def test_no_secret_on_disk_or_in_the_log(serve, profile, figures, level, log_format):
    server = serve(f"hygiene-{level}-{log_format}", log_level=level, extra=["--log-format", log_format])
    api = Api(server.port, MANAGEMENT_KEY)
    secrets = issue_and_use(api, str(uuid.uuid4()), profile.hygiene_tokens)
    time.sleep(USAGE_FLUSH_WAIT_S)
    assert server.terminate_and_wait() == 0

    files = files_of(server)
    stores = ["postgresql dump"] if server.on_postgresql else [name for name in files if ".sqlite" in name]
    assert len(stores) >= (1 if server.on_postgresql else 3) and any(name.endswith("hash.key") for name in files), sorted(files)
    assert len(files["log"]) > 1000 and b"token created" in files["log"], "the log is not at debug level"
    if log_format == "json":
        # Every line tokend logged is one JSON object (the libraries' lines too). The harness's
        # own "--- starting" lines and the URL line (standard output) share the file.
        lines = [line for line in files["log"].decode().splitlines()
                 if not line.startswith("--- ") and not line.startswith("http://")]
        assert len(lines) > 10 and all(isinstance(json.loads(line), dict) for line in lines)
    found = []
    for secret in secrets:
        hidden = secret[SECRET_DISPLAY_PREFIX_CHARS:]  # the part no file may hold, even without its prefix
        for name, content in files.items():
            if secret.encode() in content or hidden.encode() in content:
                found.append(f"{secret[:SECRET_DISPLAY_PREFIX_CHARS]}… in {name}")
    found += [f"the management key in {name}" for name, content in files.items() if MANAGEMENT_KEY[8:].encode() in content]
    prefixes_in_db = sum(1 for s in secrets if any(s[:SECRET_DISPLAY_PREFIX_CHARS].encode() in files[n] for n in stores))
    hash_key = next(path for path in server.data_dir.rglob("hash.key"))
    figures("secret hygiene", f"log level {level}, {log_format}: {len(secrets)} secrets issued and used, {len(files)} files scanned "
            f"({sum(map(len, files.values())) // 1024} KiB, log {len(files['log']) // 1024} KiB): {len(found)} found; "
            f"display prefixes found in the db (control): {prefixes_in_db}")
    assert not found, f"{len(found)} secrets on disk or in the log: {found[:10]}"
    assert prefixes_in_db > 0, "not even a display prefix in the db: the scan cannot be trusted"
    assert stat.S_IMODE(hash_key.stat().st_mode) == 0o600, oct(hash_key.stat().st_mode)
