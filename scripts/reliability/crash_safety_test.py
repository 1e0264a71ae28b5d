"""Item 1, crash safety: clients create, rotate and delete while the server is SIGKILLed at
random moments and restarted on the same data dir. Afterwards, every answered write holds:
a create answered 200 exists and its latest answered secret verifies, every secret it was
rotated away from is refused, a delete answered 204 is gone. A write whose answer was lost
in the kill may have happened or not, but consistently. Each crash image (db, wal and shm as
the kill left them) and the final store pass `PRAGMA integrity_check`. On the PostgreSQL
store (scripts/with-postgres) there are no files to image or check: the rest holds as it is.
"""

from __future__ import annotations

import http.client
import random
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from store_files import copy_store, integrity
from tokend_http import REGIONS, Api, NotSent, contract_problem

RUN_BEFORE_KILL_S = (0.3, 1.5)  # the random moment of each kill, after the (re)start
RUN_AFTER_LAST_RESTART_S = 1.0
REFUSED, LOST, BAD = object(), object(), object()  # what `Worker.attempt` answers instead of an Answer


@dataclass
class Tracked:
    """One token as its creator saw it."""
    region: str
    id: str
    name: str
    secrets: list[str]           # every secret answered 200, the last one current
    rotate_in_doubt: bool = False  # a rotate lost its answer after the last answered one
    deleted: str = "no"          # "no", "yes" (204) or "in doubt" (answer lost)


@dataclass
class Tally:
    sent: int = 0
    refused: int = 0             # connection refused: the server was down, nothing was sent
    lost_answers: Counter = field(default_factory=Counter)  # by operation: sent, connection died
    lost_errors: Counter = field(default_factory=Counter)   # by exception type
    statuses: Counter = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)  # contract breaches and impossible answers


class Worker:
    """One client: it creates its own tokens, then rotates and deletes only those, so what
    each token should be after the kills depends on this client's answers alone."""

    def __init__(self, number: int, api: Api, project: str, stop: threading.Event):
        self.number, self.api, self.project, self.stop = number, api, project, stop
        self.random = random.Random(number)
        self.tally = Tally()
        self.live: list[Tracked] = []       # tokens this worker may still rotate or delete
        self.tracked: list[Tracked] = []
        self.creates_in_doubt: dict[str, str] = {}  # name -> region
        self.counter = 0

    def run(self) -> "Worker":
        while not self.stop.is_set():
            choice = self.random.random()
            if choice < 0.5 or len(self.live) < 3:
                self.create()
            elif choice < 0.8:
                self.rotate(self.random.choice(self.live))
            else:
                self.delete(self.random.choice(self.live))
        return self

    def attempt(self, operation: str, call):
        """The answer; REFUSED when the server was down (nothing was sent); LOST when the
        connection died with the request in it (it may or may not have run)."""
        try:
            answer = call()
        except NotSent:
            self.tally.refused += 1
            time.sleep(0.02)  # the server is restarting: do not spin
            return REFUSED
        except (OSError, http.client.HTTPException) as error:
            self.tally.sent += 1
            if isinstance(error, TimeoutError):
                self.tally.problems.append(f"{operation}: no answer within {self.api.timeout} s (a hang)")
            self.tally.lost_answers[operation] += 1
            self.tally.lost_errors[type(error).__name__] += 1
            return LOST
        self.tally.sent += 1
        self.tally.statuses[answer.status] += 1
        problem = contract_problem(answer)
        if problem:
            self.tally.problems.append(f"{operation}: {problem}")
            return BAD  # already a failure; the token's expected state is left as it was
        return answer

    def create(self) -> None:
        self.counter += 1
        name, region = f"crash-w{self.number}-{self.counter}", self.random.choice(REGIONS)
        answer = self.attempt("create", lambda: self.api.create(region, self.project, name))
        if answer is LOST:
            self.creates_in_doubt[name] = region
        elif answer in (REFUSED, BAD):
            pass
        elif answer.status == 200:
            token = Tracked(region, answer.json["id"], name, [answer.json["secret_key"]])
            self.live.append(token)
            self.tracked.append(token)
        else:
            self.tally.problems.append(f"create {name}: {answer}")

    def rotate(self, token: Tracked) -> None:
        answer = self.attempt("rotate", lambda: self.api.rotate(token.region, token.id))
        if answer is LOST:
            token.rotate_in_doubt = True
        elif answer in (REFUSED, BAD):
            pass
        elif answer.status == 200:
            token.secrets.append(answer.json["secret_key"])
            token.rotate_in_doubt = False
        else:
            self.unexpected("rotate", token, answer)

    def delete(self, token: Tracked) -> None:
        answer = self.attempt("delete", lambda: self.api.delete(token.region, token.id))
        if answer in (REFUSED, BAD):
            return  # nothing happened (or the test fails anyway): the token stays live
        if answer is LOST:
            token.deleted = "in doubt"
        elif answer.status == 204:
            token.deleted = "yes"
        else:
            self.unexpected("delete", token, answer)
        self.live.remove(token)

    def unexpected(self, operation: str, token: Tracked, answer) -> None:
        # A 404 is a token this client created (200) and never deleted: lost.
        what = "LOST" if answer.status == 404 else "unexpected answer"
        self.tally.problems.append(f"{what}: {operation} {token.id} ({token.name}): {answer}")


