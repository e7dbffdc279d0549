"""A system whose app predicts on the user's device (`PredictsInClient`), measured on the
comparison's footing where that means something, and the footing said beside each figure:

- latency: one prediction in the client's own JavaScript engine, no network (the server
  architectures are timed through HTTP: a different thing, shown side by side, never as equal);
- the update: what a new visitor gets (the release manifest) under the same steady traffic as the
  others (`measure_update`); with chromium, pages opened before the release say what open clients
  do under each reload policy, and the share still on the old model after each second; while one
  is still on the old model, every answer never carries the new one (the switch time is "never";
  the new visitors' own is kept in the details);
- the drill: the bad release, new visitors while it is out, the good one released again; then the
  prices the pages still on the bad model give (no one can recall them). No server sees a price,
  so nothing detects the bad one: it is rolled back after the others' detection wait.
"""

from __future__ import annotations

import statistics
import time
from contextlib import contextmanager, nullcontext

from patterns.launch.protocols import PredictsInClient

from ..chromium import NO_CHROMIUM, headless_chromium
from ..report import Event, Latency, Update
from .budget import Budget
from .measurements import measure_update

FOOTING = ("one prediction in the client's own JavaScript engine (V8, as chromium runs it), no network: "
           "not an HTTP round trip like the server architectures'; each sample the mean over 5 passes "
           "through the 1,459 new houses (clean + price)")
SHARE_AT_S = (0.5, 1, 2, 3, 5, 8, 12)


def client_browser(system):
    """A headless chromium for a system whose app predicts in the client (None where none is
    installed), shared by its update and its drill; nothing for any other system."""
    return headless_chromium() if isinstance(system, PredictsInClient) else nullcontext()


def client_latency(system, budget: Budget) -> Latency:
    seconds = system.client_prediction_seconds(budget.client_batches)
    return Latency(FOOTING, system.capabilities.latency_floor, [s * 1000.0 for s in seconds])


@contextmanager
def pages_in(system, browser):
    pages = system.open_pages(browser)
    try:
        yield pages
    finally:
        pages.close()


def share_on_old(outcomes: list[dict], at_s: float) -> float:
    """Share of the pages still pricing with the old model `at_s` seconds after the release."""
    still = [o for o in outcomes if o.get("had_new_after_s") is None or o["had_new_after_s"] > at_s]
    return len(still) / len(outcomes)


def open_pages_record(outcomes: list[dict], watched_s: float, poll_s: float, first_price_ms: list[float]) -> dict:
    return {"watched_s": watched_s, "poll_seconds": poll_s, "pages": outcomes,
            "cold_load_to_first_price_ms": first_price_ms,
            "cold_load_to_first_price_p50_ms": statistics.median(first_price_ms),
            "share_on_old": {str(t): share_on_old(outcomes, t) for t in SHARE_AT_S if t <= watched_s},
            "footing": "pages opened before the release in headless chromium, half reloading on a new "
                       "release by themselves (?reload=auto), half only showing the prompt (the default)"}


def measure_client_update(system, browser, budget: Budget, record: dict, to_version: str) -> tuple[Update, dict]:
    """`measure_update` (new visitors) with `budget.client_pages` pages open in `browser` from
    before it; what those pages did is filed in the update's details (`open_pages`)."""
    if browser is None:
        update, report = measure_update(system, budget, record, to_version)
        update.details["open_pages"] = NO_CHROMIUM
        return update, report
    with pages_in(system, browser) as pages:
        pages.open(budget.client_pages)
        first_price_ms = pages.first_price_ms()  # the page load a user pays once, beside the in-page time
        update, report = measure_update(system, budget, record, to_version)
        released = report["details"]["published_epoch_s"]
        time.sleep(max(0.0, released + budget.client_watch_s - time.time()))
        outcomes = pages.outcomes(released, to_version)
    update.details["open_pages"] = open_pages_record(outcomes, budget.client_watch_s,
                                                     report["details"]["poll_seconds"], first_price_ms)
    update.details["new_visitors_switch_s"] = update.cost_s
    for page in outcomes:  # on the load run's clock: the release was published as the build ended
        if "had_new_after_s" in page:
            update.events.append(Event(update.ready_s + page["had_new_after_s"],
                                       f"an open page ({page['policy']}) reloaded onto {to_version}"))
        elif "prompt_after_s" in page:
            update.events.append(Event(update.ready_s + page["prompt_after_s"],
                                       f"an open page ({page['policy']}) shows the update prompt, "
                                       f"still on {page['model_version']}"))
    update.events.sort(key=lambda event: event.t_s)
    if any(page["model_version"] != to_version for page in outcomes):
        update.converged_s = None  # not every answer carries it: a page that is not reloaded never will
    return update, report


def client_drill(system, browser, budget: Budget, record: dict, bad: str, good: str) -> dict:
    """The bad release's reach, shaped as the other drills (`archlab.compare.drill.Drill`), plus
    each page's outcome; {} without chromium (the reason is the architecture's note)."""
    if browser is None:
        return {}
    with pages_in(system, browser) as pages:
        rollout = system.update_model(bad)
        rolled_out = rollout.details["published_epoch_s"]
        pages.open(budget.client_pages, f"new visitor while {bad} was out")
        time.sleep(max(0.0, rolled_out + budget.drill_watch_s - time.time()))  # the others' wait for a flag
        rollback = system.rollback(good)
        released = rollback.details["published_epoch_s"]
        time.sleep(max(0.0, released + budget.client_watch_s - time.time()))
        given = pages.answers_from(bad, record, budget.client_asks)
        outcomes = pages.outcomes(released, good)
    back = [o.get("had_new_after_s") for o in outcomes]
    return {
        "bad": bad, "good": good, "bad_answers": sum(page["answers"] for page in given),
        "detected_after_s": None, "detection": None,
        "rollback_s": None if None in back else max(back), "failed": 0,
        "requests": budget.client_asks * len(outcomes),
        "rollout_strategy": rollout.strategy, "rollback_strategy": rollback.strategy,
        "timeline": [], "events": [],
        "pages_on_bad_after_rollback": [page["kind"] for page in given], "pages": outcomes,
        "footing": f"{len(outcomes)} new visitors while {bad} was out (half reloading by themselves); "
                   f"{budget.client_watch_s:g} s after {good} was released again each was asked "
                   f"{budget.client_asks} prices; no server sees a price, so nothing detected {bad}",
    }


def open_app_through_faults(system, browser, faults: dict, record: dict, version: str) -> None:
    """Each part taken down again with an app opened before it: what an open client gets (a
    price from the model it carries, or nothing), added to what a new visitor got."""
    if browser is None:
        return
    with pages_in(system, browser) as pages:
        pages.visit("prompt", "an app opened before")
        for component, fault in faults.items():
            if not fault.breakable:
                continue
            system.stop_component(component)
            try:
                given = pages.answers_from(version, record, 1)
            finally:
                system.start_component(component)
            fault.user_sees = (f"new visitor: {fault.user_sees}; an app opened before: "
                               + (f"a price from its model {version}, no server needed" if given else "no price"))
