"""A second application on the same model (the pricing report, `patterns.report_app`), observed
beside the front: the model copies both hold in memory, and which of the two apps a model update
had to restart."""

from __future__ import annotations

from patterns import http

from ..measure.footprint import Footprint


def _restarted(names: list[str], component: str) -> bool:
    return any(name == component or name.startswith(f"{component}-") for name in names)


def second_app_record(system, footprint: Footprint, update: dict, alone: Footprint) -> dict:
    """`footprint` measured with both apps up, `alone` just before the second app started (the same
    launch, so the same instances), `update` the system's report of the model update that followed
    (as a dict); the versions the second app priced with are read from its own report."""
    app = system.second_app_name
    report = http.call_json("GET", system.second_app_url + "/report", timeout=30)
    replaced = [*update["restarted"], *update["started"]]
    restarted = {"front": _restarted(replaced, system.front_name), app: _restarted(replaced, app)}
    return {
        "app": app,
        "model_copies": footprint.model_copies,
        "model_copies_alone": alone.model_copies,
        "model_copies_by_component": {p.component: p.model_runtime for p in footprint.processes if p.model_runtime},
        "rss_mib": footprint.rss_mib.get(app),
        "versions_after_update": report["model_versions"],
        "restarted_by_update": restarted,
        "apps_restarted": sum(restarted.values()),
    }
