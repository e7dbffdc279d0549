"""A candidate model's shadow pass and its verdict, before anyone re-runs the requests with it.

A reviewer asks for a shadow pass of a version (`POST /api/async/score {"shadow": "v3"}`); a worker
answers every request that has a served prediction again with it (`ScoringJob.shadow_pass`), into
a table of its own that no route serving a prediction reads, each answer judged by the review gate
as a re-run would judge it. The verdict, counted in the database:

- rejected when the gate flags any shadow answer, or the candidate could not predict a request the
  serving model answered: a re-run with it would leave those users without a new answer;
- rejected when fewer than AGREEMENT_FLOOR of its prices are within AGREE_WITHIN of the served
  ones: a shift the gate's rules let through (say, every price 20 % higher). A retrained model
  moves single prices, not most of them that far: v1 against v2, 79 % of the shipped new houses
  are within 10 %;
- rejected when no request has a served prediction: nothing to judge it by;
- passed otherwise. Passing promotes nothing: the re-run and review is the next, separate step.

The shadow answers are kept, per pass, as the record of what the candidate would have answered.
"""

from __future__ import annotations

from .store import Store

AGREE_WITHIN = 0.10  # relative difference between a shadow price and the served one
AGREEMENT_FLOOR = 0.5  # the share of shadow prices that must agree


def summary(store: Store, row: dict) -> dict:
    """Shadow pass `row` (a "score now" request with a shadow version): what it stored, counted in
    the database, its agreement and, once the worker finished it, its verdict."""
    counts = store.shadow_counts(row["id"], AGREE_WITHIN)
    counts["agreement"] = counts["agreed"] / counts["rows"] if counts["rows"] else None
    outcome, reason = verdict(counts) if row["status"] == "done" else (None, None)
    seconds = None if row["finished_at"] is None else (row["finished_at"] - row["requested_at"]).total_seconds()
    return {"version": row["shadow_version"], **counts, "agree_within": AGREE_WITHIN,
            "agreement_floor": AGREEMENT_FLOOR, "outcome": outcome, "reason": reason, "verdict_after_s": seconds}


def verdict(counts: dict) -> tuple[str, str | None]:
    """("passed", None) or ("rejected", why), from a pass's counts and agreement."""
    rows, agreement = counts["rows"], counts["agreement"]
    if not rows:
        return "rejected", "no request has a served prediction to compare the candidate's answers with"
    if counts["flagged"] or counts["unpredicted"]:
        return "rejected", (f"{counts['flagged']} of {rows} shadow answers flagged by the review gate, "
                            f"{counts['unpredicted']} not predicted; first: {counts['first_flag']}")
    if agreement < AGREEMENT_FLOOR:
        return "rejected", (f"{agreement:.0%} of the shadow prices within {AGREE_WITHIN:.0%} of the served ones; "
                            f"at least {AGREEMENT_FLOOR:.0%} must be")
    return "passed", None
