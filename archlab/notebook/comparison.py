"""The comparison report read back for a notebook: the tradeoff table as a DataFrame and one
architecture's details as text. Timings keep their unit ("1.23 ms", "0.45 s") so nbval's
sanitizers mask them, while what carries a lesson (what an update touched, whether requests
failed, what users got with a component down) is compared as it is."""

from __future__ import annotations

import pandas as pd

from ..report import Results
from ..report.footing import OPERATING, SERVING, caption


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f} ms"


def _update_cost(update: dict | None) -> str:
    if update is None:
        return "not measured"
    return "never converged" if update["cost_s"] is None else f"{update['cost_s']:.2f} s"


def _failed_during_update(update: dict | None) -> str:
    """"none", or "some" with the count beside it: the count depends on timing, so it is printed in
    the words nbval's sanitizer masks (the notebooks' "some requests failed: N of the M sent")."""
    if update is None:
        return "not measured"
    if update["failed"] == 0:
        return "none"
    return f"some requests failed: {update['failed']} of the {len(update['timeline'])} sent"


def _faults(faults: dict) -> str:
    return "; ".join(f"{name} down: {fault['failed']}/{fault['requests']} failed" for name, fault in faults.items())


def _is_rate(name: str) -> bool:
    return name.endswith("_per_s")


def _figure(name: str, value: float) -> str:
    """A measured figure: seconds (`*_s`) with their unit, counts as they are. Rates such as the
    job's rows per second (`*_per_s`) are left to the report page: no sanitizer could mask them narrowly."""
    return f"{value:.2f} s" if name.endswith("_s") else str(value)


def ordered(results: dict) -> list[str]:
    """The measured architectures and their variants, in the report's order."""
    return [arch.name for arch in Results.from_dict(results).ordered()]


def tradeoff_table(results: dict) -> pd.DataFrame:
    """One row per architecture from a results.json dict, the columns of the report's tradeoff table."""
    rows = {}
    for name in ordered(results):
        arch = results["architectures"][name]
        summary, update = arch["latency"]["summary_ms"], arch["update"]
        rows[name] = {
            "p50": _ms(summary["p50"]),
            "p99": _ms(summary["p99"]),
            "update cost": _update_cost(update),
            "failed during update": _failed_during_update(update),
            "update strategy": update["strategy"].split(":")[0] if update else "not measured",
            "restarted on update": ", ".join(update["restarted"]) if update else "not measured",
            "app carries the model": arch["app_carries_model"],
        }
    return pd.DataFrame.from_dict(rows, orient="index")


def details(results: dict, name: str) -> str:
    """Everything measured for architecture `name`, as lines of text."""
    arch = results["architectures"][name]
    latency, update = arch["latency"], arch["update"]
    lines = [
        f"{name}",
        f"  latency: {latency['definition']}",
        (f"    p50 {_ms(latency['summary_ms']['p50'])}, p95 {_ms(latency['summary_ms']['p95'])}, "
         f"p99 {_ms(latency['summary_ms']['p99'])}; {latency['failed']} failed"),
    ]
    if update is not None:
        served = sorted({point["version"] for point in update["timeline"] if point["version"]})
        lines += [
            (f"  update {update['from_version']} -> {update['to_version']}: versions served {', '.join(served)}; "
             f"cost {_update_cost(update)}; failed requests: {_failed_during_update(update)}"),
            f"    strategy: {update['strategy']}",
            f"    restarted: {', '.join(update['restarted']) or 'nothing'}; rebuilt: {', '.join(update['rebuilt']) or 'nothing'}",
        ]
    if (naive := arch.get("naive_update")) is not None:
        lines.append(f"  the naive update (without its best practice): cost {_update_cost(naive)}; "
                     f"failed requests: {_failed_during_update(naive)}")
    lines.append("  with one component down, a user gets:")
    lines += [f"    {component} down -> {fault['user_sees']}" for component, fault in arch["faults"].items()]
    lines += [f"  {figure}: {_figure(figure, value)}" for figure, value in arch["figures"].items()
              if not _is_rate(figure) and (figure.endswith("_s") or isinstance(value, int))]
    lines += [f"  note: {note}" for note in arch["notes"]]
    return "\n".join(lines)


def _reached_users(drill: dict) -> str:
    if not drill:
        return "not drilled in a quick run"
    if drill.get("pages_on_bad_after_rollback"):  # the app carries the model: nobody can recall it
        return (f"yes, {drill['bad_answers']} answers from {len(drill['pages_on_bad_after_rollback'])} open "
                "page(s) still on it after the rollback")
    if drill["bad_answers"]:
        return f"yes, {drill['bad_answers']} answers before the rollback"
    return "no: the review gate rejected every v3 answer"


def footprint_lines(results: dict) -> list[str]:
    """Processes and model copies, then the same with a second application on the same model, each
    under the footing it was measured on (read from results.json): one app is measured with one
    user-facing instance each, the second app beside the launch used for the update (two instances
    where the whole app is what scales), so its copies are compared with the copies of that same
    launch just before the second app started, not with the first line. An architecture that answers
    later loads the model when its job first runs: its count at one instant is timing, so not shown."""
    names = ordered(results)
    footings = {name: results["architectures"][name].get("footing") or {} for name in names}
    cpus = results["machine"]["cpus"]
    lines = [f"one app ({caption(footings, SERVING, cpus) or 'footing not recorded'}):"]
    for name in names:
        footprint = results["architectures"][name]["footprint"]
        lines.append(f"  {name}: processes {len(footprint['processes'])}, model copies {footprint['model_copies']}")
    lines.append(f"a second app on the same model ({caption(footings, OPERATING, cpus) or 'footing not recorded'}):")
    for name in names:
        arch = results["architectures"][name]
        second = arch["second_app"]
        if not second:  # the model ships inside each app: no server-side model for a second app to share
            lines.append(f"  {name}: no second app launched: each app carries its own copy, "
                         f"{arch['footprint'].get('client_bundle_bytes', 'an unrecorded number of')} bytes each "
                         f"user downloads; the faulty model reached users: {_reached_users(arch['drill'])}")
            continue
        copies = (f"{second.get('model_copies_alone', 'not recorded')} -> {second['model_copies']} with the second app"
                  if not arch["capabilities"].get("answers_later") else "loaded by a worker at its first job, so the "
                  "count depends on whether one ran yet (not compared)")
        lines.append(f"  {name}: model copies {copies}; apps restarted "
                     f"by an update {second['apps_restarted']} of 2; the faulty model reached users: "
                     f"{_reached_users(arch['drill'])}")
    return lines
