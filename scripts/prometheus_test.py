"""A real Prometheus (Debian's `prometheus`) scraping a live `tokend serve --ephemeral --port 0`
every second: PromQL over what it scraped returns exactly the creates and verifies this test
caused (verifies by status, by outcome, by region); every query of docs/grafana-dashboard.json
is valid PromQL to it and finds data; the alerting rules of docs/prometheus-alerts.yml load and
evaluate in it, pass `promtool check rules` and their unit tests
(`promtool test rules docs/prometheus-alerts.test.yml`). The dashboard and the rules use only
metrics docs/metrics.md documents, and the dashboard shows every one of them.

    .venv/bin/python -m pytest -q scripts/prometheus_test.py
        TOKEND_BINARY: tokend; PROMETHEUS, PROMTOOL: other binaries than those on PATH

A missing prometheus or promtool fails the suite (it is no reason to skip): scripts/system-packages
installs Debian's `prometheus`, which has both.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import requests

from ephemeral_test import first_line, start, stop
from harness import HarnessError, ManagedProcess, free_port
from harness.processes import REPO_ROOT
from harness.readiness import wait_until, wait_until_answering

DOCS = REPO_ROOT / "docs"
RULES = DOCS / "prometheus-alerts.yml"
RULE_TESTS = DOCS / "prometheus-alerts.test.yml"
DASHBOARD = DOCS / "grafana-dashboard.json"
METRICS_DOC = DOCS / "metrics.md"

JOB = "tokend"  # the job name docs/prometheus-alerts.yml assumes
PROJECT = str(uuid.uuid4())
OTHER_TENANT = str(uuid.uuid4())
TIMEOUT_S = 30.0         # one HTTP request, a process start, a wait for scrapes: generous, bounded
PROMTOOL_TIMEOUT_S = 60.0
PORT_ATTEMPTS = 3


def tool(name: str) -> str:
    """The binary `name` (the upper-cased variable, else PATH, else /usr/bin): a failure, never a
    skip, when there is none."""
    binary = os.environ.get(name.upper()) or shutil.which(name) or f"/usr/bin/{name}"
    if not os.access(binary, os.X_OK):
        pytest.fail(f"{name} not found ({binary}): install Debian's `prometheus` package "
                    f"(scripts/system-packages does, as root) or set {name.upper()}", pytrace=False)
    return binary


class Prometheus(ManagedProcess):
    """prometheus on a free loopback port, its config and TSDB in `folder`, scraping `target`
    (host:port) every second as job `tokend` and evaluating docs/prometheus-alerts.yml every
    second."""

    label = "prometheus"

    def __init__(self, binary: str, folder: Path, target: str):
        super().__init__("prometheus", folder / "prometheus.log", port=free_port(), stop_timeout=10.0)
        self.binary = binary
        self.folder = folder
        self.config = folder / "prometheus.yml"
        self.config.write_text(json.dumps({  # JSON is YAML
            "global": {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"},
            "rule_files": [str(RULES)],
            "scrape_configs": [{"job_name": JOB, "static_configs": [{"targets": [target]}]}],
        }, indent=2))

    def command(self) -> list[str]:
        return [self.binary, f"--config.file={self.config}", f"--storage.tsdb.path={self.folder / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{self.port}", "--log.level=info"]

    def start(self) -> "Prometheus":
        # The free port can be taken before prometheus binds it: then try another one.
        for _ in range(PORT_ATTEMPTS):
            self.spawn()
            try:
                wait_until_answering(f"{self.url}/-/ready", process=self, timeout=TIMEOUT_S, interval=0.1)
                return self
            except HarnessError:
                if self.is_running() or "address already in use" not in self.log_text(tail=None, since_start=True):
                    self.kill()
                    raise
                self.port = free_port()
        raise self.failure("could not bind a free port")

    def get(self, path: str, **params) -> dict:
        """One API call that must succeed: its `data`."""
        answer = requests.get(f"{self.url}{path}", params=params, timeout=TIMEOUT_S)
        body = answer.json()
        assert answer.status_code == 200 and body.get("status") == "success", \
            f"GET {path} {params}: HTTP {answer.status_code} {body}"
        return body["data"]

    def query(self, expr: str, at: float | None = None) -> list[dict]:
        """An instant query (at `at`, else now): its vector, [{"metric": {...}, "value": [t, "v"]}]."""
        params = {"query": expr, **({"time": f"{at:.3f}"} if at is not None else {})}
        data = self.get("/api/v1/query", **params)
        assert data["resultType"] == "vector", f"{expr}: {data}"
        return data["result"]

    def values(self, expr: str, by: tuple[str, ...], at: float | None = None) -> dict:
        """The query's values keyed by the `by` labels' values (one label: the value alone; an
        empty label, which Prometheus drops, is "")."""
        out = {}
        for sample in self.query(expr, at):
            key = tuple(sample["metric"].get(label, "") for label in by)
            out[key[0] if len(by) == 1 else key] = float(sample["value"][1])
        return out


@pytest.fixture(scope="module")
def tokend(tmp_path_factory):
    """README's fixture command, open mode: its URL."""
    folder, logs = tmp_path_factory.mktemp("tokend"), tmp_path_factory.mktemp("tokend-logs")
    process = start(folder, logs / "tokend.log")
    try:
        yield first_line(process, logs / "tokend.log")
    finally:
        stop(process)


