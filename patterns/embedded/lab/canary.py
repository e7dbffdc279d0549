"""A new model version released as a canary on the running embedded system behind its balancer.

What practitioners do with replicas behind a load balancer: the new version's app environment is
built the way the rolling update builds it, ONE extra replica starts on it and joins the balancer's
rotation with a small weight (Caddy's weighted round robin: about `CANARY_SHARE` of the requests).
Every replica counts its answers and those the plausibility rule flags (GET /status, `answers`);
this deploy script polls the canary's. Its first flagged answer takes it out of the rotation at once
and stops it (aborted): the users who got the answers it gave got them, that is what a canary
costs. Live `watch_s` with at least `MIN_ANSWERS` unflagged answers, the version is promoted by the
ordinary rolling update and the canary stopped after it. The balancer's own count of the requests
it took over the same time (its metrics) gives the canary's share.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from patterns import http
from patterns.launch.guards import CANARY, GuardReport

from ..deploy import app_env

CANARY_SHARE = 0.05
MIN_ANSWERS = 3
POLL_S = 0.02
PATIENCE = 10  # without MIN_ANSWERS after PATIENCE * watch_s, the canary stops: too little traffic to judge
ENVIRONMENT = "canary"  # the canary replica's own app environment: the new version's build


def canary_weights(replicas: int, share: float = CANARY_SHARE) -> list[int]:
    """Caddy's weights for `replicas` serving replicas and the canary last, at weight 1: each
    serving replica gets the whole number closest to (1 - share) / (share * replicas)."""
    return [max(1, round((1 - share) / (share * replicas)))] * replicas + [1]


def release_canary(system, version: str, watch_s: float, while_live: Callable[[], None] | None) -> GuardReport:
    """Release `version` as a canary replica on `system` (an EmbeddedSystem behind its balancer) and decide."""
    name = f"{system.front_name}-{CANARY}"
    system.deploy(version, (ENVIRONMENT,), once=True)
    try:
        replica = system.launch(system.replica(name, ENVIRONMENT))
        try:
            return _watched(system, replica, version, watch_s, while_live)
        finally:
            system.components.pop(name).stop()
    finally:
        shutil.rmtree(app_env(system.workdir, ENVIRONMENT), ignore_errors=True)


def _watched(system, replica, version: str, watch_s: float, while_live) -> GuardReport:
    balancer = system.balancer
    serving = system.replica_ports()
    # both counts from here to the decision: the canary's own before it joins (its first /status is
    # slow: it sizes the installed distributions), the balancer's after (it counts again at each config)
    answered_before = (_answers(replica) or {}).get("answered", 0)
    balancer.route_to([*serving, replica.port], canary_weights(len(serving)))
    joined = time.monotonic()
    taken_before = balancer.requests_taken()
    weights = balancer.selection_policy()["weights"]
    with ThreadPoolExecutor(max_workers=1) as beside:  # what the guard costs is measured without delaying its watch
        measured = beside.submit(while_live) if while_live else None
        counts, decided_after_s = _watch(replica, watch_s, joined)
        taken, answered = balancer.requests_taken() - taken_before, counts["answered"] - answered_before
        balancer.route_to(serving)  # out of the rotation: promoted or not, the serving replicas answer now
        live_s = time.monotonic() - joined
        if measured:
            measured.result()
    counts = _answers(replica) or counts  # with the answers it was giving as it left
    reason = counts["first_flag"] or counts.get("problem") or (
        None if counts["answered"] >= MIN_ANSWERS else f"only {counts['answered']} canary answers in {live_s:.1f} s")
    observed = {**counts, "replica": replica.name, "weights": weights, "share_set": weights[-1] / sum(weights),
                "balancer_requests": taken, "share": answered / taken if taken else None, "live_s": live_s}
    setting = (f"one extra replica {replica.name} on {version} joined Caddy's weighted round robin at weight "
               f"{weights[-1]} of {sum(weights)} ({observed['share_set']:.1%} of the requests); the deploy script "
               "polled the replica's own count of the answers the plausibility rule flagged")
    if reason:
        return GuardReport(
            guard=CANARY, version=version, outcome="aborted", reason=reason, decided_after_s=decided_after_s,
            live_s=live_s, strategy=f"canary: {setting}, and took it out of the rotation and stopped it "
                                    f"after {counts['answered']} answer(s) ({reason})",
            started=(replica.name,), observed=observed)
    promotion = system.update_model(version)
    observed |= {"promotion": promotion.strategy, "serving_after": system.replica_versions()}
    return GuardReport(
        guard=CANARY, version=version, outcome="promoted", reason=None, decided_after_s=decided_after_s,
        live_s=live_s, strategy=f"canary: {setting}; none in {counts['answered']} answers over {live_s:.1f} s, so "
                                f"{version} was promoted by the rolling update and the canary stopped",
        started=(replica.name,), observed=observed)


def _watch(replica, watch_s: float, joined: float) -> tuple[dict, float]:
    """The canary's counts once decided (a flagged answer, no answer, or live long enough with
    enough answers, or `PATIENCE * watch_s` without them), and seconds from joining to that."""
    while True:
        counts = _answers(replica) or {"answered": 0, "flagged": 0, "first_flag": None,
                                       "problem": f"{replica.name} stopped answering its /status"}
        live_s = time.monotonic() - joined
        if counts["flagged"] or "problem" in counts or (
                live_s >= watch_s and counts["answered"] >= MIN_ANSWERS) or live_s >= PATIENCE * watch_s:
            return counts, live_s
        time.sleep(POLL_S)


def _answers(replica) -> dict | None:
    """The replica's own counts of its answers (GET /status), None when it gives none."""
    try:
        return http.call_json("GET", replica.url + "/status", timeout=2)["answers"]
    except (http.NoAnswer, http.BadStatus, KeyError, ValueError):
        return None
