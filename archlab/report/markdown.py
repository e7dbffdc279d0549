"""The measured results as a Markdown page (docs/RESULTS.md), written from a report's results.json
by `archlab results`: the README links to it instead of carrying hand-typed numbers."""

from __future__ import annotations

from .footing import OPERATING, SERVING, caption
from .numbers import fmt


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
        f"Python {machine['python']}, {machine['cpus']} CPUs"
        + (f", load average {' / '.join(map(fmt, machine['load_average']))} (1 / 5 / 15 min) as the run ended"
           if "load_average" in machine else "") + ". Latencies in ms, percentiles by "
        f"{data['percentile_method']}; ratios are within this one run (a machine's speed varies between runs).",
        "",
        *[f"- Footing, {line}" for line in (
            caption({n: data["architectures"][n].get("footing") or {} for n in names}, measurement,
                    machine["cpus"]) for measurement in (SERVING, OPERATING)) if line],
        f"- Repetitions of latency, throughput and scale-out: {data.get('repetitions', 1)}",
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
    lines += ["", "## Which architecture fits which requirements (decided from these numbers)", ""]
    for verdict in data.get("profiles", []):
        fits = ", ".join(verdict["fits"]) or "none"
        best = f"; best fit: {', '.join(verdict['best'])} ({verdict['prefer']})" if verdict["best"] else ""
        lines.append(f"- **{verdict['name']}**: fits {fits}{best}")
        lines += [f"  - {arch}: {why}" for arch, why in sorted(verdict["fails"].items())]
        lines += [f"  - {arch}: {why}" for arch, why in sorted(verdict.get("too_close", {}).items())]
        lines += [f"  - {arch}: not measured ({why})" for arch, why in sorted(verdict["not_measured"].items())]
    lines += ["", "## Footprint, a second application, a faulty model", "",
              _row(["architecture", "processes", "memory MiB", "app environment MiB", "model copies",
                    "copies with a second app", "apps restarted by an update", "answers from the faulty model",
                    "rollback s", "serving code lines"]),
              _row(["---"] * 10)]
    for name in names:
        arch = data["architectures"][name]
        footprint, second, drill = arch.get("footprint") or {}, arch.get("second_app") or {}, arch.get("drill") or {}
        lines.append(_row([
            name, fmt(len(footprint["processes"])) if footprint else "-", fmt(footprint.get("rss_mib", {}).get("total")),
            fmt(footprint.get("app_environment_mib")), fmt(footprint.get("model_copies")),
            fmt(second.get("model_copies")), fmt(second.get("apps_restarted")), fmt(drill.get("bad_answers")),
            fmt(drill.get("rollback_s")), fmt(footprint.get("code_lines")),
        ]))
    guarded = [(name, guard) for name in names
               for guard in (data["architectures"][name].get("drill") or {}).get("guards", [])]
    if guarded:
        lines += ["", "## Guards against a faulty model (released under each guard the architecture offers)", ""]
        lines += [f"- {name}, {g['guard']}: {g['outcome']} after {fmt(g['decided_after_s'])} s; "
                  f"{fmt(g['bad_answers'])} answers from the faulty model reached users, {fmt(g['failed'])} of "
                  f"{fmt(g['requests'])} requests failed; cost {fmt(g['extra_processes'])} extra processes, "
                  f"{fmt(g['extra_rss_mib'])} MiB; users' p50 {fmt(g['p50_ms_before'])} ms before, "
                  f"{fmt(g['p50_ms_during'])} ms while live"
                  + (f"; shadow agreement {fmt(g['observed']['agreement'])}" if "agreement" in g["observed"] else "")
                  for name, g in guarded]
    lines += ["", "## Throughput (requests/s at 1, 8, 32 clients in flight; failed of sent)", ""]
    rows = [(f"floor: {kind}", runs) for kind, runs in sorted(data.get("throughput_floors", {}).items())]
    rows += [(name, data["architectures"][name].get("throughput") or []) for name in names]
    lines += [f"- {label}: " + "; ".join(f"c={r['concurrency']}: {fmt(r['requests_per_s'])}/s, p99 "
                                         f"{fmt(r['p99_ms'])} ms, {r['failed']}/{r['sent']} failed" for r in runs)
              for label, runs in rows if runs]
    lines += ["", "## Where the time of one request goes (p50 of each part)", ""]
    for name in names:
        arch = data["architectures"][name]
        single = next((run for run in arch.get("throughput") or [] if run["concurrency"] == 1), None)
        if single and single.get("server_timing_p50_ms"):
            lines.append(f"- {name}: client {fmt(single['p50_ms'])} ms; Server-Timing " + ", ".join(
                f"{part} {fmt(ms)} ms" for part, ms in single["server_timing_p50_ms"].items()))
        elif arch["latency"].get("parts_p50_ms"):
            lines.append(f"- {name}: until stored {fmt(arch['latency']['summary_ms']['p50'])} ms; " + ", ".join(
                f"{part} {fmt(ms)} ms" for part, ms in arch["latency"]["parts_p50_ms"].items()))
    if data.get("scale_out"):
        lines += ["", "## Scale-out (one and two instances of the part each scales)", ""]
        for run in data["scale_out"]:
            rate = run["throughput"]
            shown = (f"{fmt(rate['requests_per_s'])} requests/s at {rate['concurrency']} clients"
                     if "requests_per_s" in rate else f"{fmt(rate['rows_per_s'])} rows/s")
            lines.append(f"- {run['architecture']}, {run['instances']} x {run['scaled']}, model cost "
                         f"{fmt(run['model_cost_ms'])} ms: {shown}, {fmt(run['rss_mib_each'])} MiB each")
    missing = sorted(data.get("unavailable", {}).items())
    if missing:
        lines += ["", *[f"- **{name}**: not measured: {why}" for name, why in missing]]
    lines += ["", "## Targets on this machine (reported, never asserted in tests)", ""]
    lines += [f"- {t['description']}: {fmt(t['measured'])} (target {t['op']} {fmt(t['target'])}): "
              f"{'not measured' if t['met'] is None else ('met' if t['met'] else 'NOT met')}"
              for t in data.get("targets", {}).values()]
    lines += ["", "## How each architecture was updated", ""]
    for name in names:
        update, naive = data["architectures"][name]["update"], data["architectures"][name].get("naive_update")
        for way in (naive, update) if naive else ():
            lines.append(f"- **{name}**, {way['strategy'].split(':')[0]}: {fmt(way['failed'])} failed, "
                         f"{fmt(way['cost_s'])} s to all-new after {fmt(way['build_s'])} s of build, restarts "
                         f"{', '.join(f'{c} x {n}' for c, n in (way.get('restarts') or {}).items()) or 'none'}, {fmt(way.get('extra_rss_mib'))} MiB extra during the switch")
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
