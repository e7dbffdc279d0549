"""`archlab plan`: a capacity and model-update plan for each architecture at a traffic you choose,
calibrated from a report's results.json (default: the latest report)."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

from shared_model.config import archlab_home

from ..errors import UsageError
from ..plan.calibration import MissingFigure
from ..plan.chart import draw_fanout
from ..plan.inputs import PlanInputs, read_prices
from ..plan.plan import make_plan
from ..plan.render import markdown
from ..report.numbers import fmt

HELP = {
    "requests_per_s": "requests per second to plan for",
    "p99_budget_ms": "the p99 latency every answered request must meet, ms",
    "model_cost_ms": "CPU ms per prediction call, as MODEL_COST_MS spends it (the async job calls once per chunk)",
    "applications": "applications using the same model",
    "updates_per_day": "model updates a day",
    "rescore_rows": "stored requests an async model update predicts again",
    "rescore_hours": "the window a full async re-score must fit in, hours",
    "rolling_batch_percent": "instances replaced at once in a rolling or blue/green update, percent",
    "broker_egress_mib_s": "what one Kafka broker sends its consumers, MiB/s",
    "lb_connections": "connections one load balancer holds (nginx's default worker_connections)",
    "core_hour_price": "price of one core for an hour (else read from --prices)",
    "gib_hour_price": "price of one GiB of memory for an hour (else read from --prices)",
}


def register(subparsers) -> None:
    parser = subparsers.add_parser("plan", help="capacity and model-update plan at scale, calibrated from a report")
    defaults = PlanInputs()
    for field in fields(PlanInputs):
        kind = int if field.name in ("applications", "rescore_rows", "lb_connections") else float
        default = getattr(defaults, field.name)
        parser.add_argument(f"--{field.name.replace('_', '-')}", type=kind, default=default, metavar="N",
                            help=HELP[field.name] + ("" if default is None else f" (default {fmt(default)})"))
    parser.add_argument("--results", type=Path, default=None, metavar="PATH",
                        help="a report's results.json or its folder (default: ARCHLAB_HOME/reports/latest)")
    parser.add_argument("--prices", type=Path, default=None, metavar="FILE",
                        help="TOML file with core_hour = <price> and gib_hour = <price> "
                             "(default: ARCHLAB_HOME/prices.toml if it exists)")
    parser.add_argument("--only", action="append", metavar="ARCH", help="plan only this architecture (repeatable)")
    parser.add_argument("--chart", type=Path, default=None, metavar="FILE",
                        help="also draw time-to-all-new vs instances to this PNG")
    parser.set_defaults(func=run)


def results_path(given: Path | None) -> Path:
    path = given or archlab_home() / "reports" / "latest"
    return path / "results.json" if path.is_dir() else path


def load(path: Path) -> dict:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise UsageError(f"no results file at {path}: run `archlab compare` first, or pass --results") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path} is not JSON ({exc}); expected a report's results.json") from None
    if not isinstance(data, dict) or not isinstance(data.get("architectures"), dict):
        raise UsageError(f"{path} has no architectures; expected a report's results.json")
    return data


def run(args) -> int:
    try:
        prices = read_prices(args.prices or archlab_home() / "prices.toml")
        values = {field.name: getattr(args, field.name) for field in fields(PlanInputs)}
        for name, price in prices.items():
            if values[name] is None:
                values[name] = price
        inputs = PlanInputs(**values)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    path = results_path(args.results)
    try:
        plan = make_plan(load(path), inputs, str(path), args.only)
    except (KeyError, MissingFigure) as exc:
        raise UsageError(str(exc).strip('"')) from None
    print(markdown(plan), end="")
    if args.chart:
        print(f"\nchart: {draw_fanout(plan, args.chart)}")
    return 0
