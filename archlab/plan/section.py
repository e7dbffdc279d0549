"""The plan as a section of the report (index.html, with its chart) and of docs/RESULTS.md, at the
default inputs: `archlab plan` shows it for other ones."""

from __future__ import annotations

from html import escape
from pathlib import Path

from shared_model.config import archlab_home

from .calibration import MissingFigure
from .chart import FILE, draw_fanout
from .inputs import PlanInputs, read_prices
from .plan import Plan, make_plan
from .render import html, markdown


def default_plan(data: dict, source: str) -> Plan:
    """The plan at the default inputs, priced from $ARCHLAB_HOME/prices.toml when it exists."""
    return make_plan(data, PlanInputs(**read_prices(archlab_home() / "prices.toml")), source)


def html_section(data: dict, folder: Path) -> str:
    """The section for index.html; its chart is drawn into `folder`. A report the plan cannot be
    calibrated from gets a section saying which figure is missing."""
    try:
        plan = default_plan(data, "this report's results.json")
    except (MissingFigure, ValueError) as exc:
        return f'<h2 id="plan">Planning past one machine</h2><p>Not planned: {escape(str(exc))}</p>'
    draw_fanout(plan, folder / FILE)
    return html(plan, FILE)


def markdown_section(data: dict, source: str) -> str:
    try:
        return markdown(default_plan(data, source), heading="##")
    except (MissingFigure, ValueError) as exc:
        return f"## Planning past one machine\n\nNot planned: {exc}\n"
