"""Every option of `serve` from a flag, a `TOKEND_…` variable or a `--config` JSON file, first
found wins, as the running server shows it: the port it listens on, the portal's organisation
and plan, management auth, whether it writes a data folder. A bad file or variable stops it
before it serves, with a message naming the key, file or variable.

    .venv/bin/python -m pytest -q scripts/configuration_test.py      (TOKEND_BINARY: the binary)
"""

import json
import os
import subprocess
import uuid

import pytest
import requests

from ephemeral_test import first_line
from harness import binary_path, free_port

START_TIMEOUT_S = 30
TIMEOUT_S = 10
EPHEMERAL = ["--ephemeral", "--port", "0"]
# A test runner's own TOKEND_… variables must not configure the servers started here.
CLEAN_ENV = {name: value for name, value in os.environ.items() if not name.startswith("TOKEND_")}


def start(folder, arguments, env=None):
    """`tokend serve ARGUMENTS` in `folder`, with only `env`'s TOKEND_… variables; its log
    (standard error) goes to folder/tokend.log."""
    with open(folder / "tokend.log", "w") as log:
        return subprocess.Popen([str(binary_path()), "serve", *arguments], cwd=folder, env={**CLEAN_ENV, **(env or {})},
                                stdout=subprocess.PIPE, stderr=log, text=True)


def url_of(process, folder):
    """The URL line, waited for at most START_TIMEOUT_S; the log if it does not come."""
    return first_line(process, folder / "tokend.log")


@pytest.fixture
def serving(tmp_path):
    """Starts `tokend serve …` (keyword `env`: its variables) and gives its URL; stops it after."""
    started = []

    def serve(arguments, env=None):
        process = start(tmp_path, arguments, env)
        started.append(process)
        return url_of(process, tmp_path)

    yield serve
    for process in started:
        process.terminate()
        assert process.wait(timeout=30) == 0


def config_file(folder, options):
    path = folder / f"tokend-{uuid.uuid4().hex[:8]}.json"
    path.write_text(json.dumps(options) if isinstance(options, dict) else options)
    return path


def organisation(url):
    """The portal's organisation (open mode signs anyone in): its name and its plan."""
    token = requests.post(f"{url}/auth/login", json={"email": "a@example.com", "password": "x"}, timeout=TIMEOUT_S)
    headers = {"Authorization": f"Bearer {token.json()['token']}"}
    org = requests.get(f"{url}/org", headers=headers, timeout=TIMEOUT_S).json()
    summary = requests.get(f"{url}/dashboard/org/summary", headers=headers, timeout=TIMEOUT_S).json()
    return org["display_name"], summary["billing_plan"]


def list_tokens(url, key):
    return requests.get(f"{url}/cockpit/v1/regions/fr-par/tokens", params={"project_id": str(uuid.uuid4())},
                        headers={"X-Auth-Token": key}, timeout=TIMEOUT_S)


def test_the_file_gives_the_port_flags_and_strings(serving, tmp_path):
    port = free_port()
    config = config_file(tmp_path, {"port": port, "ephemeral": True, "portal-org-name": "From The File",
                                    "portal-plan": "free", "usage-flush-ms": 500})
    url = serving(["--config", str(config)])
    assert url == f"http://127.0.0.1:{port}"
    assert organisation(url) == ("From The File", "free")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([config.name, "tokend.log"]), "ephemeral: no data folder"


def test_a_variable_beats_the_file_and_a_flag_beats_both(serving, tmp_path):
    config = config_file(tmp_path, {"portal-org-name": "File Org", "portal-plan": "free", "port": 1})
    env = {"TOKEND_PORTAL_ORG_NAME": "Env Org", "TOKEND_PORTAL_PLAN": "enterprise", "TOKEND_PORT": "2"}
    url = serving([*EPHEMERAL, "--config", str(config), "--portal-plan", "scale"], env=env)
    assert url not in ("http://127.0.0.1:1", "http://127.0.0.1:2"), "--port 0 wins over TOKEND_PORT and the file"
    assert organisation(url) == ("Env Org", "scale")


def test_tokend_config_names_the_file_and_auth_comes_from_it(serving, tmp_path):
    key = "cfg-" + uuid.uuid4().hex
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps({"keys": [{"key": key, "projects": ["*"]}]}))
    config = config_file(tmp_path, {"auth": "keys", "keys-file": str(keys)})
    url = serving(EPHEMERAL, env={"TOKEND_CONFIG": str(config)})
    assert list_tokens(url, "any-key").status_code in (401, 403), "keys mode: an unknown key is refused"
    assert list_tokens(url, key).status_code == 200


def test_a_false_variable_beats_the_files_true_flag(serving, tmp_path):
    config = config_file(tmp_path, {"ephemeral": True})
    url = serving(["--port", "0", "--config", str(config)], env={"TOKEND_EPHEMERAL": "false"})
    assert list_tokens(url, "dev").status_code == 200
    assert (tmp_path / "data" / "hash.key").exists(), "TOKEND_EPHEMERAL=false: stores on disk, in ./data"


@pytest.mark.parametrize("contents, arguments, env, says", [
    ({"port": 0, "prot": 9090}, [], {}, 'unknown key "prot"'),
    ({"port": "9090"}, [], {}, '"port" must be an integer'),
    ({"ephemeral": "yes"}, [], {}, '"ephemeral" must be true or false'),
    ('{"port": 0,', [], {}, "is not valid JSON"),
    (None, ["--config", "missing.json"], {}, "config file missing.json does not exist"),
    ({}, [], {"TOKEND_USAGE_FLUSH_MS": "soon"}, "TOKEND_USAGE_FLUSH_MS=soon (--usage-flush-ms) must be an integer"),
    ({}, [], {"TOKEND_METRICS": "maybe"}, "TOKEND_METRICS=maybe (--metrics) must be 1, true, yes, 0, false or no"),
    # These start ephemeral, which keeps every store in memory: a store named beside it is refused.
    ({}, [], {"TOKEND_STORE": "postgresql://tokend@127.0.0.1/tokend"}, "--store is not read with --ephemeral"),
    ({"store": "sqlite"}, [], {}, "--store is not read with --ephemeral"),
])
def test_a_bad_file_or_variable_refuses_to_start(tmp_path, contents, arguments, env, says):
    if contents is not None:
        arguments = ["--config", str(config_file(tmp_path, contents))]
    process = start(tmp_path, [*EPHEMERAL, *arguments], env)
    try:
        code = process.wait(timeout=START_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        pytest.fail(f"still running with a bad configuration; log:\n{(tmp_path / 'tokend.log').read_text()}")
    log = (tmp_path / "tokend.log").read_text()
    assert code != 0 and says in log, log
    assert process.stdout.read() == "", "no URL: it never served"
