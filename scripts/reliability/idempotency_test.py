"""Item 3, idempotent create: the same Idempotency-Key sent at once from several threads
makes one token (one answer carries its secret, the others replay it without), another body
with that key is a 409, and a restart does not forget the key."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

from tokend_http import REGIONS, Api, assert_contract


def race(api: Api, threads: int, region: str, project: str, key: str, name: str):
    """`threads` identical creates released together; returns their answers."""
    start = threading.Barrier(threads)

    def one(_):
        start.wait(timeout=10)
        return api.create(region, project, name, idempotency_key=key)

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(one, range(threads)))


def test_concurrent_retries_make_one_token(serve, profile, figures):
    server = serve("idempotency")
    api = Api(server.port)
    project = str(uuid.uuid4())
    conflicts = replays = 0
    keys = []
    for round_number in range(profile.idempotency_rounds):
        region, key, name = REGIONS[round_number % 3], f"key-{uuid.uuid4()}", f"idem-{round_number}"
        keys.append((region, key, name))
        answers = [assert_contract(a) for a in race(api, profile.idempotency_threads, region, project, key, name)]
        assert [a.status for a in answers] == [200] * len(answers), [str(a) for a in answers if a.status != 200]
        assert len({a.json["id"] for a in answers}) == 1, f"round {round_number}: several tokens for one key"
        secrets = [a.json["secret_key"] for a in answers if a.json["secret_key"] is not None]
        assert len(secrets) == 1, f"round {round_number}: {len(secrets)} answers carry a secret, expected exactly 1"
        replayed = [a for a in answers if a.headers.get("idempotent-replayed") == "true"]
        assert len(replayed) == len(answers) - 1, f"round {round_number}: {len(replayed)} marked replayed"
        replays += len(replayed)
        token_id = answers[0].json["id"]
        assert api.verify(secrets[0], project).status == 200

        other = api.create(region, project, name + "-other", idempotency_key=key)
        assert assert_contract(other).status == 409 and other.json["type"] == "conflict", other
        conflicts += 1
        total, listed = api.list_all(region, project_id=project, page_size=1000)
        assert [t["id"] for t in listed if t["name"].startswith(name)] == [token_id], \
            f"round {round_number}: tokens named {name}*: {[t['id'] for t in listed if t['name'].startswith(name)]}"

    # The keys are in the store: after a restart a retry answers the same token, another body still conflicts.
    server.restart()
    region, key, name = keys[0]
    again = assert_contract(api.create(region, project, name, idempotency_key=key))
    assert again.status == 200 and again.json["secret_key"] is None and again.json["name"] == name, again
    assert api.create(region, project, name + "-other", idempotency_key=key).status == 409
    assert sum(api.counts().values()) == profile.idempotency_rounds

    # A retry once the token is deleted must not mint a second one silently: 409.
    assert api.delete(region, again.json["id"]).status == 204
    gone = assert_contract(api.create(region, project, name, idempotency_key=key))
    assert gone.status == 409 and gone.json["type"] == "conflict", gone
    assert sum(api.counts().values()) == profile.idempotency_rounds - 1
    figures("idempotency", f"{profile.idempotency_rounds} rounds of {profile.idempotency_threads} simultaneous "
            f"retries: 1 token each, {replays} replays, {conflicts} conflicts (409), keys kept across a restart")



def test_one_key_two_bodies_at_once(serve, profile):
    """Half the threads send one body, half another, with the same key at the same moment:
    the body that wins gets one token (200s), every request of the other body a 409."""
    api = Api(serve("idempotency-bodies").port)
    project = str(uuid.uuid4())
    threads = profile.idempotency_threads
    for round_number in range(profile.idempotency_rounds):
        key, start = f"split-{uuid.uuid4()}", threading.Barrier(threads)

        def one(n):
            start.wait(timeout=10)
            return n % 2, api.create("fr-par", project, f"split-{round_number}-{n % 2}", idempotency_key=key)

        with ThreadPoolExecutor(threads) as pool:
            answers = [(body, assert_contract(answer)) for body, answer in pool.map(one, range(threads))]
        winners = {body for body, answer in answers if answer.status == 200}
        assert len(winners) == 1, f"round {round_number}: bodies answered 200: {winners}"
        for body, answer in answers:
            assert answer.status == (200 if body in winners else 409), f"round {round_number}, body {body}: {answer}"
        assert len({a.json["id"] for _, a in answers if a.status == 200}) == 1
    assert api.count("fr-par") == profile.idempotency_rounds