def check_token(api: Api, project: str, token: Tracked) -> list[str]:
    """What is wrong with one token after the kills (empty when it is as its answers say)."""
    problems = []
    got = api.get(token.region, token.id)
    exists = got.status == 200
    if got.status not in (200, 404):
        return [f"get {token.id}: {got}"]
    if token.deleted == "yes" and exists:
        problems.append(f"{token.id} ({token.name}) was deleted (204) but is back")
    if token.deleted == "no" and not exists:
        problems.append(f"LOST {token.id} ({token.name}): created (200), never deleted, now 404")
    *old, current = token.secrets
    verdict = api.verify(current, project).status
    if not exists and verdict != 401:
        problems.append(f"{token.id} is gone but its secret answers {verdict}")
    if exists and verdict != 200 and not (token.rotate_in_doubt and verdict == 401):
        problems.append(f"LOST secret of {token.id} ({token.name}): latest answered secret verifies {verdict}")
    for secret in old:
        status = api.verify(secret, project).status
        if status != 401:
            problems.append(f"{token.id}: a secret rotated away (answered 200) still verifies {status}")
    return problems


def test_sigkill_under_load_loses_nothing(serve, profile, figures, tmp_path):
    server = serve("crash")
    api = Api(server.port)
    project = str(uuid.uuid4())
    stop = threading.Event()
    workers = [Worker(n, Api(server.port), project, stop) for n in range(profile.crash_clients)]
    chooser = random.Random(2024)
    crash_images = []

    with ThreadPoolExecutor(len(workers)) as pool:
        running = [pool.submit(worker.run) for worker in workers]
        try:
            for kill in range(profile.crash_kills):
                sent_before = sum(w.tally.sent for w in workers)
                time.sleep(chooser.uniform(*RUN_BEFORE_KILL_S))
                assert sum(w.tally.sent for w in workers) > sent_before, "no requests reached the server before a kill"
                server.kill()
                if not server.on_postgresql:
                    image = tmp_path / f"crash-image-{kill}"
                    copy_store(server.data_dir, image)
                    crash_images.append(image)
                server.start()
            time.sleep(RUN_AFTER_LAST_RESTART_S)
        finally:
            stop.set()
        for future in running:
            future.result(timeout=60)  # a worker that raised fails the test here

    tally = Tally()
    for worker in workers:
        tally.sent += worker.tally.sent
        tally.refused += worker.tally.refused
        tally.lost_answers.update(worker.tally.lost_answers)
        tally.lost_errors.update(worker.tally.lost_errors)
        tally.statuses.update(worker.tally.statuses)
        tally.problems += worker.tally.problems
    tracked = [token for worker in workers for token in worker.tracked]
    in_doubt_creates = {name: region for worker in workers for name, region in worker.creates_in_doubt.items()}

    with ThreadPoolExecutor(8) as pool:
        token_problems = [p for problems in pool.map(lambda t: check_token(api, project, t), tracked) for p in problems]

    # Every stored token is one answered 200, or one whose create lost its answer; never twice.
    by_id = {token.id: token for token in tracked}
    listing_problems = []
    for region in REGIONS:
        total, listed = api.list_all(region, page_size=1000, project_id=project)
        names = Counter(token["name"] for token in listed)
        listing_problems += [f"{region}: name {name} stored {count} times" for name, count in names.items() if count > 1]
        for token in listed:
            if token["id"] not in by_id and in_doubt_creates.get(token["name"]) != region:
                listing_problems.append(f"{region}: {token['id']} ({token['name']}) was never created by anyone")
        assert total == len(listed), f"{region}: total_count {total}, paging returned {len(listed)}"
    recovered_in_doubt = sum(1 for t in tracked if t.deleted == "in doubt" and api.get(t.region, t.id).status == 200)

    exit_status = server.terminate_and_wait()
    checks = {} if server.on_postgresql else \
        {f"{region} final": integrity(path) for region, path in server.store_paths().items()}
    for n, image in enumerate(crash_images):
        for region in REGIONS:
            if (image / f"{region}.sqlite").exists():
                checks[f"{region} crash image {n}"] = integrity(image / f"{region}.sqlite")
    broken = {where: verdict for where, verdict in checks.items() if verdict != "ok"}

    lost = [p for p in token_problems + tally.problems if p.startswith("LOST")]
    figures("crash safety", f"kills survived {profile.crash_kills}, requests sent {tally.sent} "
            f"(+{tally.refused} refused while down), answers lost at a kill {sum(tally.lost_answers.values())} "
            f"{dict(tally.lost_answers)} {dict(tally.lost_errors)}, other errors {len(tally.problems)}, tokens tracked {len(tracked)}, "
            f"tokens lost {len(lost)}, in-doubt creates {len(in_doubt_creates)}, "
            f"in-doubt deletes that survived {recovered_in_doubt}, integrity checks {len(checks)} all ok: {not broken}"
            + (" (PostgreSQL store: no files to check)" if server.on_postgresql else ""))

    assert len(tracked) > 10 * profile.crash_kills, f"too little work to mean anything: {len(tracked)} tokens"
    assert not tally.problems, f"{len(tally.problems)} bad answers, first: {tally.problems[:10]}"
    assert not token_problems, f"{len(token_problems)} tokens wrong after the kills, first: {token_problems[:10]}"
    assert not listing_problems, listing_problems[:10]
    assert not broken, broken
    assert exit_status == 0, f"exit status {exit_status} after SIGTERM"
