"""PNG charts of one `Results`, drawn with matplotlib's object API (no pyplot, no global backend),
so rendering a report never changes the plotting state of the notebook that called it."""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from ..measure.stats import summarize
from .footing import OPERATING, SERVING, caption
from .scaling import scale_factors
from .schema import Results

FLOOR_COLOUR = "#bbbbbb"
ARCH_COLOUR = "#4c72b0"
FAIL_COLOUR = "#c44e52"
TITLE_CHARACTERS = 125  # a panel title's line at 8.5 pt on a 9-inch figure, wrapped rather than cut off


def _titled(ax, title: str, results: Results, measurement: str) -> None:
    """`title` with the footing the figure was measured on beneath it (when the results recorded it)."""
    footing = caption({a.name: a.footing for a in results.ordered()}, measurement, results.machine.get("cpus"))
    ax.set_title(title + (f"\n{textwrap.fill(footing, 95)}" if footing else ""), fontsize=9.5)


def latency_chart(results: Results, path: Path) -> Path:
    """Each architecture's latency distribution beside the floor for its kind of work (log scale)."""
    rows, labels, colours = [], [], []
    for arch in results.ordered():
        floor = results.floors.get(arch.latency.floor)
        if floor is not None and floor.samples_ms:
            rows.append(floor.samples_ms)
            labels.append(f"floor: {floor.name}")
            colours.append(FLOOR_COLOUR)
        rows.append(arch.latency.samples_ms or [math.nan])
        labels.append(_latency_label(arch, floor))
        colours.append(ARCH_COLOUR)
    fig = Figure(figsize=(9, 1.5 + 0.45 * len(rows)), layout="constrained")
    ax = fig.subplots()
    boxes = ax.boxplot(
        rows, orientation="horizontal", tick_labels=labels, whis=(1, 99), showfliers=False, patch_artist=True
    )
    for box, colour in zip(boxes["boxes"], colours):
        box.set_facecolor(colour)
    ax.set_xscale("log")
    ax.invert_yaxis()
    ax.set_xlabel("latency, ms (log scale) - box p25-p75, line p50, whiskers p1-p99\n"
                  "(!): p50 below its floor: that floor, measured with its own minimal server, is no bound there",
                  fontsize=8.5)
    _titled(ax, "Latency per architecture beside its floor", results, SERVING)
    fig.savefig(path, dpi=100)
    return path


def _latency_label(arch, floor) -> str:
    """The architecture's name; flagged when its p50 lies below its floor's (the floor, measured
    with its own minimal server and client, is then not a lower bound for this path)."""
    if not arch.latency.samples_ms:
        return f"{arch.name} (no successful request)"
    if floor is not None and floor.samples_ms and summarize(arch.latency.samples_ms).p50 < summarize(floor.samples_ms).p50:
        return f"{arch.name} (!) p50 below its floor"
    return arch.name


