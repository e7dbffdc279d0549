"""The decision lab of notebook 05: state a system's requirements with sliders, see which measured
architectures fit and why.

`decide` is the answer for given slider values, computed by `archlab.report.profiles` exactly as
the report's requirement profiles are (the same `Requirement`, the same checks), so the lab and the
report can never disagree; `decision_lab` is only the widgets around it.
"""

from __future__ import annotations

import ipywidgets as widgets

from ..report.profiles import Requirement, Verdict, verdict

UPDATE_RATES = {"never": 0, "a month": 1 / 30, "a week": 1 / 7, "a day": 1, "an hour": 24, "a minute": 1440}
LATENCY_BUDGETS_MS = {"any": None, **{f"{ms} ms": ms for ms in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000)}}
FAILED_PER_DAY = {"any": None, **{str(n): n for n in (0, 1, 10, 100, 1000)}}


def decide(results: dict, *, p99_ms: float | None = None, updates: str = "never", failed_per_day: int | None = None,
           human_review: bool = False, applications: int = 1, no_bad_answers: bool = False) -> Verdict:
    """Which architectures of `results` fit these requirements: the lab's answer without a browser.

    `updates` is a key of UPDATE_RATES ("a month", "an hour", ...); `failed_per_day` the requests a
    day that model updates may fail (None: any). Raises ValueError for an unknown update rate or a
    value out of range (a budget of 0 ms, no application).
    """
    if updates not in UPDATE_RATES:
        raise ValueError(f"updates={updates!r}: expected one of {', '.join(UPDATE_RATES)}")
    requirement = Requirement(p99_ms=p99_ms, updates_per_day=UPDATE_RATES[updates], failed_per_day=failed_per_day,
                              human_review=human_review, applications=applications, no_bad_answers=no_bad_answers)
    return verdict(results, requirement, "your requirements")


def decision_lab(results: dict) -> widgets.VBox:
    """Sliders and checkboxes for the requirements; below them, `decide`'s verdict, redrawn on each change."""
    controls = {
        "p99_ms": widgets.SelectionSlider(options=list(LATENCY_BUDGETS_MS.items()), index=3,
                                          description="p99 budget"),
        "updates": widgets.SelectionSlider(options=list(UPDATE_RATES), value="a month", description="model update"),
        "failed_per_day": widgets.SelectionSlider(options=list(FAILED_PER_DAY.items()), index=0,
                                                  description="failed requests a day OK"),
        "applications": widgets.IntSlider(value=1, min=1, max=10, description="applications"),
        "human_review": widgets.Checkbox(value=False, description="a person reviews every prediction"),
        "no_bad_answers": widgets.Checkbox(value=False, description="a bad model must never reach a user"),
    }
    for control in controls.values():
        control.style.description_width = "initial"
    output = widgets.interactive_output(lambda **values: print("\n".join(decide(results, **values).lines())),
                                        controls)
    return widgets.VBox([*controls.values(), output])
