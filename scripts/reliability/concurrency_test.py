"""Item 2, concurrency: many clients mix create, list, get, delete, rotate and verify on shared
tokens for a bounded time. Every answer must be one the contract allows for that call (never
a 5xx, never a hang past the client timeout). Then, with the writers stopped, paging through
every list (each order_by, with and without a project filter) must return exactly the tokens
still alive, each once, in the promised order, with `total_count` equal to their number.
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

from tokend_http import REGIONS, Api, contract_problem

ORDERS = {  # order_by -> (sort key of a listed token, descending)
    "created_at_asc": (lambda t: (t["created_at"], t["id"]), False),
    "created_at_desc": (lambda t: (t["created_at"], t["id"]), True),
    "name_asc": (lambda t: (t["name"], t["id"]), False),
    "name_desc": (lambda t: (t["name"], t["id"]), True),
}
NAMES = [f"conc-{n}" for n in range(8)]  # few names, so name orders have ties to break by id
ALLOWED = {  # operation -> statuses the contract allows while others race on the same tokens
    "create": {200}, "list": {200}, "get": {200, 404}, "delete": {204, 404},
    "rotate": {200, 404}, "verify": {200, 401},
}
WEIGHTS = {"create": 25, "list": 20, "get": 15, "delete": 10, "rotate": 10, "verify": 20}


class Alive:
    """The tokens alive, id -> [region, project, latest secret], with an O(1) random pick
    (a soak run holds tens of thousands)."""

    def __init__(self):
        self.ids: list[str] = []
        self.index: dict[str, int] = {}
        self.tokens: dict[str, list] = {}

    def add(self, token_id: str, token: list) -> None:
        self.index[token_id] = len(self.ids)
        self.ids.append(token_id)
        self.tokens[token_id] = token

    def remove(self, token_id: str) -> None:
        position = self.index.pop(token_id, None)
        if position is None:
            return
        last = self.ids.pop()
        if last != token_id:  # move the last id into the freed slot
            self.ids[position] = last
            self.index[last] = position
        del self.tokens[token_id]

    def __len__(self) -> int:
        return len(self.ids)


@dataclass
class Shared:
    """What the clients know together, under one lock."""
    lock: threading.Lock = field(default_factory=threading.Lock)
    alive: Alive = field(default_factory=Alive)
    deleted: set[str] = field(default_factory=set)
    statuses: Counter = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    timeouts: int = 0
    latencies: list[float] = field(default_factory=list)

    def pick(self, rng: random.Random):
        with self.lock:
            if not self.alive:
                return None
            token_id = self.alive.ids[rng.randrange(len(self.alive))]
            return token_id, *self.alive.tokens[token_id]


def client(number: int, api: Api, projects: list[str], shared: Shared, stop: threading.Event) -> int:
    rng = random.Random(number)
    operations, weights = zip(*WEIGHTS.items())
    sent = 0
    while not stop.is_set():
        operation = rng.choices(operations, weights)[0]
        picked = shared.pick(rng)
        if operation not in ("create", "list") and picked is None:
            operation = "create"
        region = rng.choice(REGIONS)
        project = rng.choice(projects)
        started = time.monotonic()
        try:
            if operation == "create":
                answer = api.create(region, project, rng.choice(NAMES))
            elif operation == "list":
                query = {"order_by": rng.choice(list(ORDERS)), "page": rng.randint(1, 5), "page_size": rng.choice([1, 10, 100])}
                if rng.random() < 0.5:
                    query["project_id"] = project
                answer = api.list(region, **query)
            elif operation == "verify":
                token_id, region, project, secret = picked
                answer = api.verify(secret, project)
            else:
                token_id, region, project, _ = picked
                answer = {"get": api.get, "delete": api.delete, "rotate": api.rotate}[operation](region, token_id)
        except TimeoutError:
            with shared.lock:
                shared.timeouts += 1
            continue
        except (OSError, http.client.HTTPException) as error:
            with shared.lock:
                shared.problems.append(f"{operation}: connection failed: {error!r}")
            continue
        sent += 1
        elapsed = time.monotonic() - started
        problem = contract_problem(answer)
        if problem is None and answer.status not in ALLOWED[operation]:
            problem = f"{operation}: {answer}"
        if problem is None and operation == "list" and "project_id" in query:
            if any(t["project_id"] != project for t in answer.json["tokens"]):
                problem = f"list filtered by {project} shows another project: {answer}"
        with shared.lock:
            shared.statuses[answer.status] += 1
            shared.latencies.append(elapsed)
            if problem:
                shared.problems.append(problem)
            elif operation == "create":
                shared.alive.add(answer.json["id"], [region, project, answer.json["secret_key"]])
            elif operation == "delete" and answer.status == 204:
                shared.alive.remove(token_id)
                shared.deleted.add(token_id)
            elif operation == "rotate" and answer.status == 200 and token_id in shared.alive.tokens:
                shared.alive.tokens[token_id][2] = answer.json["secret_key"]
    return sent


def page_through(api: Api, region: str, order_by: str, page_size: int, **query) -> tuple[int, list[dict]]:
    """Every page of one list; returns (total_count of page 1, tokens in page order)."""
    first = api.list(region, order_by=order_by, page=1, page_size=page_size, **query)
    assert first.status == 200, first
    total, tokens = first.json["total_count"], list(first.json["tokens"])
    for page in range(2, total // page_size + 3):
        answer = api.list(region, order_by=order_by, page=page, page_size=page_size, **query)
        assert answer.status == 200, answer
        assert answer.json["total_count"] == total, f"total_count moved from {total} to {answer.json['total_count']} with writers stopped"
        tokens += answer.json["tokens"]
    return total, tokens


def test_mixed_load_then_consistent_paging(serve, profile, figures):
    server = serve("concurrency")
    api = Api(server.port)
    projects = [str(uuid.uuid4()), str(uuid.uuid4())]
    shared, stop = Shared(), threading.Event()

    with ThreadPoolExecutor(profile.concurrency_clients) as pool:
        clients = [pool.submit(client, n, Api(server.port), projects, shared, stop) for n in range(profile.concurrency_clients)]
        time.sleep(profile.concurrency_seconds)
        stop.set()
        sent = sum(future.result(timeout=60) for future in clients)

    latencies = sorted(shared.latencies)
    p99 = latencies[int(len(latencies) * 0.99)] if latencies else 0
    five_xx = sum(count for status, count in shared.statuses.items() if status >= 500)
    figures("concurrency", f"{profile.concurrency_clients} clients for {profile.concurrency_seconds:.0f} s: "
            f"requests {sent}, 5xx {five_xx}, timeouts {shared.timeouts}, statuses {dict(sorted(shared.statuses.items()))}, "
            f"latency p99 {p99 * 1000:.0f} ms max {latencies[-1] * 1000 if latencies else 0:.0f} ms, tokens alive {len(shared.alive)}")
    assert sent > 20 * profile.concurrency_clients, f"only {sent} requests: too little load to mean anything"
    assert five_xx == 0, f"{five_xx} 5xx answers: {[p for p in shared.problems if ' 5' in p][:5]}"
    assert shared.timeouts == 0, f"{shared.timeouts} requests had no answer within {api.timeout} s"
    assert not shared.problems, f"{len(shared.problems)} bad answers, first: {shared.problems[:10]}"

    # Writers stopped: every list shows exactly the live tokens, once each, in order.
    paging_problems = []
    for region in REGIONS:
        for project in [None, *projects]:
            expected = {i for i, (r, p, _) in shared.alive.tokens.items() if r == region and (project is None or p == project)}
            page_size = min(1000, max(7, len(expected) // 25))  # about 25 pages, whatever the machine's speed
            query = {"project_id": project} if project else {}
            for order_by, (key, descending) in ORDERS.items():
                where = f"{region} project={project} {order_by} page_size={page_size}"
                total, tokens = page_through(api, region, order_by, page_size, **query)
                ids = [t["id"] for t in tokens]
                twice = [i for i, n in Counter(ids).items() if n > 1]
                if total != len(ids):
                    paging_problems.append(f"{where}: total_count {total}, paging returned {len(ids)}")
                if twice:
                    paging_problems.append(f"{where}: {len(twice)} tokens listed twice, e.g. {twice[:3]}")
                if set(ids) != expected:
                    paging_problems.append(f"{where}: {len(expected - set(ids))} live tokens missing, "
                                           f"{len(set(ids) - expected)} unexpected (deleted: {len(set(ids) & shared.deleted)})")
                if tokens != sorted(tokens, key=key, reverse=descending):
                    paging_problems.append(f"{where}: pages are not in {order_by} order")
    assert not paging_problems, paging_problems[:10]