def timeline_chart(results: Results, path: Path) -> Path:
    """Served version of every request during each update, failures in red, on one shared time
    axis (a 0.04 s update must look narrower than a 4 s one). Events are numbered lines, named in
    each panel's title, so events close in time never print over each other."""
    updates = [(f"{a.name}, {u.strategy.partition(':')[0]}", u) for a in results.ordered()
               for u in (a.naive_update, a.update) if u is not None]
    fig = Figure(figsize=(9, 0.5 + 2.4 * max(1, len(updates))), layout="constrained")
    axes = fig.subplots(max(1, len(updates)), 1, squeeze=False, sharex=True)[:, 0]
    if not updates:
        axes[0].text(0.5, 0.5, "no update was measured", ha="center", va="center")
        axes[0].set_axis_off()
    for ax, (name, update) in zip(axes, updates):
        versions = sorted({p.version for p in update.timeline if p.version is not None})
        levels = {"failed": 0, **{v: i + 1 for i, v in enumerate(versions)}}
        served = [p for p in update.timeline if p.version is not None]
        failed = [p for p in update.timeline if p.version is None]
        ax.scatter([p.t_s for p in served], [levels[p.version] for p in served], s=6, color=ARCH_COLOUR)
        ax.scatter([p.t_s for p in failed], [0] * len(failed), s=14, marker="x", color=FAIL_COLOUR)
        for number, event in enumerate(update.events, start=1):
            ax.axvline(event.t_s, color="#555555", linestyle="--", linewidth=0.8)
            ax.annotate(str(number), (event.t_s, len(levels) - 0.55 - 0.3 * (number % 2)), fontsize=7,
                        ha="center", va="center", backgroundcolor="white")
        ax.set_yticks(list(levels.values()), list(levels))
        ax.set_ylim(-0.5, len(levels) - 0.3)
        cost = "never converged" if update.cost_s is None else f"{update.cost_s:.2f} s to all-{update.to_version}"
        events = textwrap.fill(" · ".join(f"{number}\u00a0{event.label}" for number, event in
                                          enumerate(update.events, start=1)), width=TITLE_CHARACTERS)
        ax.set_title(f"{name}: build {update.build_s:.2f} s, then {cost}; {update.failed} failed\n{events}",
                     fontsize=8.5)
    axes[-1].set_xlabel("seconds since traffic started")
    footing = caption({a.name: a.footing for a in results.ordered()}, OPERATING, results.machine.get("cpus"))
    if footing:
        fig.suptitle(textwrap.fill(footing, 110), fontsize=8.5)
    fig.savefig(path, dpi=100)
    return path


def coupling_chart(results: Results, path: Path) -> Path:
    """Heat map: share of requests that failed while each component was down, hatched where users
    got no answer at all rather than an error that says why (grey: no such part, or an external one
    archlab does not stop)."""
    archs = results.ordered()
    components = sorted({c for a in archs for c in a.faults})
    fig = Figure(figsize=(1.6 + 1.5 * max(1, len(components)), 1.2 + 0.6 * len(archs)), layout="constrained")
    ax = fig.subplots()
    ax.set_facecolor("#eeeeee")
    grid = [[math.nan] * len(components) for _ in archs]
    for i, arch in enumerate(archs):
        for j, component in enumerate(components):
            fault = arch.faults.get(component)
            if fault is None or not fault.breakable:
                label = "no such\ncomponent" if fault is None else "external:\nnot stopped"
                ax.text(j, i, label, ha="center", va="center", fontsize=8, color="#777777")
                continue
            grid[i][j] = fault.failed / fault.requests if fault.requests else math.nan
            silent = fault.statuses.get("no answer", 0)
            how = "" if not fault.failed else "\nno answer" if silent == fault.failed else \
                "\nan error saying why" if not silent else f"\n{silent} no answer"
            ax.text(j, i, f"{fault.failed}/{fault.requests} failed{how}", ha="center", va="center", fontsize=8)
            if silent:  # nothing came back at all: worse for a user than a clean error that says why
                ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, hatch="///", edgecolor="#555555",
                                       linewidth=0))
    image = ax.imshow(grid, cmap="RdYlGn_r", vmin=0, vmax=1, aspect="auto")
    fig.colorbar(image, ax=ax, label="share of requests failed")
    ax.set_xticks(range(len(components)), [f"{c} down" for c in components], rotation=20)
    ax.set_yticks(range(len(archs)), [a.name for a in archs])
    _titled(ax, "What users get when one component is down\n(hatched: no answer at all; plain: an error that says why)",
            results, OPERATING)
    fig.savefig(path, dpi=100)
    return path


TIMING_PARTS = ("validation", "model", "hop", "database")
FLOOR_STYLES = (("--", "s"), (":", "^"), ("-.", "v"), ((0, (5, 5)), "D"))
PART_COLOURS = {"HTTP and client": "#bbbbbb", "validation": "#8172b2", "model": "#4c72b0", "hop": "#dd8452",
                "database": "#55a868", "other, in the server": "#eeeeee"}
LATER_COLOURS = ("#bbbbbb", "#4c72b0", "#55a868", "#dd8452")  # an answer's parts in order: waiting, work, review


