"""PNG charts of one `Results`, drawn with matplotlib's object API (no pyplot, no global backend),
so rendering a report never changes the plotting state of the notebook that called it."""

from __future__ import annotations

import math
from pathlib import Path

from matplotlib.figure import Figure

from .schema import Results

FLOOR_COLOUR = "#bbbbbb"
ARCH_COLOUR = "#4c72b0"
FAIL_COLOUR = "#c44e52"


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
        labels.append(arch.name if arch.latency.samples_ms else f"{arch.name} (no successful request)")
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
    ax.set_xlabel("latency, ms (log scale) - box p25-p75, line p50, whiskers p1-p99")
    ax.set_title("Latency per architecture beside its floor")
    fig.savefig(path, dpi=100)
    return path


def timeline_chart(results: Results, path: Path) -> Path:
    """Served version of every request during each update, failures in red, on one shared time
    axis (a 0.04 s update must look narrower than a 4 s one). Events are numbered lines, named in
    each panel's title, so events close in time never print over each other."""
    updates = [(a.name, a.update) for a in results.ordered() if a.update is not None]
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
        events = " · ".join(f"{number} {event.label}" for number, event in enumerate(update.events, start=1))
        ax.set_title(f"{name}: build {update.build_s:.2f} s, then {cost}; {update.failed} failed\n{events}",
                     fontsize=8.5)
    axes[-1].set_xlabel("seconds since traffic started")
    fig.savefig(path, dpi=100)
    return path


def coupling_chart(results: Results, path: Path) -> Path:
    """Heat map: share of requests that failed while each component was down (grey: no such part,
    or an external one archlab does not stop)."""
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
            ax.text(j, i, f"{fault.failed}/{fault.requests}\nfailed", ha="center", va="center", fontsize=8)
    image = ax.imshow(grid, cmap="RdYlGn_r", vmin=0, vmax=1, aspect="auto")
    fig.colorbar(image, ax=ax, label="share of requests failed")
    ax.set_xticks(range(len(components)), [f"{c} down" for c in components], rotation=20)
    ax.set_yticks(range(len(archs)), [a.name for a in archs])
    ax.set_title("What users get when one component is down")
    fig.savefig(path, dpi=100)
    return path


CHARTS = {"latency.png": latency_chart, "update_timelines.png": timeline_chart, "coupling.png": coupling_chart}
