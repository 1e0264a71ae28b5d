"""`tokend serve --ephemeral --port 0`, as a test suite's fixture starts it: the URL is the one
line on standard output, the official SDK works against it, and no file is written.

    .venv/bin/python -m pytest -q scripts/ephemeral_test.py      (TOKEND_BINARY: the binary)
"""

import subprocess
import uuid

import pytest
from scaleway import Client
from scaleway.cockpit.v1 import CockpitV1RegionalAPI

from harness import binary_path
from harness.processes import REPO_ROOT

PROJECT = str(uuid.uuid4())


@pytest.fixture
def tokend(tmp_path):
    """The fixture README shows: start, read the URL from the first line, stop at the end."""
    process = start(tmp_path)
    try:
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), url
        yield url, tmp_path
    finally:
        process.terminate()
        assert process.wait(timeout=30) == 0
    assert process.stdout.read() == "", "the URL is the only line on standard output"


def test_an_ephemeral_server_on_a_free_port_serves_the_sdk_and_writes_nothing(tokend):
    url, folder = tokend
    client = Client(access_key="SCWXXXXXXXXXXXXXXXXX", secret_key=str(uuid.uuid4()), default_project_id=PROJECT,
                    default_region="fr-par", api_url=url)
    api = CockpitV1RegionalAPI(client)
    token = api.create_token(name="ephemeral", token_scopes=["write_only_metrics"])
    assert len(token.secret_key) == 64
    assert [t.id for t in api.list_tokens().tokens] == [token.id]
    assert list(folder.iterdir()) == [], "no data folder, no store file, no hash key"


def start(folder):
    return subprocess.Popen([str(binary_path()), "serve", "--ephemeral", "--port", "0", "--regions", str(REPO_ROOT / "regions")],
                            cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)


def test_two_ephemeral_servers_share_nothing(tokend, tmp_path_factory):
    url, _ = tokend
    other = start(tmp_path_factory.mktemp("other"))
    try:
        other_url = other.stdout.readline().strip()
        assert other_url != url
        def api(base):
            return CockpitV1RegionalAPI(Client(access_key="SCWXXXXXXXXXXXXXXXXX", secret_key=str(uuid.uuid4()),
                                               default_project_id=PROJECT, default_region="fr-par", api_url=base))
        api(url).create_token(name="only-here", token_scopes=["read_only_logs"])
        assert api(other_url).list_tokens().total_count == 0
    finally:
        other.terminate()
        other.wait(timeout=30)