def _server_timing_bars(results: Results) -> list[tuple[str, dict[str, float], float]]:
    """Per synchronous architecture, one client at a time: the parts its front reports in its
    Server-Timing header (p50 of each), the rest of the server's total, and what is left of the
    client's p50 for HTTP, the server's framework and the client itself (ms)."""
    bars = []
    for arch in results.ordered():
        single = next((run for run in arch.throughput if run["concurrency"] == 1), None)
        timing = (single or {}).get("server_timing_p50_ms") or {}
        if not timing or single.get("p50_ms") is None:
            continue
        parts = {part: timing.get(part, 0.0) for part in TIMING_PARTS}
        total = timing.get("total", sum(parts.values()))
        parts["other, in the server"] = max(0.0, total - sum(parts.values()))
        parts["HTTP and client"] = max(0.0, single["p50_ms"] - total)
        bars.append((arch.name, parts, single["p50_ms"]))
    return bars


def _answer_later_bars(results: Results) -> list[tuple[str, dict[str, float], float]]:
    """Per architecture that answers later: the p50 of each part of its answers' time as the system
    recorded it, and the p50 the client timed until the answer was stored (s)."""
    return [(arch.name, {part: summarize(values).p50 / 1000.0 for part, values in arch.latency.parts_ms.items()},
             summarize(arch.latency.samples_ms).p50 / 1000.0)
            for arch in results.ordered() if arch.latency.parts_ms and arch.latency.samples_ms]


def _stacked(ax, bars: list[tuple[str, dict[str, float], float]], colours: dict[str, str], unit: str) -> None:
    """One horizontal stacked bar per architecture, its parts in `colours`' order (those some bar has),
    its total written after it."""
    present = {part: colour for part, colour in colours.items() if any(parts.get(part) for _, parts, _ in bars)}
    for row, (name, parts, total) in enumerate(bars):
        left = 0.0
        for part, colour in present.items():
            width = parts.get(part, 0.0)
            ax.barh(row, width, left=left, color=colour, edgecolor="white", label=part if row == 0 else None)
            left += width
        ax.text(left, row, f" {total:.2f} {unit}", va="center", fontsize=8)
    ax.set_yticks(range(len(bars)), [name for name, _, _ in bars])
    ax.invert_yaxis()
    ax.margins(x=0.12)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)


def time_split_chart(results: Results, path: Path) -> Path:
    """Where the time of one request goes: for the architectures that answer at once, the parts of
    their p50 (ms) from the Server-Timing header; for those that answer later, the parts of an
    answer's time (s) from the system's own timeline: the schedule, the scoring, the review."""
    later = _answer_later_bars(results)
    later_colours = dict(zip(dict.fromkeys(part for _, parts, _ in later for part in parts), LATER_COLOURS))
    panels = [(bars, colours, unit, label) for bars, colours, unit, label in (
        (_server_timing_bars(results), PART_COLOURS, "ms",
         "answers at once: ms at p50, one client (parts: p50 of each Server-Timing part; "
         "after each bar the client's p50)"),
        (later, later_colours, "s",
         "answers later: s at p50 (parts: p50 of each, from the request's timeline; after each bar the client's p50 "
         "until stored)"),
    ) if bars]
    fig = Figure(figsize=(10, 1.6 + 0.55 * sum(len(p[0]) + 1 for p in panels)), layout="constrained")
    if not panels:
        ax = fig.subplots()
        ax.text(0.5, 0.5, "no Server-Timing answers or answer timelines were measured", ha="center", va="center")
        ax.set_axis_off()
    else:
        axes = fig.subplots(len(panels), 1, squeeze=False, height_ratios=[len(p[0]) + 1 for p in panels])[:, 0]
        for ax, (bars, colours, unit, label) in zip(axes, panels):
            _stacked(ax, bars, colours, unit)
            ax.set_xlabel(label, fontsize=8.5)
    fig.suptitle("Where the time of one request goes")
    fig.savefig(path, dpi=100)
    return path


