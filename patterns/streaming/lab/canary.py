"""A new model version released as a canary on the running streaming system: one instance first.

The version goes out as a pin addressed to the last app instance (`web-2` of two; `pin.py`): that
instance serves it, the others skip the message and keep serving. The instance judges each of its
answers by the plausibility rule and counts them (`canary.py`, GET /status `canary`); at its first
flagged answer it goes back by itself to the version it served. This side reads those counts. A
flagged answer (or too few answers after `PATIENCE * watch_s`) aborts it with the system's rollback:
a pin for every instance putting the serving version in place of the canary's build, so an
instance that restarts and reads the topic again ends on the serving version, never on the
canary's. A canary live `watch_s` with at least `MIN_ANSWERS` answers, none flagged, is promoted
with the system's ordinary update, which returns once every instance serves it. Nothing is
started: the canary costs one instance's share of the users, not a process.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from patterns import http
from patterns.launch.guards import CANARY, GuardReport

from ..order import metadata_rank

MIN_ANSWERS = 3
POLL_S = 0.02
PATIENCE = 10  # without MIN_ANSWERS after PATIENCE * watch_s, the canary is aborted: too little traffic to judge
TAKE_TIMEOUT_S = 30.0


def release_canary(system, version: str, watch_s: float, while_live: Callable[[], None] | None) -> GuardReport:
    """Release `version` on the last instance of `system` (a StreamingSystem), watch it, decide."""
    serving, newest = system.publisher.current, system.publisher.newest
    if metadata_rank(system.store.metadata(version)) < metadata_rank(newest):
        raise ValueError(f"a canary releases a version no older than {newest['version']}, the newest published; "
                         f"{version} is older: roll back to it instead")
    instance = system.front_names[-1]
    _answers(system)  # an instance's first /status reads its installed files: not on the watch's clock
    pin, _ = system.publisher.publish_pin(version, audience=instance)
    _taken(system, instance, pin.issued)
    before = _answers(system)
    if while_live:
        while_live()
    state = _watch(system, instance, watch_s)
    after = _answers(system)  # the answers each instance gave while the canary was live
    reason = state["ended"] or (None if state["answers"] >= MIN_ANSWERS
                                else f"only {state['answers']} canary answers in {state['live_s']:.1f} s")
    decision = system.rollback(serving) if reason else system.update_model(version)
    answered = {name: after[name] - before[name] for name in after}
    total = sum(answered.values())
    share = answered[instance] / total if total else None
    observed = {**state, "instance": instance, "instances": len(after), "answers_by_instance": answered,
                "share": share, "abort" if reason else "promotion": decision.strategy,
                "served_after": list(decision.served_after)}
    return GuardReport(
        guard=CANARY, version=version, outcome="aborted" if reason else "promoted", reason=reason,
        decided_after_s=state["ended_after_s"] if state["ended"] else state["live_s"], live_s=state["live_s"],
        strategy=f"canary: {version} goes to one of {len(after)} app instances ({instance}) as a signed pin "
                 f"addressed to it, the others skip it; {instance} judges its own answers and goes back to "
                 f"{serving} at its first flagged one, then a rollback pin puts every instance on {serving}; "
                 f"else after the watch the ordinary hot swap promotes it. It starts no process: it costs "
                 f"the users of one instance{f' ({share:.0%} of the answers here)' if share is not None else ''}",
        started=(), observed=observed)


def _taken(system, instance: str, issued: str) -> dict:
    """The canary instance's counts once it serves the canary pin issued at `issued`."""
    deadline = time.monotonic() + TAKE_TIMEOUT_S
    while (state := _canary(system, instance)) is None or state["issued"] != issued:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{instance} did not take the canary within {TAKE_TIMEOUT_S:g} s; "
                               f"its canary: {state}")
        time.sleep(POLL_S)
    return state


def _watch(system, instance: str, watch_s: float) -> dict:
    """The canary's counts once it is decided: ended (its first flagged answer), or live `watch_s`
    with `MIN_ANSWERS` answers, or live `PATIENCE * watch_s` without them."""
    while True:
        state = _canary(system, instance)
        if state["ended"] or state["live_s"] >= watch_s and state["answers"] >= MIN_ANSWERS \
                or state["live_s"] >= PATIENCE * watch_s:
            return state
        time.sleep(POLL_S)


def _canary(system, instance: str) -> dict | None:
    return _status(system, instance)["canary"]


def _answers(system) -> dict[str, int]:
    """The answers each instance has given, by its own count."""
    return {name: _status(system, name)["answers"] for name in system.front_names}


def _status(system, name: str) -> dict:
    return http.call_json("GET", system.component(name).url + "/status", timeout=5)
