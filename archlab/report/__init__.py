"""The comparison report: one results dict in, a folder with results.json, PNG charts and index.html out."""

from .schema import Architecture, Event, Fault, Latency, Results, TimelinePoint, Update
from .writer import load_results, write_report

__all__ = [
    "Architecture", "Event", "Fault", "Latency", "Results", "TimelinePoint", "Update", "load_results", "write_report",
]