def throughput_chart(results: Results, path: Path) -> Path:
    """Requests/s against clients in flight, each architecture beside the constant-answer floors."""
    fig = Figure(figsize=(9, 4.5), layout="constrained")
    ax = fig.subplots()
    concurrencies = set()
    for (kind, runs), style in zip(sorted(results.throughput_floors.items()), FLOOR_STYLES):
        concurrencies |= {r["concurrency"] for r in runs}
        ax.plot([r["concurrency"] for r in runs], [r["requests_per_s"] for r in runs], linestyle=style[0],
                marker=style[1], color="#888888", label=f"floor: {kind}")
    for arch in results.ordered():
        if arch.throughput:
            line, = ax.plot([r["concurrency"] for r in arch.throughput], [r["requests_per_s"] for r in arch.throughput],
                            marker="o", label=arch.name)
            for r in arch.throughput:  # the repetitions' range, when the run repeated the measurement
                if len(r.get("rounds_requests_per_s", [])) > 1:
                    ax.vlines(r["concurrency"], min(r["rounds_requests_per_s"]), max(r["rounds_requests_per_s"]),
                              color=line.get_color(), linewidth=2, alpha=0.6)
    ax.set_xscale("log", base=2)
    ax.set_xticks(sorted(concurrencies), [str(c) for c in sorted(concurrencies)])
    ax.set_yscale("log")
    ax.set_xlabel("clients in flight (log scale)")
    ax.set_ylabel("answered requests/s (log scale)\nmedian repetition; bar: the repetitions' range")
    _titled(ax, "Throughput through the front door beside the constant-answer floors", results, SERVING)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8, ncols=2)
    else:
        ax.text(0.5, 0.5, "no throughput was measured", ha="center", va="center", transform=ax.transAxes)
    fig.savefig(path, dpi=100)
    return path


def scale_out_chart(results: Results, path: Path) -> Path:
    """What a second instance of the part each architecture scales bought: the rate with two
    instances divided by the rate with one, on a linear axis from 0 with 1x marked (no gain); the
    factor written on each bar, the repetitions' range as a line through it. The rates are in the
    scale-out table."""
    factors = [(f"{f['architecture']}\n{f['model_cost_ms']:g} ms per\n"
                # the knob is busy CPU per call of the model: one request's prediction, or a batch of a job's rows
                + ("request" if f["rate"] == "requests_per_s" else "batch call\n(rows/s)"), f["factor"], f["rounds"])
               for f in scale_factors(results.scale_out)]
    fig = Figure(figsize=(9, 4), layout="constrained")
    ax = fig.subplots()
    for i, (label, factor, each) in enumerate(factors):
        ax.bar(i, factor, width=0.6, color=ARCH_COLOUR)
        if len(each) > 1:
            ax.vlines(i, min(each), max(each), color="#222222", linewidth=1.5)
        ax.annotate(f"x{factor:.2f}" + (f"\n({min(each):.2f}-{max(each):.2f})" if len(each) > 1 else ""),
                    (i, max(factor, *each)), ha="center", va="bottom", fontsize=8, xytext=(0, 2),
                    textcoords="offset points")
    ax.axhline(1.0, color="#555555", linestyle="--", linewidth=1)
    ax.axhline(2.0, color="#bbbbbb", linestyle=":", linewidth=1)
    ax.set_xticks(range(len(factors)), [label for label, _, _ in factors], fontsize=7.5)
    ax.set_ylim(0, max([2.2, *(max(each) * 1.15 for _, _, each in factors)]))
    ax.set_ylabel("rate with 2 instances / with 1 (linear)\n1x: no gain, 2x: twice as much")
    if not factors:
        ax.text(0.5, 0.5, "not measured", ha="center", va="center", transform=ax.transAxes)
    repetitions = max((len(each) for _, _, each in factors), default=0)
    ax.set_title("Scale-out: what a second instance of the part each architecture scales bought"
                 + (f"\nmedian of {repetitions} repetitions, line: their range" if repetitions > 1 else
                    "\none repetition (quick run): no spread measured"), fontsize=10)
    fig.savefig(path, dpi=100)
    return path


CHARTS = {"latency.png": latency_chart, "throughput.png": throughput_chart, "time_split.png": time_split_chart,
          "scale_out.png": scale_out_chart, "update_timelines.png": timeline_chart, "coupling.png": coupling_chart}
