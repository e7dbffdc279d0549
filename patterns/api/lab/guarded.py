"""A new model version released under a guard on the running api system (HTTP transport).

Canary: one model-service instance of the new version starts beside the serving ones and the front
sends it `CANARY_SHARE` of the calls (POST /admin/canary); the front judges each of its answers by
the plausibility rule and takes it out of rotation at its first flagged answer. This side watches
the front's counts: aborted at once when the front ended it, promoted (the ordinary blue/green
update) once it has been live `watch_s` and answered at least `MIN_ANSWERS` calls unflagged.

Shadow: one instance of the new version gets a copy of every call (POST /admin/shadow) for `watch_s`
and at least `MIN_ANSWERS` copies; rejected if the rule flagged any of its answers, passed otherwise
(passing promotes nothing: the ordinary update is the next, separate step). Either way the extra
instance is stopped and the front forgets the guard (DELETE) before this returns.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

from patterns import http
from patterns.launch.guards import CANARY, SHADOW, GuardReport
from patterns.web.auth import admin_headers

CANARY_SHARE = 0.05
MIN_ANSWERS = 3
POLL_S = 0.02
PATIENCE = 10  # without MIN_ANSWERS after PATIENCE * watch_s, the guard stops: too little traffic to judge


def release(system, version: str, guard: str, watch_s: float, while_live: Callable[[], None] | None) -> GuardReport:
    """Run `guard` for `version` on `system` (an ApiSystem over HTTP) and decide."""
    name = f"{system.model_component}-{guard}"
    process = system.launch(system._model_process(version, name))
    try:
        body = {"url": process.url, "share": CANARY_SHARE} if guard == CANARY else {"url": process.url}
        _admin(system, "POST", guard, body)
        if while_live:
            while_live()
        _watch(system, guard, watch_s)
        final = _admin(system, "DELETE", guard)  # out of rotation: the serving set answers until a promotion
        report = _report(guard, version, final, name)
        if guard == CANARY and not report.stopped:
            report = dataclasses.replace(report, observed={**final, "promotion": system.update_model(version).strategy})
    finally:
        system.components.pop(name).stop()
    return report


def _watch(system, guard: str, watch_s: float) -> dict:
    """The front's counts once the guard is decided (a canary ended, or live long enough with enough
    answers), or once it waited `PATIENCE * watch_s` for them."""
    counted = "answers" if guard == CANARY else "mirrored"
    while True:
        state = _admin(system, "GET", guard)
        if guard == CANARY and state["ended"]:
            return state
        if state["live_s"] >= watch_s and state[counted] >= MIN_ANSWERS or state["live_s"] >= PATIENCE * watch_s:
            return state
        time.sleep(POLL_S)


def _report(guard: str, version: str, final: dict, started: str) -> GuardReport:
    if guard == CANARY:
        reason = final["ended"] or (None if final["answers"] >= MIN_ANSWERS
                                    else f"only {final['answers']} canary answers in {final['live_s']:.1f} s")
        return GuardReport(
            guard=guard, version=version, outcome="aborted" if reason else "promoted", reason=reason,
            decided_after_s=final["ended_after_s"] if final["ended"] else final["live_s"], live_s=final["live_s"],
            strategy=f"canary: one {started} instance takes {final['share']:.0%} of the front's calls; the "
                     "front drops it at its first answer the plausibility rule flags, else it is promoted blue/green",
            started=(started,), observed=final)
    flagged = final["first_flag"]
    enough = final["mirrored"] >= MIN_ANSWERS
    reason = flagged or (None if enough else f"only {final['mirrored']} mirrored answers in {final['live_s']:.1f} s")
    return GuardReport(
        guard=guard, version=version, outcome="rejected" if reason else "passed", reason=reason,
        decided_after_s=final["flagged_after_s"] if flagged else final["live_s"], live_s=final["live_s"],
        strategy=f"shadow: the front sends a copy of every call to one {started} instance in the background, "
                 "compares its answers with the served ones and throws them away",
        started=(started,), observed=final)


def _admin(system, method: str, guard: str, body: dict | None = None) -> dict:
    return http.call_json(method, f"{system.url}/admin/{guard}", json=body, timeout=10,
                          headers=admin_headers(system.settings))


GUARDS = (CANARY, SHADOW)
