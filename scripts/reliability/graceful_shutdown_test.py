"""Item 7, graceful shutdown: SIGTERM while 32 threads hammer creates. Every request that
got an answer got a valid one, the process exits 0 within a few seconds, and the store opens
cleanly (integrity ok) holding every create answered 200, whose secret still verifies. On the
PostgreSQL store (scripts/with-postgres) what is stored is listed through the API once the
server is back, and there is no file to check."""

from __future__ import annotations

import http.client
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from store_files import integrity, stored_token_ids
from tokend_http import REGIONS, Api, NotSent, contract_problem

CLIENTS = 32
LOAD_BEFORE_SIGTERM_S = 1.5
EXIT_WITHIN_S = 5.0
CLIENTS_GIVE_UP_S = 10.0  # after SIGTERM, clients stop once refused, or after this at worst


def hammer(api: Api, project: str, number: int, terminated: threading.Event, results: list, lock: threading.Lock):
    """Creates until the server refuses connections after SIGTERM (or the bound runs out)."""
    deadline = None
    n = 0
    while True:
        if terminated.is_set():
            deadline = deadline or time.monotonic() + CLIENTS_GIVE_UP_S
            if time.monotonic() > deadline:
                return
        n += 1
        region = REGIONS[n % 3]
        after_sigterm = terminated.is_set()
        try:
            answer = api.create(region, project, f"shut-{number}-{n}")
            outcome = ("answered", region, answer, after_sigterm)
        except NotSent:
            if terminated.is_set():
                return
            outcome = ("refused", region, None, after_sigterm)
        except (OSError, http.client.HTTPException) as error:
            outcome = (f"lost: {type(error).__name__}", region, None, after_sigterm)
        with lock:
            results.append(outcome)


def one_round(serve, round_number: int) -> dict:
    server = serve(f"shutdown-{round_number}")
    api, project = Api(server.port), str(uuid.uuid4())
    terminated, lock, results = threading.Event(), threading.Lock(), []
    with ThreadPoolExecutor(CLIENTS) as pool:
        clients = [pool.submit(hammer, api, project, n, terminated, results, lock) for n in range(CLIENTS)]
        time.sleep(LOAD_BEFORE_SIGTERM_S)
        started = time.monotonic()
        server.process.terminate()
        terminated.set()
        try:
            status = server.process.wait(EXIT_WITHIN_S)
        except Exception:  # still running: fail with its log (teardown kills it)
            raise AssertionError(f"still running {EXIT_WITHIN_S} s after SIGTERM\n{server.log_text()}")
        exit_seconds = time.monotonic() - started
        for client in clients:
            client.result(timeout=CLIENTS_GIVE_UP_S + 10)

    answered = [(region, answer, late) for kind, region, answer, late in results if kind == "answered"]
    problems = [contract_problem(a) or (None if a.status == 200 and a.json.get("secret_key") else str(a))
                for _, a, _ in answered]
    created = {region: {a.json["id"]: a.json["secret_key"] for r, a, _ in answered if r == region and a.status == 200}
               for region in REGIONS}
    if server.on_postgresql:
        verdicts = {}
        server.start()
        stored = {region: {t["id"] for t in api.list_all(region, page_size=1000, project_id=project)[1]}
                  for region in REGIONS}
    else:
        verdicts = {region: integrity(path) for region, path in server.store_paths().items()}
        stored = {region: stored_token_ids(path) for region, path in server.store_paths().items()}
    missing = {region: sorted(set(ids) - stored[region]) for region, ids in created.items()}
    # Stored without a 200 answer: a create that ran but whose answer never left.
    unanswered = sum(len(stored[region] - set(ids)) for region, ids in created.items())

    # Back up on the same data dir: the tokens answered 200 are there and their secrets work.
    if not server.is_running():
        server.start()
    sample = [(region, secret) for region, ids in created.items() for secret in list(ids.values())[:20]]
    not_verifying = [secret[:18] for _, secret in sample if api.verify(secret, project).status != 200]
    server.stop()
    return {
        "status": status, "exit_seconds": exit_seconds, "answered": len(answered),
        "answered_after_sigterm": sum(1 for _, _, late in answered if late),
        "statuses": Counter(a.status for _, a, _ in answered),
        "other": Counter(kind for kind, *_ in results if kind != "answered"),
        "problems": [p for p in problems if p], "integrity": verdicts, "postgresql": server.on_postgresql, "missing": missing,
        "not_verifying": not_verifying, "created": sum(map(len, created.values())), "unanswered": unanswered,
    }


def test_sigterm_under_load(serve, profile, figures):
    for round_number in range(profile.shutdown_rounds):
        r = one_round(serve, round_number)
        figures("graceful shutdown", f"round {round_number}: exit {r['status']} after {r['exit_seconds']:.2f} s; "
                f"{r['answered']} answered ({r['answered_after_sigterm']} sent after SIGTERM) {dict(r['statuses'])}, "
                f"not answered {dict(r['other'])}; {r['created']} creates answered 200, missing after restart "
                f"{sum(map(len, r['missing'].values()))}, stored but never answered {r['unanswered']}; integrity {set(r['integrity'].values())}")
        assert r["status"] == 0, f"round {round_number}: exit status {r['status']}"
        assert r["exit_seconds"] < EXIT_WITHIN_S
        assert r["answered"] > CLIENTS, f"round {round_number}: only {r['answered']} answers: no load to shut down under"
        assert not r["problems"], f"round {round_number}: invalid answers: {r['problems'][:5]}"
        if not r["postgresql"]:  # PostgreSQL: no file to check
            assert set(r["integrity"].values()) == {"ok"}, r["integrity"]
        assert not any(r["missing"].values()), f"round {round_number}: answered 200 but not stored: {r['missing']}"
        assert not r["not_verifying"], f"round {round_number}: secrets that no longer verify: {r['not_verifying']}"
