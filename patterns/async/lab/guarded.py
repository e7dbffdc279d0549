"""A new model version released under a shadow on the running async system.

Asked as a reviewer's script would ask it, through the front's API: `POST /api/async/score
{"shadow": version}` queues a shadow pass, which the running scheduled worker answers (nothing is
started for it): every request with a served prediction answered again by the candidate into a
table of its own, each answer judged by the review gate (`patterns/async/shadow.py`). The verdict
and every count come back from the database through the same API. Users keep reading the served
predictions throughout; passing promotes nothing (the re-run and review is the next, separate step).
"""

from __future__ import annotations

from collections.abc import Callable

from patterns.launch.guards import SHADOW, GuardReport

GUARDS = (SHADOW,)
WAIT_S = 120.0  # for the worker to take the pass and finish it (about 20,000 stored rows/s on SQLite)


def release(system, version: str, while_live: Callable[[], None] | None) -> GuardReport:
    """Shadow pass of `version` on `system` (an AsyncSystem), decided when the pass ends."""
    asked = system._call("POST", "/api/async/score", {"shadow": version, "wait": False})
    if while_live:
        while_live()
    done = system._call("GET", f"{asked['status_url']}?wait={WAIT_S:g}", timeout=WAIT_S + 10)
    observed = {**done["shadow"], "worker": done["worker"], "scoring_s": done["seconds"],
                "rows_per_s": done["rows_per_second"]}
    return GuardReport(
        guard=SHADOW, version=version, outcome=observed["outcome"], reason=observed["reason"],
        decided_after_s=observed["verdict_after_s"], live_s=observed["verdict_after_s"],
        strategy="shadow pass: the scheduled worker answers every request that has a served prediction again "
                 "with the new model, into a shadow table no user-facing route reads, each answer judged by the "
                 f"review gate; rejected if the gate flags one, or if fewer than {observed['agreement_floor']:.0%} "
                 f"of its prices are within {observed['agree_within']:.0%} of the served ones",
        started=(), observed=observed)
