"""`tokend serve --ephemeral --port 0`, started exactly as README's fixture starts it, from a
folder of its own (no regions/ there: serve then serves the public API's three regions): the
URL is the one line on standard output, the official SDK works against it, no file is written.

    .venv/bin/python -m pytest -q scripts/ephemeral_test.py      (TOKEND_BINARY: the binary)
"""

import os
import subprocess
import threading
import uuid

import pytest
from scaleway import Client
from scaleway.cockpit.v1 import CockpitV1RegionalAPI

from harness import binary_path

PROJECT = str(uuid.uuid4())
START_TIMEOUT_S = 30


def start(folder, log_path):
    """README's command, run in `folder`; its log (standard error) goes to `log_path`."""
    with open(log_path, "w") as log:
        return subprocess.Popen([str(binary_path()), "serve", "--ephemeral", "--port", "0"],
                                cwd=folder, stdout=subprocess.PIPE, stderr=log, text=True)


def first_line(process, log_path):
    """The URL line, waited for at most START_TIMEOUT_S; the log if it does not come."""
    line = []
    reader = threading.Thread(target=lambda: line.append(process.stdout.readline()), daemon=True)
    reader.start()
    reader.join(START_TIMEOUT_S)
    url = line[0].strip() if line else ""
    if not url.startswith("http://127.0.0.1:"):
        process.kill()
        pytest.fail(f"no URL line within {START_TIMEOUT_S} s (got {url!r}); log:\n{open(log_path).read()}")
    return url


def stop(process):
    process.terminate()
    assert process.wait(timeout=30) == 0
    assert process.stdout.read() == "", "the URL is the only line on standard output"


@pytest.fixture
def tokend(tmp_path_factory):
    folder, logs = tmp_path_factory.mktemp("fixture"), tmp_path_factory.mktemp("logs")
    process = start(folder, logs / "tokend.log")
    try:
        yield first_line(process, logs / "tokend.log"), folder
    finally:
        stop(process)


def api(url):
    return CockpitV1RegionalAPI(Client(access_key="SCWXXXXXXXXXXXXXXXXX", secret_key=str(uuid.uuid4()),
                                       default_project_id=PROJECT, default_region="fr-par", api_url=url))


def test_an_ephemeral_server_on_a_free_port_serves_the_sdk_and_writes_nothing(tokend):
    url, folder = tokend
    token = api(url).create_token(name="ephemeral", token_scopes=["write_only_metrics"])
    assert len(token.secret_key) == 64
    assert [t.id for t in api(url).list_tokens().tokens] == [token.id]
    for region in ("nl-ams", "pl-waw"):
        assert api(url).list_tokens(region=region).total_count == 0
    assert list(folder.iterdir()) == [], "no data folder, no store file, no hash key"


def test_two_ephemeral_servers_share_nothing(tokend, tmp_path_factory):
    url, _ = tokend
    logs = tmp_path_factory.mktemp("other-logs")
    other = start(tmp_path_factory.mktemp("other"), logs / "tokend.log")
    try:
        other_url = first_line(other, logs / "tokend.log")
        assert other_url != url
        api(url).create_token(name="only-here", token_scopes=["read_only_logs"])
        assert api(other_url).list_tokens().total_count == 0
    finally:
        stop(other)


def test_the_environment_configures_what_flags_do_and_flags_win(tmp_path):
    """`TOKEND_EPHEMERAL=1 TOKEND_PORT=0 tokend serve` is `tokend serve --ephemeral --port 0`;
    a flag given on the command line wins over its variable (here the port)."""
    log_path = tmp_path / "tokend.log"
    env = {**os.environ, "TOKEND_EPHEMERAL": "1", "TOKEND_PORT": "1", "TOKEND_LOG_LEVEL": "debug"}
    with open(log_path, "w") as log:
        process = subprocess.Popen([str(binary_path()), "serve", "--port", "0"], cwd=tmp_path, env=env,
                                   stdout=subprocess.PIPE, stderr=log, text=True)
    try:
        url = first_line(process, log_path)
        assert url != "http://127.0.0.1:1", "the --port flag must win over TOKEND_PORT"
        assert api(url).list_tokens(region="fr-par").total_count == 0
    finally:
        stop(process)
    assert os.listdir(tmp_path) == ["tokend.log"], "TOKEND_EPHEMERAL=1 writes no file"
    assert "debug" in open(log_path).read(), "TOKEND_LOG_LEVEL=debug reaches the server"
