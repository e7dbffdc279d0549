"""Matplotlib figures for the notebooks: a latency histogram of one load run, and the update
timeline drawn by the comparison report's own chart (one architecture), so both look alike."""

from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure

from shared_model.config import archlab_home

from ..measure.stats import summarize
from ..report import Architecture, Latency, Results, Update
from ..report.charts import ARCH_COLOUR, FAIL_COLOUR, time_split_chart, timeline_chart
from .traffic import describe_traffic, traffic


def latency_histogram(latencies_ms: list[float], title: str, failed: int = 0,
                      timed: str = "POST /predict through the front") -> Figure:
    """Distribution of the successful requests' latencies (`timed` says what was timed), p50 and
    p95 marked; the failures, which have no latency, are counted in the title."""
    summary = summarize(latencies_ms)
    fig = Figure(figsize=(8, 3), layout="constrained")
    ax = fig.subplots()
    ax.hist(latencies_ms, bins=40, color=ARCH_COLOUR)
    for label, value, colour in (("p50", summary.p50, "#333333"), ("p95", summary.p95, FAIL_COLOUR)):
        if value is not None:
            ax.axvline(value, color=colour, linestyle="--", label=f"{label} {value:.2f} ms")
    if latencies_ms:
        ax.legend()
    ax.set_xlabel(f"latency, ms ({timed})")
    ax.set_ylabel("requests")
    ax.set_title(f"{title}: {summary.n} answered, {failed} failed")
    return fig


def _report_chart(draw, architecture: Architecture, file_name: str) -> Path:
    """A report chart of one architecture's results, drawn to a PNG under ARCHLAB_HOME/charts."""
    folder = archlab_home() / "charts"
    folder.mkdir(parents=True, exist_ok=True)
    return draw(Results(floors={}, architectures={architecture.name: architecture}), folder / file_name)


def update_timeline(name: str, update: Update) -> Path:
    """PNG of the served version of every request during `update` (failures as red crosses)."""
    architecture = Architecture(name=name, latency=Latency("", "", []), update=update, faults={}, carries_model={})
    return _report_chart(timeline_chart, architecture, f"{name}-update.png")


def answer_split(name: str, answers: list) -> Path:
    """PNG of where the answers of a system that answers later spent their time (its `answer_time`
    results), drawn as the report's time split draws it."""
    architecture = Architecture(name=name, latency=Latency.from_answers(answers, "", ""), update=None, faults={},
                                carries_model={})
    return _report_chart(time_split_chart, architecture, f"{name}-answer-split.png")


def traffic_chart(system, requests: int = 200) -> Figure:
    """Send `requests` through the front (`traffic`), print the counts, return the latency histogram."""
    result = traffic(system, requests)
    print(describe_traffic(result))
    return latency_histogram(result.latencies_ms(), f"{system.architecture}, {requests} requests", len(result.failures))
