"""The measured results as a Markdown page (docs/RESULTS.md), written from a report's results.json
by `archlab results`: the README links to it instead of carrying hand-typed numbers."""

from __future__ import annotations

from .page import fmt


def _row(cells) -> str:
    return "| " + " | ".join(str(cell).replace("|", "\\|") for cell in cells) + " |"


def _faults(arch: dict) -> str:
    parts = []
    for component, fault in sorted(arch["faults"].items()):
        if fault.get("breakable", True):
            parts.append(f"{component}: {fault['failed']}/{fault['requests']} failed")
        else:
            parts.append(f"{component}: external, not stopped")
    return "; ".join(parts) or "-"


def render_markdown(data: dict, names: list[str], source: str) -> str:
    """The page for the results dict `data` (architectures in the order of `names`)."""
    machine = data["machine"]
    lines = [
        "# Measured results",
        "",
        f"Written by `archlab results` from `{source}` (do not edit by hand: run `make compare`, then "
        "`archlab results --output docs/RESULTS.md`).",
        "",
        f"Run {data['created']}{' (quick)' if data['quick'] else ''} on {machine['platform']}, "
        f"Python {machine['python']}, {machine['cpus']} CPUs. Latencies in ms, percentiles by "
        f"{data['percentile_method']}; ratios are within this one run (a machine's speed varies between runs).",
        "",
        "## Tradeoffs",
        "",
        _row(["architecture", "p50 ms", "p99 ms", "floor", "floor p50 ms", "p50 / floor", "update strategy",
              "build s", "switch s", "failed during update", "restarted", "app carries scikit-learn",
              "when a component is down"]),
        _row(["---"] * 13),
    ]
    for name in names:
        arch = data["architectures"][name]
        summary, update = arch["latency"]["summary_ms"], arch["update"] or {}
        floor = data["floors"].get(arch["latency"]["floor"])
        lines.append(_row([
            name, fmt(summary["p50"]), fmt(summary["p99"]), arch["latency"]["floor"],
            fmt(floor["summary_ms"]["p50"]) if floor else "-", fmt(arch["p50_over_floor"]),
            update.get("strategy", "-").split(":")[0], fmt(update.get("build_s")), fmt(update.get("cost_s")),
            fmt(update.get("failed")), ", ".join(update.get("restarted", [])) or "nothing",
            fmt(arch["app_carries_model"]), _faults(arch),
        ]))
    missing = sorted(data.get("unavailable", {}).items())
    if missing:
        lines += ["", *[f"- **{name}**: not measured: {why}" for name, why in missing]]
    lines += ["", "## Targets on this machine (reported, never asserted in tests)", ""]
    lines += [f"- {t['description']}: {fmt(t['measured'])} (target {t['op']} {fmt(t['target'])}): "
              f"{'not measured' if t['met'] is None else ('met' if t['met'] else 'NOT met')}"
              for t in data.get("targets", {}).values()]
    lines += ["", "## How each architecture was updated", ""]
    for name in names:
        update = data["architectures"][name]["update"]
        if update:
            better = f" A better strategy would need: {update['better_strategy']}." if update["better_strategy"] else ""
            lines.append(f"- **{name}**: {update['strategy']}.{better}")
    lines += ["", "## Floors measured in the same run", ""]
    lines += [f"- `{floor_name}`: p50 {fmt(floor['summary_ms']['p50'])} ms, p99 {fmt(floor['summary_ms']['p99'])} ms "
              f"({floor['description']})" for floor_name, floor in sorted(data["floors"].items())]
    figures = [f"- {name} {key}: {fmt(value)}" for name in names
               for key, value in sorted(data["architectures"][name]["figures"].items())]
    if figures:
        lines += ["", "## Other measured figures", "", *figures]
    return "\n".join(lines) + "\n"
