"""The planning lab of notebook 05: sliders for the traffic and requirements, and the plan
(`archlab plan`'s tables) recomputed from the comparison's results.json on each change."""

from __future__ import annotations

import ipywidgets as widgets

from ..plan.inputs import PlanInputs
from ..plan.plan import Plan, make_plan
from ..plan.render import html


def plan_at(results: dict, **inputs) -> Plan:
    """The plan for the results dict at these inputs (names as PlanInputs'), what the sliders call."""
    return make_plan(results, PlanInputs(**inputs), "the comparison above")


def plan_lab(results: dict) -> widgets.VBox:
    """Sliders for the inputs; below them, the plan, redrawn on each change. The latest plan is
    kept on the returned box as `.plan`, so a cell can check what the sliders produced."""
    defaults = PlanInputs()
    controls = {
        "requests_per_s": widgets.FloatLogSlider(value=defaults.requests_per_s, base=10, min=1, max=6,
                                                 description="requests/s"),
        "p99_budget_ms": widgets.FloatLogSlider(value=defaults.p99_budget_ms, base=10, min=0, max=4,
                                                description="p99 budget ms"),
        "model_cost_ms": widgets.FloatSlider(value=defaults.model_cost_ms, min=0, max=200, step=5,
                                             description="model cost ms"),
        "applications": widgets.IntSlider(value=defaults.applications, min=1, max=20, description="applications"),
        "updates_per_day": widgets.FloatLogSlider(value=defaults.updates_per_day, base=10, min=-2, max=4,
                                                  description="updates a day"),
    }
    for control in controls.values():
        control.style.description_width = "initial"
    shown = widgets.HTML()  # a widget's value, not printed output: the same in a browser and under nbval
    box = widgets.VBox([*controls.values(), shown])

    def recompute(_change=None) -> None:
        box.plan = plan_at(results, **{name: control.value for name, control in controls.items()})
        shown.value = html(box.plan)

    for control in controls.values():
        control.observe(recompute, names="value")
    recompute()
    return box