@pytest.fixture(scope="module")
def prometheus(tokend, tmp_path_factory):
    server = Prometheus(tool("prometheus"), tmp_path_factory.mktemp("prometheus"), tokend.removeprefix("http://"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def scraped_after(prometheus: Prometheus, moment: float) -> float:
    """Waits until every tokend_verify_total series (they all exist from tokend's start) has a
    sample from a scrape that began after `moment`, and returns that scrape's timestamp: a
    query at that time sees one whole scrape, taken after everything before `moment`."""
    def check():
        found = prometheus.values(f'min(timestamp(tokend_verify_total{{job="{JOB}"}}))', ())
        stamp = found.get((), None)
        return (stamp is not None and stamp > moment), stamp

    return wait_until(check, process=prometheus, timeout=TIMEOUT_S, interval=0.1,
                      expected="no scrape of tokend after the traffic")


# ---------------------------------------------------------------- the traffic, and what it must count


def create(url: str, region: str) -> dict:
    answer = requests.post(f"{url}/cockpit/v1/regions/{region}/tokens", timeout=TIMEOUT_S,
                           headers={"X-Auth-Token": "anything"},
                           json={"project_id": PROJECT, "token_scopes": ["read_only_metrics"]})
    assert answer.status_code == 200, f"create in {region}: {answer.status_code} {answer.text[:300]}"
    return answer.json()


def verify(url: str, secret: str, tenant: str | None, expected: int) -> None:
    """A metrics query's forward-auth check, as nginx asks it; its status must be `expected`."""
    headers = {"Authorization": f"Bearer {secret}", "X-Original-URI": "/prometheus/api/v1/query",
               "X-Original-Method": "GET", **({"X-Scope-OrgID": tenant} if tenant else {})}
    answer = requests.get(f"{url}/_tokend/verify", headers=headers, timeout=TIMEOUT_S)
    assert answer.status_code == expected, f"verify (tenant {tenant}): {answer.status_code} {answer.text[:300]}"


# What the traffic below causes, as tokend must count it.
VERIFY_BY_STATUS = {"200": 4, "403": 2, "401": 3, "400": 1}
VERIFY_BY_REGION_AND_STATUS = {("fr-par", "200"): 3, ("nl-ams", "200"): 1, ("fr-par", "403"): 2,
                               ("fr-par", "401"): 2, ("fr-par", "400"): 1,
                               ("", "401"): 1}  # no region in the secret: refused by the front door
OUTCOMES = {"allowed": 4, "tenant": 2, "unknown": 2, "tenant_header": 1}
ALLOWED_BY_REGION = {"fr-par": 3, "nl-ams": 1, "pl-waw": 0}
VERIFIES = sum(VERIFY_BY_STATUS.values())


@pytest.fixture(scope="module")
def scrape(tokend, prometheus) -> float:
    """Once Prometheus scrapes tokend: 3 creates, 1 delete and 10 verifies, each status checked
    live; then the timestamp of a scrape taken after all of them."""
    wait_until(lambda: (bool(prometheus.query(f'up{{job="{JOB}"}} == 1')), "tokend not scraped yet"),
               process=prometheus, timeout=TIMEOUT_S, interval=0.1, expected="no successful scrape of tokend")

    kept, deleted, amsterdam = create(tokend, "fr-par"), create(tokend, "fr-par"), create(tokend, "nl-ams")
    answer = requests.delete(f"{tokend}/cockpit/v1/regions/fr-par/tokens/{deleted['id']}",
                             headers={"X-Auth-Token": "anything"}, timeout=TIMEOUT_S)
    assert answer.status_code == 204, answer.text
    for _ in range(3):
        verify(tokend, kept["secret_key"], PROJECT, 200)
    verify(tokend, amsterdam["secret_key"], PROJECT, 200)
    for _ in range(2):
        verify(tokend, kept["secret_key"], OTHER_TENANT, 403)      # tenant: another tenant's credential
    for _ in range(2):
        verify(tokend, deleted["secret_key"], PROJECT, 401)        # unknown: well-formed, deleted
    verify(tokend, kept["secret_key"], None, 400)                  # tenant_header: no X-Scope-OrgID
    verify(tokend, "not-a-secret", PROJECT, 401)                   # names no region
    return scraped_after(prometheus, time.time())


def test_promql_counts_the_verifies_by_status_outcome_and_region(prometheus, scrape):
    assert prometheus.values('sum by (status) (tokend_http_requests_total{route="/_tokend/verify"})',
                             ("status",), scrape) == VERIFY_BY_STATUS
    assert prometheus.values('sum by (region, status) (tokend_http_requests_total{route="/_tokend/verify"})',
                             ("region", "status"), scrape) == VERIFY_BY_REGION_AND_STATUS
    assert prometheus.values('sum by (dialect) (tokend_http_requests_total{route="/_tokend/verify"})',
                             ("dialect",), scrape) == {"data_plane": VERIFIES}

    # Every documented outcome is there, at 0 unless this test caused it.
    documented = set(re.findall(r"^\| `([a-z_]+)` \| \d{3} \|", METRICS_DOC.read_text(), re.M))
    assert "allowed" in documented and "rate_limited" in documented, "docs/metrics.md's outcome table moved"
    outcomes = prometheus.values("sum by (outcome) (tokend_verify_total)", ("outcome",), scrape)
    assert outcomes == {outcome: OUTCOMES.get(outcome, 0) for outcome in documented}
    assert prometheus.values('sum by (region) (tokend_verify_total{outcome="allowed"})', ("region",),
                             scrape) == ALLOWED_BY_REGION

    # The histogram counts what the counter counts.
    assert prometheus.values('sum(tokend_http_request_duration_seconds_count{route="/_tokend/verify"})',
                             (), scrape) == {(): VERIFIES}
    assert prometheus.values('sum(tokend_http_request_duration_seconds_bucket{route="/_tokend/verify", le="+Inf"})',
                             (), scrape) == {(): VERIFIES}

    # Each cache miss is one credential lookup in the store; the repeated verifies hit.
    cache = prometheus.values("sum by (result) (tokend_credential_cache_lookups_total)", ("result",), scrape)
    assert set(cache) == {"hit", "miss"} and cache["hit"] >= 1 and cache["miss"] >= 2, cache
    lookups = prometheus.values('sum(tokend_store_operation_duration_seconds_count{operation="credential"})',
                                (), scrape)
    assert lookups == {(): cache["miss"]}


def test_promql_counts_the_creates_deletes_and_their_store_operations(prometheus, scrape):
    creates = prometheus.query('tokend_http_requests_total{dialect="cockpit", method="POST", status="200"}', scrape)
    assert sorted((s["metric"]["region"], s["metric"]["route"], s["value"][1]) for s in creates) == [
        ("fr-par", "/cockpit/v1/regions/fr-par/tokens", "2"),
        ("nl-ams", "/cockpit/v1/regions/nl-ams/tokens", "1")]
    assert all(s["metric"]["job"] == JOB for s in creates)
    assert prometheus.values('sum by (route, status) (tokend_http_requests_total{dialect="cockpit", method="DELETE"})',
                             ("route", "status"), scrape) == {("/cockpit/v1/regions/fr-par/tokens/{token_id}", "204"): 1}
    assert prometheus.values('sum by (region, operation) (tokend_store_operation_duration_seconds_count'
                             '{operation=~"create_token|delete_token"}) > 0', ("region", "operation"), scrape) == {
        ("fr-par", "create_token"): 2, ("nl-ams", "create_token"): 1, ("fr-par", "delete_token"): 1}
    assert prometheus.values("sum(tokend_store_errors_total)", (), scrape) == {(): 0}
    assert prometheus.values(f'up{{job="{JOB}"}}', (), scrape) == {(): 1}


# ---------------------------------------------------------------- the dashboard


def dashboard() -> dict:
    return json.loads(DASHBOARD.read_text())


def panels(board: dict) -> list[dict]:
    """Every panel, those inside collapsed rows too."""
    out = []
    for panel in board["panels"]:
        out.append(panel)
        out.extend(panel.get("panels", []))
    return out


def dashboard_exprs(board: dict) -> list[tuple[str, str]]:
    return [(panel["title"], target["expr"]) for panel in panels(board) for target in panel.get("targets", [])]


def substituted(expr: str) -> str:
    """Grafana's variables as a query of every value would have them."""
    expr = re.sub(r"\$__rate_interval|\$\{__rate_interval\}", "1m", expr)
    expr = re.sub(r"\$__interval|\$\{__interval\}", "15s", expr)
    expr = re.sub(r"\$__range|\$\{__range\}", "1h", expr)
    return re.sub(r"\$\{\w+(?::\w+)?\}|\$\w+", ".*", expr)


def test_the_dashboard_is_a_grafana_dashboard_over_a_datasource_variable():
    board = dashboard()
    assert 36 <= board["schemaVersion"] <= 39
    variables = {v["name"]: v for v in board["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource" and variables["datasource"]["query"] == "prometheus"
    # Every served region from the start (a local one's verify counters exist at 0; a gateway's
    # remote ones from their first exchange), not only those with traffic yet.
    assert variables["region"]["definition"] == \
        'label_values({__name__=~"tokend_verify_total|tokend_upstream_duration_seconds_count"}, region)'

    ids = [panel["id"] for panel in panels(board)]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    for panel in panels(board):
        if panel["type"] != "row":
            assert panel["targets"], f"panel {panel['title']!r} has no query"
            assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]


def test_every_dashboard_query_is_valid_promql_to_the_live_prometheus_and_finds_data(prometheus, scrape):
    # A rate() over the verify series needs two of their samples: wait for the second scrape.
    wait_until(lambda: (bool(prometheus.query('min(count_over_time(tokend_http_requests_total'
                                              '{route="/_tokend/verify"}[1m])) >= 2')), "one sample"),
               process=prometheus, timeout=TIMEOUT_S, interval=0.1, expected="no second scrape after the traffic")
    empty = []
    for title, expr in dashboard_exprs(dashboard()):
        query = substituted(expr)
        answer = requests.get(f"{prometheus.url}/api/v1/query", params={"query": query}, timeout=TIMEOUT_S)
        body = answer.json()
        assert answer.status_code == 200 and body["status"] == "success", \
            f"panel {title!r}: {query}\n  → HTTP {answer.status_code} {body.get('errorType')}: {body.get('error')}"
        # A serve process has no remote region: only the gateway panels may be empty.
        if not body["data"]["result"] and "tokend_upstream_" not in query:
            empty.append(f"{title}: {query}")
    assert not empty, "queries that found nothing:\n" + "\n".join(empty)

    # The variables, as Grafana's label_values() asks for them.
    variables = {v["name"]: v["definition"] for v in dashboard()["templating"]["list"] if v["type"] == "query"}
    found = {}
    for name, definition in variables.items():
        match = re.fullmatch(r"label_values\((.+), (\w+)\)", definition)
        assert match, f"variable {name}: {definition}"
        found[name] = prometheus.get(f"/api/v1/label/{match[2]}/values", **{"match[]": substituted(match[1])})
    assert found == {"job": [JOB], "instance": [prometheus.query("up")[0]["metric"]["instance"]],
                     "region": ["fr-par", "nl-ams", "pl-waw"]}


# ---------------------------------------------------------------- the alerting rules


def alert_names() -> list[str]:
    return re.findall(r"^\s*- alert: (\w+)\s*$", RULES.read_text(), re.M)


def test_promtool_checks_the_alerting_rules():
    result = subprocess.run([tool("promtool"), "check", "rules", str(RULES)], capture_output=True, text=True,
                            timeout=PROMTOOL_TIMEOUT_S)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(alert_names())} rules found" in result.stdout + result.stderr


def test_the_alerting_rules_pass_their_promtool_unit_tests():
    result = subprocess.run([tool("promtool"), "test", "rules", str(RULE_TESTS)], capture_output=True, text=True,
                            timeout=PROMTOOL_TIMEOUT_S)
    assert result.returncode == 0, result.stdout + result.stderr
    tested = set(re.findall(r"alertname: (\w+)", RULE_TESTS.read_text()))
    assert tested == set(alert_names()), "every alert has its unit test"


def test_the_live_prometheus_evaluates_every_rule_and_nothing_fires(prometheus, scrape):
    def evaluated():
        rules = [rule for group in prometheus.get("/api/v1/rules")["groups"] for rule in group["rules"]]
        broken = [(r["name"], r.get("lastError")) for r in rules if r["health"] == "err"]
        assert not broken, f"rules failing to evaluate: {broken}"
        return bool(rules) and all(r["health"] == "ok" for r in rules), rules

    rules = wait_until(evaluated, process=prometheus, timeout=TIMEOUT_S, interval=0.1,
                       expected="the rules were not all evaluated")
    assert sorted(r["name"] for r in rules) == sorted(alert_names())
    states = {r["name"]: r["state"] for r in rules}
    assert states["TokendDown"] == states["TokendAbsent"] == "inactive", states
    assert "firing" not in states.values(), states


# ---------------------------------------------------------------- the contract


def documented_metrics() -> tuple[set[str], set[str]]:
    """docs/metrics.md's metric names, and those of them that are histograms."""
    text = METRICS_DOC.read_text()
    names = set(re.findall(r"`((?:tokend|process)_[a-z_]+)`", text))
    histograms = set(re.findall(r"^\| `(tokend_[a-z_]+)` \| histogram \|", text, re.M))
    return names, histograms


def metrics_used(text: str, histograms: set[str]) -> set[str]:
    used = set()
    for name in re.findall(r"\b((?:tokend|process)_[a-z_]+)", text):
        base = re.sub(r"_(bucket|sum|count)$", "", name)
        used.add(base if base in histograms else name)
    return used


def test_the_dashboard_and_the_rules_use_documented_metrics_and_the_dashboard_shows_them_all():
    documented, histograms = documented_metrics()
    assert "tokend_http_requests_total" in documented and "tokend_upstream_duration_seconds" in histograms
    in_dashboard = metrics_used(" ".join(expr for _, expr in dashboard_exprs(dashboard())), histograms)
    in_rules = metrics_used(RULES.read_text(), histograms)
    assert in_dashboard - documented == set(), "the dashboard uses undocumented metrics"
    assert in_rules - documented == set(), "the rules use undocumented metrics"
    assert documented - in_dashboard == set(), "documented metrics the dashboard does not show"
