"""`index.html`: the tradeoff table and the details, every number read from the results JSON.

Each number is written by `_num`, which takes the value's path in the JSON dict and stamps it on
the element (`data-json="architectures/api/latency/summary_ms/p50"`), so no figure on the page
can be typed in, and a test can check each one against `results.json`.
"""

from __future__ import annotations

from html import escape

from patterns.launch.architectures import ARCHITECTURES

from .charts import CHARTS
from .footing import OPERATING, SERVING, caption
from .numbers import fmt
from .paths import value_at
from .timing import timing_section

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; max-width: 80em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; vertical-align: top; text-align: left; }
th { background: #f2f2f2; }
.num { font-variant-numeric: tabular-nums; }
td.num { text-align: right; }
img { max-width: 100%; border: 1px solid #ddd; margin: 0.5em 0; }
small { color: #666; }
#tradeoffs { font-size: 0.9em; }
#tradeoff-details { font-size: 0.75em; }
.wide { overflow-x: auto; }
"""


def _num(data: dict, *path: str, cell: bool = False) -> str:
    value = value_at(data, *path)
    attrs = f'class="num" data-json="{escape("/".join(path))}"'
    tag = "td" if cell else "span"
    return f"<{tag} {attrs}>{escape(fmt(value))}</{tag}>"


# best -> worst, for the tradeoff table's cells (ranks from `profiles.rank_columns`)
RANK_COLOURS = ("#c7e9c0", "#e5f5e0", "#fff7bc", "#fee6ce", "#fdd0a2", "#fcbba1")


def _shade(data: dict, rank_key: str, name: str) -> str:
    """A style attribute colouring the cell by the architecture's rank in its column."""
    ranks = data.get("ranks", {}).get(rank_key, {})
    if name not in ranks or len(set(ranks.values())) < 2:
        return ""
    worst = max(ranks.values())
    step = (len(RANK_COLOURS) - 1) * (ranks[name] - 1) / max(1, worst - 1)
    return f' style="background:{RANK_COLOURS[round(step)]}" title="rank {ranks[name]} of {worst}"'


def _ranked(data: dict, rank_key: str, name: str, *path: str) -> str:
    """A table cell holding the number at `path`, coloured by its rank in column `rank_key`."""
    return _num(data, *path, cell=True).replace("<td ", f"<td{_shade(data, rank_key, name)} ", 1)


def _list(items) -> str:
    return escape(", ".join(items)) if items else "nothing"


def _strategy(update: dict) -> str:
    """The strategy's name, its description on hover (and in the details below)."""
    name, _, description = update["strategy"].partition(": ")
    return f'<span title="{escape(description)}">{escape(name)}</span>'


def _tradeoff_rows(data: dict, names: list[str]) -> str:
    rows = []
    for name in names:
        arch = data["architectures"][name]
        base = ("architectures", name)
        floor = arch["latency"]["floor"]
        update = arch["update"]
        faults = "<br>".join(
            f"{escape(component)} down: {_num(data, *base, 'faults', component, 'failed')}/"
            f"{_num(data, *base, 'faults', component, 'requests')} failed"
            if fault.get("breakable", True) else f"{escape(component)}: external, not stopped by archlab"
            for component, fault in sorted(arch["faults"].items())
        )
        missing = "<td>-</td>"
        rows.append(
            "<tr>"
            f"<th>{escape(name)}</th>"
            + _ranked(data, "p50_ms", name, *base, "latency", "summary_ms", "p50")
            + _ranked(data, "p99_ms", name, *base, "latency", "summary_ms", "p99")
            + f"<td>{escape(floor)}: "
            + (_num(data, "floors", floor, "summary_ms", "p50") if floor in data["floors"] else "not measured")
            + "</td>"
            + _ranked(data, "p50_over_floor", name, *base, "p50_over_floor")
            + f"<td>{_strategy(update) if update else '-'}</td>"
            + (_ranked(data, "update_build_s", name, *base, "update", "build_s") if update else missing)
            + (_ranked(data, "update_switch_s", name, *base, "update", "cost_s") if update else missing)
            + (_ranked(data, "update_failed", name, *base, "update", "failed") if update else missing)
            + f"<td{_shade(data, 'update_restarted', name)}>{_list(update['restarted']) if update else '-'}</td>"
            + f"<td>{_rebuilt(update) if update else '-'}</td>"
            + f"<td>{faults or 'no component declared'}</td>"
            + f"<td{_shade(data, 'app_carries_model', name)}>{fmt(arch['app_carries_model'])}</td>"
            + (_ranked(data, "rss_mib", name, *base, "footprint", "rss_mib", "total") if arch.get("footprint") else missing)
            + (_ranked(data, "second_app_copies", name, *base, "second_app", "model_copies")
               if arch.get("second_app") else missing)
            + (_ranked(data, "apps_restarted", name, *base, "second_app", "apps_restarted")
               if arch.get("second_app") else missing)
            + (_ranked(data, "bad_answers", name, *base, "drill", "bad_answers") if arch.get("drill") else missing)
            + (_ranked(data, "rollback_s", name, *base, "drill", "rollback_s") if arch.get("drill") else missing)
            + f"<td{_shade(data, 'review_gate', name)}>{fmt(bool(arch['capabilities'].get('review_gate')))}</td>"
            "</tr>"
        )
    return "\n".join(rows)


def _range(data: dict, *path: str) -> str:
    """The lowest to the highest of a list of repetitions at `path`, each a JSON number; empty for fewer than two."""
    values = data
    for key in path:
        values = values.get(key) if isinstance(values, dict) else None
    if not isinstance(values, list) or len(values) < 2:
        return ""
    low, high = values.index(min(values)), values.index(max(values))
    return f"<br><small>{_num(data, *path, str(low))} to {_num(data, *path, str(high))}</small>"


def _scale_cell(data: dict, name: str) -> str:
    """The factor a second instance of its scaled part bought, with the model-cost knob (a heavier model)."""
    for i, factor in enumerate(data.get("scale_factors", [])):
        if factor["architecture"] == name and factor["model_cost_ms"]:
            return (f"<td>&times;{_num(data, 'scale_factors', str(i), 'factor')}"
                    f"{_range(data, 'scale_factors', str(i), 'rounds')}<br><small>{escape(factor['scaled'])}</small></td>")
    return "<td>-</td>"


def _lecture_rows(data: dict, names: list[str]) -> str:
    """The lecture's own columns: latency, update cost, coupling, complexity, scale, review."""
    rows = []
    for name in names:
        arch, base = data["architectures"][name], ("architectures", name)
        update = arch["update"]
        later = ("<br><small>answers later</small>" if arch["capabilities"].get("answers_later") else
                 "<br><small>in the client, no network</small>" if arch["capabilities"].get("predicts_in_client") else "")
        rows.append(
            f"<tr><th>{escape(name)}{later}</th>"
            + _ranked(data, "p50_ms", name, *base, "latency", "summary_ms", "p50")
            + f"<td{_shade(data, 'p99_ms', name)}>{_num(data, *base, 'latency', 'summary_ms', 'p99')}"
              f"{_range(data, *base, 'latency', 'rounds', 'p99_ms')}</td>"
            + (f"<td{_shade(data, 'update_switch_s', name)}>{_strategy(update)}: "
               + (f"{_num(data, *base, 'update', 'cost_s')} s" if update["cost_s"] is not None else "never")
               + f" to all-new, {_num(data, *base, 'update', 'failed')} failed"
               f"<br><small>build {_num(data, *base, 'update', 'build_s')} s</small></td>" if update else "<td>-</td>")
            + f"<td>{_num(data, *base, 'coupling', 'failing_users')} of {_num(data, *base, 'coupling', 'parts_down')} "
              "parts fail users when down</td>"
            + (f"<td>processes: {_num(data, *base, 'process_count')}<br>"
               f"{_num(data, *base, 'footprint', 'code_lines')} lines of its own code</td>"
               if arch.get("footprint") else "<td>-</td>")
            + _scale_cell(data, name)
            + f"<td{_shade(data, 'review_gate', name)}>{fmt(bool(arch['capabilities'].get('review_gate')))}</td></tr>")
    return "\n".join(rows)


def _latency_rows(data: dict, names: list[str]) -> str:
    rows = []
    for name in names:
        latency = data["architectures"][name]["latency"]
        base = ("architectures", name, "latency")
        cells = "".join(_num(data, *base, "summary_ms", k, cell=True) for k in ("n", "mean", "p50", "p95", "p99", "max"))
        rows.append(
            f"<tr><th>{escape(name)}</th>{cells}{_num(data, *base, 'failed', cell=True)}"
            f"<td>{escape(latency['definition'])}</td></tr>"
        )
    for floor_name, floor in sorted(data["floors"].items()):
        base = ("floors", floor_name)
        cells = "".join(_num(data, *base, "summary_ms", k, cell=True) for k in ("n", "mean", "p50", "p95", "p99", "max"))
        rows.append(
            f"<tr><th>floor: {escape(floor_name)}</th>{cells}{_num(data, *base, 'failed', cell=True)}"
            f"<td>{escape(floor['description'])}</td></tr>"
        )
    return "\n".join(rows)


def _below_floor(data: dict, names: list[str]) -> str:
    """Each architecture whose p50 came out below its own floor's, flagged and explained."""
    items = []
    for name in names:
        arch = data["architectures"][name]
        floor = data["floors"].get(arch["latency"]["floor"])
        p50 = arch["latency"]["summary_ms"]["p50"]
        if floor and p50 is not None and floor["summary_ms"]["p50"] is not None and p50 < floor["summary_ms"]["p50"]:
            base = ("architectures", name, "latency", "summary_ms", "p50")
            items.append(f"<li><b>{escape(name)}</b>: p50 {_num(data, *base)} ms, below its floor "
                         f"{escape(arch['latency']['floor'])} ({_num(data, 'floors', arch['latency']['floor'], 'summary_ms', 'p50')}"
                         " ms). The floor is measured once, with its own minimal server and client, at another moment "
                         "of the run: where the architecture's own path is leaner than that stand-in (or the machine "
                         "was less loaded), the floor is no lower bound, and the ratio to it says little.</li>")
    return f'<ul id="below-floor">{"".join(items)}</ul>' if items else ""


def _fault_rows(data: dict, names: list[str]) -> str:
    rows = []
    for name in names:
        for component, fault in sorted(data["architectures"][name]["faults"].items()):
            statuses = ", ".join(
                f"{escape(status)} &times; {_num(data, 'architectures', name, 'faults', component, 'statuses', status)}"
                for status in sorted(fault["statuses"])
            )
            rows.append(
                f"<tr><th>{escape(name)}</th><td>{escape(component)}</td><td>{statuses or '-'}</td>"
                f"<td>{escape(fault['user_sees'])}</td></tr>"
            )
    return "\n".join(rows)


def _figure_rows(data: dict, names: list[str]) -> str:
    return "\n".join(
        f"<tr><th>{escape(name)}</th><td>{escape(key)}</td>{_num(data, 'architectures', name, 'figures', key, cell=True)}</tr>"
        for name in names
        for key in sorted(data["architectures"][name].get("figures", {}))
    )


def _throughput_cells(data: dict, base: tuple[str, ...], runs: list[dict], floor_runs: list[dict]) -> str:
    """Per concurrency: requests/s (and its share of the floor's at the same concurrency), p50, p99,
    failed of sent, and the measuring client's own CPU per request."""
    cells = []
    for i, run in enumerate(runs):
        at = (*base, str(i))
        floor = next((f for f in floor_runs if f["concurrency"] == run["concurrency"]), None)
        share = f" <small>({fmt(run['requests_per_s'] / floor['requests_per_s'])}&times; floor)</small>" \
            if floor and floor["requests_per_s"] else ""
        cells.append(
            f"<td>c={run['concurrency']}: {_num(data, *at, 'requests_per_s')}/s{share}<br>"
            f"p50 {_num(data, *at, 'p50_ms')} · p99 {_num(data, *at, 'p99_ms')} ms<br>"
            f"{_num(data, *at, 'failed')}/{_num(data, *at, 'sent')} failed · client "
            f"{_num(data, *at, 'client_cpu_ms_per_request')} ms CPU/request</td>")
    return "".join(cells)


def _throughput_rows(data: dict, names: list[str]) -> str:
    floors = data.get("throughput_floors", {})
    rows = [f"<tr><th>floor: {escape(kind)}</th>"
            f"{_throughput_cells(data, ('throughput_floors', kind), runs, [])}</tr>"
            for kind, runs in sorted(floors.items())]
    for name in names:
        runs = data["architectures"][name].get("throughput") or []
        if runs:
            rows.append(f"<tr><th>{escape(name)}</th>"
                        f"{_throughput_cells(data, ('architectures', name, 'throughput'), runs, floors.get('flask_constant', []))}</tr>")
    return "\n".join(rows)


def _scale_out_rows(data: dict) -> str:
    rows = []
    for i, run in enumerate(data.get("scale_out", [])):
        at, throughput = ("scale_out", str(i)), run["throughput"]
        if "requests_per_s" in throughput:  # through the front door by concurrent clients
            load = (_num(data, *at, "throughput", "concurrency", cell=True)
                    + f"<td class=\"num\">{_num(data, *at, 'throughput', 'requests_per_s')} requests/s</td>"
                    + _num(data, *at, "throughput", "p50_ms", cell=True)
                    + f"<td>{_num(data, *at, 'throughput', 'failed')}/{_num(data, *at, 'throughput', 'sent')}</td>")
        else:  # a job's workers scoring stored rows
            load = (f"<td>{_num(data, *at, 'throughput', 'rows')} stored rows</td>"
                    f"<td class=\"num\">{_num(data, *at, 'throughput', 'rows_per_s')} rows/s</td><td>-</td><td>-</td>")
        cpu = "<br>".join(f"{escape(process)}: {_num(data, *at, 'cpu_s_by_process', process)}"
                          for process in sorted(run["cpu_s_by_process"]))
        rows.append(
            f"<tr><th>{escape(run['architecture'])}</th><td>{escape(run['scaled'])}</td>"
            + _num(data, *at, "instances", cell=True) + _num(data, *at, "model_cost_ms", cell=True)
            + load + _num(data, *at, "rss_mib_each", cell=True) + f"<td>{cpu or '-'}</td></tr>")
    return "\n".join(rows)


def _drill_rows(data: dict, names: list[str]) -> str:
    rows = []
    for name in names:
        drill = data["architectures"][name].get("drill")
        if not drill:
            continue
        base = ("architectures", name, "drill")
        rows.append(
            f"<tr><th>{escape(name)}</th>"
            + "".join(_num(data, *base, key, cell=True)
                      for key in ("requests", "bad_answers", "detected_after_s", "rollback_s", "failed"))
            + f"<td>{escape(drill.get('rollback_strategy', ''))}"
            + (f"<br><small>{escape(drill['footing'])}</small>" if drill.get("footing") else "") + "</td></tr>")
    return "\n".join(rows)


def _guards_table(data: dict, names: list[str]) -> str:
    """The guards' table, or why it has no row in this run."""
    rows = _guard_rows(data, names)
    if not rows:
        why = ("a quick run leaves the guard drills out (`archlab compare` runs them; each guard also has tests "
               "of its own)" if data.get("quick") else "no architecture offered a guard")
        return f"<p>Not measured in this run: {why}.</p>"
    return f"""<table id="guards">
<tr><th>architecture</th><th>guard</th><th>outcome</th><th>answers users got from the faulty model</th>
<th>decided after s</th><th>failed</th><th>requests</th><th>extra processes</th><th>extra memory MiB</th>
<th>users' p50 ms before / while live</th><th>shadow agreement</th><th>shadow call p50 ms</th></tr>
{rows}
</table>"""


def _guard_rows(data: dict, names: list[str]) -> str:
    """One row per architecture and guard it offered (`drill.guards`, archlab.compare.guards)."""
    rows = []
    for name in names:
        for i, guard in enumerate((data["architectures"][name].get("drill") or {}).get("guards", [])):
            at = ("architectures", name, "drill", "guards", str(i))
            title = f' title="{escape(guard["reason"])}"' if guard.get("reason") else ""
            rows.append(
                f"<tr><th>{escape(name)}</th>"
                f"<td title=\"{escape(guard.get('strategy', ''))}\">{escape(guard['guard'])}</td>"
                f"<td{title}>{escape(guard['outcome'])}</td>"
                + "".join(_num(data, *at, key, cell=True)
                          for key in ("bad_answers", "decided_after_s", "failed", "requests", "extra_processes",
                                      "extra_rss_mib"))
                + f"<td>{_num(data, *at, 'p50_ms_before')} / {_num(data, *at, 'p50_ms_during')}</td>"
                + _observed(data, at, "agreement").replace(
                    "<td ", f'<td title="within {fmt(value_at(data, *at, "observed", "agree_within"))} relative" ', 1)
                + _observed(data, at, "shadow_ms_p50") + "</tr>")
    return "\n".join(rows)


def _observed(data: dict, at: tuple, key: str) -> str:
    """A cell with what the guard's system counted under `key`, a dash where its kind has no such count."""
    return _num(data, *at, "observed", key, cell=True) if key in value_at(data, *at, "observed") else "<td>-</td>"


def _footprint_rows(data: dict, names: list[str]) -> str:
    rows = []
    for name in names:
        footprint = data["architectures"][name].get("footprint")
        if not footprint:
            continue
        base = ("architectures", name, "footprint")
        rows.append(
            f"<tr><th>{escape(name)}</th><td class=\"num\">{len(footprint['processes'])}</td>"
            + _num(data, *base, "rss_mib", "total", cell=True)
            + _num(data, *base, "app_environment_mib", cell=True)
            + _num(data, *base, "model_copies", cell=True)
            + _num(data, *base, "code_lines", cell=True)
            + (_num(data, *base, "client_bundle_bytes", cell=True) if "client_bundle_bytes" in footprint else "<td>-</td>")
            + f"<td>{_list(sorted({p['component'] for p in footprint['processes']}))}</td></tr>")
    return "\n".join(rows)


def _second_app_rows(data: dict, names: list[str]) -> str:
    rows = []
    for name in names:
        second = data["architectures"][name].get("second_app")
        if not second:
            continue
        base = ("architectures", name, "second_app")
        restarted = [app for app, yes in second["restarted_by_update"].items() if yes]
        rows.append(
            f"<tr><th>{escape(name)}</th>" + _num(data, *base, "model_copies", cell=True)
            + f"<td>{_list(sorted(second['model_copies_by_component']))}</td>"
            + f"<td>{_list(restarted)}</td><td>{_list(second['versions_after_update'])}</td></tr>")
    return "\n".join(rows)


def _best_fit(verdict: dict) -> str:
    if not verdict["best"]:
        return ""
    if len(verdict["best"]) > 1 and "too close" in verdict["prefer"]:
        return f" Best fit: too close to call between <b>{_list(verdict['best'])}</b> ({escape(verdict['prefer'])})."
    return f" Best fit: <b>{_list(verdict['best'])}</b> ({escape(verdict['prefer'])})."


def _profile_items(data: dict) -> str:
    items = []
    for verdict in data.get("profiles", []):
        fits = _list(verdict["fits"]) if verdict["fits"] else "none"
        fails = "".join(f"<li>{escape(arch)}: {escape(why)}</li>" for arch, why in sorted(verdict["fails"].items()))
        close = "".join(f"<li>{escape(arch)}: {escape(why)}</li>"
                        for arch, why in sorted(verdict.get("too_close", {}).items()))
        unmeasured = f" Not measured in this run: {_list(sorted(verdict['not_measured']))}." \
            if verdict["not_measured"] else ""
        items.append(f"<li><b>{escape(verdict['name'])}</b> ({escape(verdict['requirement'])}): fits "
                     f"{fits}.{_best_fit(verdict)}{unmeasured}<ul>{fails}{close}</ul></li>")
    return "\n".join(items)


def _repetitions(data: dict) -> str:
    count = data.get("repetitions", 1)
    if count > 1:
        return (f"Latency, throughput and scale-out were each measured {count} times, the architectures taking "
                "turns in every repetition; a figure shows the pooled value with the spread of the repetitions, and "
                "a requirement whose limit lies inside that spread is too close to call on this machine.")
    return ("One repetition (a quick run): no spread was measured, so a verdict here cannot tell a close call "
            "from a clear one; the full run repeats each measurement 3 times.")


def _target_rows(data: dict) -> str:
    return "\n".join(
        f"<tr><td>{escape(target['description'])}</td>{_num(data, 'targets', key, 'measured', cell=True)}"
        f"<td>{escape(target['op'])} {_num(data, 'targets', key, 'target')}</td>"
        f"<td>{'not measured' if target['met'] is None else fmt(target['met'])}</td></tr>"
        for key, target in data.get("targets", {}).items()
    )


def _namespace_rows(data: dict, names: list[str]) -> str:
    return "\n".join(
        f"<tr><th>{escape(name)}</th><td>{escape(kind)}</td><td>{escape(where)}</td></tr>"
        for name in names
        for kind, where in sorted(data["architectures"][name].get("namespace", {}).items())
    )


def _footings(data: dict, names: list[str]) -> dict[str, dict]:
    return {name: data["architectures"][name].get("footing") or {} for name in names}


def _footing_items(data: dict, names: list[str]) -> str:
    """The footing of each measurement, then what could not be matched, beside the architecture."""
    footings, cpus = _footings(data, names), data["machine"]["cpus"]
    items = [f"<li>{escape(line)}</li>" for line in (caption(footings, SERVING, cpus), caption(footings, OPERATING, cpus))
             if line]
    most = max((f[OPERATING]["front_instances"] for f in footings.values() if OPERATING in f), default=0)
    fewer = [name for name, f in footings.items() if OPERATING in f and f[OPERATING]["front_instances"] < most]
    if fewer:
        items.append(f"<li><b>{_list(fewer)}</b>: fewer user-facing instances than the others' {most} for the "
                     "update, drill and faults: one front by design; the update reaches the part behind it</li>")
    items += [f"<li><b>{escape(name)}</b> answers later: its latency is submission until the answer is stored, and it "
              "has no requests/s (its figure is the job's rows/s): not comparable with an answer at once</li>"
              for name in names if data["architectures"][name]["capabilities"].get("answers_later")]
    items += [f"<li><b>{escape(name)}</b> predicts in the client: its latency is one prediction in the client's own "
              "JavaScript engine, no network (the others' is an HTTP round trip: not the same thing), it has no "
              "requests/s (no server answers a prediction) and no second app (each app carries its own model); "
              "its update is a release, and its switch time counts the pages opened before it too (the new "
              "visitors' own is in the open clients' table)</li>"
              for name in names if data["architectures"][name]["capabilities"].get("predicts_in_client")]
    return f'<ul id="footing">{"".join(items)}</ul>' if items else ""


def _rebuilt(update: dict) -> str:
    """What the update rewrote, by count: entries and files (the paths are in the JSON and on hover)."""
    files = sum(int(item.rsplit("(", 1)[1].split()[0]) if item.endswith(" files)") else 1 for item in update["rebuilt"])
    title = escape("; ".join(update["rebuilt"]))
    if not update["rebuilt"]:
        return "nothing"
    entries = len(update["rebuilt"])
    return (f'<span title="{title}">{entries} entr{"ies" if entries > 1 else "y"}, '
            f'{files} file{"s" if files > 1 else ""}</span>')


def _strategy_rows(data: dict, names: list[str]) -> str:
    """Each architecture's update strategies, the naive one first where both were measured."""
    rows = []
    for name in names:
        arch = data["architectures"][name]
        for key in ("naive_update", "update"):
            update = arch.get(key)
            if not update:
                continue
            base = ("architectures", name, key)
            restarts = ", ".join(f"{component} &times; {_num(data, *base, 'restarts', component)}"
                                 for component in sorted(update.get("restarts", {}))) or "none"
            rows.append(
                f"<tr><th>{escape(name)}</th><td>{_strategy(update)}</td>"
                + _num(data, *base, "failed", cell=True) + _num(data, *base, "build_s", cell=True)
                + _num(data, *base, "cost_s", cell=True)
                + f"<td>{restarts}</td>" + _num(data, *base, "extra_rss_mib", cell=True)
                + f"<td>{_rebuilt(update)}</td></tr>")
    return "\n".join(rows)


def _open_pages_rows(data: dict, names: list[str]) -> str:
    """Where the update reaches each client separately (the app carries the model): the new
    visitors' switch, and the share of pages opened before the release still on the old model."""
    rows = []
    for name in names:
        update = data["architectures"][name]["update"] or {}
        pages = update.get("details", {}).get("open_pages")
        if pages is None:
            continue
        base = ("architectures", name, "update", "details")
        if isinstance(pages, str):
            shares, cold = escape(pages), "<td></td>"
        else:
            cold = _num(data, *base, "open_pages", "cold_load_to_first_price_p50_ms", cell=True)
            shares = ", ".join(f"{_num(data, *base, 'open_pages', 'share_on_old', t)} at {escape(t)} s"
                               for t in pages["share_on_old"])
            shares += f"<br><small>{escape(pages['footing'])}; manifest polled every {pages['poll_seconds']:g} s</small>"
        rows.append(f"<tr><th>{escape(name)}</th>" + _num(data, *base, "new_visitors_switch_s", cell=True)
                    + cold + f"<td>{shares}</td></tr>")
    if not rows:
        return ""
    return ("<h3>Open clients after a release</h3><table id=\"open-clients\"><tr><th>architecture</th>"
            "<th>switch s for new visitors<br><small>built &rarr; every new visitor gets it</small></th>"
            "<th>cold page load, ms p50<br><small>navigation &rarr; first price, nothing cached</small></th>"
            "<th>share of the pages open before the release still on the old model</th></tr>"
            + "\n".join(rows) + "</table>")


def _unavailable(data: dict) -> str:
    items = [f"<li><b>{escape(name)}</b>: not measured: {escape(why)}</li>"
             for name, why in sorted(data.get("unavailable", {}).items())]
    return f"<h2>Not measured in this run</h2><ul>{''.join(items)}</ul>" if items else ""


def _notes(data: dict, names: list[str]) -> str:
    """How each architecture was updated (the strategy in full), then its notes."""
    items = []
    for name in names:
        arch = data["architectures"][name]
        if arch["update"]:
            items.append(f"<li><b>{escape(name)}</b> was updated by {escape(arch['update']['strategy'])}</li>")
        items += [f"<li><b>{escape(name)}</b>: {escape(note)}</li>" for note in arch["notes"]]
    return f"<h2>How each was updated, and notes</h2><ul>{''.join(items)}</ul>" if items else ""


def _load(data: dict) -> str:
    """The machine's load average as the run ended, when the results recorded it."""
    if "load_average" not in data["machine"]:
        return ""
    return (", load average " + " / ".join(_num(data, "machine", "load_average", str(i)) for i in range(3))
            + " over 1 / 5 / 15 minutes as the run ended")


def render_page(data: dict, names: list[str], plan: str = "") -> str:
    """The whole page for the results dict `data`, architectures in the order of `names`; `plan`
    is the capacity plan's HTML section (archlab.plan.section), shown before the charts."""
    machine = data["machine"]
    charts = "\n".join(f'<p><img src="{escape(name)}" alt="{escape(name)}"></p>' for name in CHARTS)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>archlab comparison {escape(data['created'])}</title>
<style>{STYLE}</style></head><body>
<h1>archlab: {len(ARCHITECTURES)} ways to serve one model, measured</h1>
<p>Run {escape(data['created'])}{' (quick)' if data['quick'] else ''} on {escape(machine['platform'])},
Python {escape(machine['python'])}, {_num(data, 'machine', 'cpus')} CPUs{_load(data)}. Every number below is read from
<a href="results.json">results.json</a>; latencies are in milliseconds, percentiles by
{escape(data['percentile_method'])}, over every successful request.</p>
<h2>On what footing</h2>
{_footing_items(data, names)}

<h2>Tradeoffs</h2>
<p>The lecture's own columns; the numbers behind them are in the details below.</p>
<table id="tradeoffs">
<tr><th>architecture</th><th>p50 ms</th><th>p99 ms<br><small>range over the repetitions</small></th>
<th>update cost<br><small>the architecture's way; both ways below</small></th><th>coupling</th>
<th>complexity</th><th>scale<br><small>a second instance, heavier model</small></th><th>reviewed before use</th></tr>
{_lecture_rows(data, names)}
</table>

<h2>Tradeoff details</h2>
<div class="wide"><table id="tradeoff-details">
<tr><th>architecture</th><th>p50 ms</th><th>p99 ms</th><th>floor p50 ms</th><th>p50 &divide; floor</th>
<th>model update strategy</th>
<th>build s<br><small>building, installing or loading the new model: no strategy avoids it</small></th>
<th>switch s<br><small>built &rarr; every answer carries it: a better strategy could shorten it</small></th>
<th>failed during update</th><th>restarted on model update<br><small>process id changed</small></th>
<th>rebuilt on model update<br><small>entries and files written, state rewritten</small></th>
<th>when a component is down</th><th>user-facing app carries scikit-learn and the model</th>
<th>resident memory MiB<br><small>every process it runs</small></th>
<th>model copies in memory<br><small>with a second app on the same model</small></th>
<th>apps restarted by an update<br><small>of the front and the second app</small></th>
<th>answers users got from a faulty model</th><th>rollback s<br><small>detection &rarr; every answer good</small></th>
<th>predictions reviewed before use</th></tr>
{_tradeoff_rows(data, names)}
</table></div>
<p><small>Cells are coloured from best (green) to worst (orange) within each column, from the measured values.</small></p>

<h2>Model updates: each architecture's strategies</h2>
<p>Where an architecture has a naive way and its practitioners' way, both were measured under the same
steady traffic, each in a launch of its own. Restarts are process ids seen while the update was watched;
extra memory is the peak during the update above the memory before it.</p>
<table id="update-strategies">
<tr><th>architecture</th><th>strategy</th><th>failed requests</th><th>build s</th><th>switch s<br><small>built
&rarr; every answer new</small></th><th>restarts</th><th>extra memory during the switch MiB</th>
<th>rebuilt</th></tr>
{_strategy_rows(data, names)}
</table>
{_open_pages_rows(data, names)}

<h2>Which architecture fits which requirements</h2>
<p>"There is no best architecture, only the set of tradeoffs that best fits the system's requirements":
each requirement below is checked against this run's numbers. {escape(_repetitions(data))}</p>
<ul id="profiles">
{_profile_items(data)}
</ul>

<h2>Latency and floors</h2>
<table id="latency">
<tr><th></th><th>n</th><th>mean</th><th>p50</th><th>p95</th><th>p99</th><th>max</th><th>failed</th><th>what was timed</th></tr>
{_latency_rows(data, names)}
</table>
{_below_floor(data, names)}

<h2>Throughput under concurrent load</h2>
<p>POST /predict spread over every front instance by 1, 8 and 32 clients in flight, beside the constant-answer
floors at the same concurrency; the share of the floor is against the Flask route's (the framework's floor).
The client's own CPU per request is measured so a reader sees what the measuring costs.</p>
<table id="throughput">
<tr><th></th><th colspan="3">requests/s, latency and failures per concurrency</th></tr>
{_throughput_rows(data, names)}
</table>

<h2>Scale-out</h2>
<p>One and two instances of the part each architecture scales (the whole app when nothing scales on its
own); the CPU each process of that part used shows which did the work. With the model-cost knob
(MODEL_COST_MS, busy CPU per prediction in the model's process) the model stands in for a heavier one:
on 2 cores a model this cheap cannot show scale-out honestly.</p>
<table id="scale-out">
<tr><th>architecture</th><th>scaled part</th><th>instances</th><th>model cost ms</th><th>clients</th><th>rate</th>
<th>p50 ms</th><th>failed</th><th>memory per instance MiB</th><th>CPU s per process during the run</th></tr>
{_scale_out_rows(data)}
</table>

<h2>Operational footprint</h2>
<table id="footprint">
<tr><th>architecture</th><th>processes</th><th>resident memory MiB</th><th>user-facing app's environment MiB<br>
<small>installed packages its process imported</small></th><th>model copies in memory</th>
<th>lines of serving code (<code>patterns/&lt;arch&gt;/</code> without the lab's <code>lab/</code>)</th>
<th>bytes each user downloads<br><small>where the app carries the model: its bundle, model included</small></th><th>components</th></tr>
{_footprint_rows(data, names)}
</table>

<h2>A second application on the same model</h2>
<table id="second-app">
<tr><th>architecture</th><th>model copies with both apps</th><th>processes holding a model</th>
<th>restarted by the model update</th><th>versions the second app priced with after the update</th></tr>
{_second_app_rows(data, names)}
</table>

<h2>A bad model's reach (the drill)</h2>
<p>A faulty model (prices in the wrong unit) rolled out under traffic the architecture's own way, detected
by a monitor applying the plausibility rule to the answers users got, and rolled back.</p>
<table id="drill">
<tr><th>architecture</th><th>requests</th><th>answers from the faulty model</th><th>detected after s</th>
<th>rollback s</th><th>failed</th><th>how it was rolled back</th></tr>
{_drill_rows(data, names)}
</table>

<h2>Guards against a bad model</h2>
<p>The same faulty model released under each guard an architecture offers, on the drill's footing and
traffic, decided by the system itself: a canary takes a share of the calls and is aborted at its first
answer the plausibility rule flags (promoted after its watch otherwise); a shadow scores a copy of every
call, no user sees its answers, and is rejected when the rule flags one. Decided after: from the guard
taking traffic to its decision, on the system's clock. Extra memory: the processes the guard started,
measured while it ran. Users' p50 before the release / while the guard was live; agreement: the share
of the shadow's prices within the system's stated tolerance of the served ones (in the cell's title).</p>
{_guards_table(data, names)}

<h2>Targets on this machine</h2>
<table id="targets">
<tr><th>target</th><th>measured</th><th>target</th><th>met</th></tr>
{_target_rows(data)}
</table>

<h2>Other measured figures</h2>
<table id="figures">
<tr><th>architecture</th><th>figure</th><th>value</th></tr>
{_figure_rows(data, names)}
</table>

<h2>Faults</h2>
<table id="faults">
<tr><th>architecture</th><th>component down</th><th>answers</th><th>what the user gets</th></tr>
{_fault_rows(data, names)}
</table>
{_notes(data, names)}
{_unavailable(data)}
{timing_section(data)}
<h2>Where each run worked</h2>
<p>Each architecture ran in a namespace of its own (topic, queue, database or files), removed when it
stopped, so the measurement never touched a live topic, table or queue of the user's.</p>
<table id="namespaces">
<tr><th>architecture</th><th>resource</th><th>name</th></tr>
{_namespace_rows(data, names)}
</table>
{plan}
<h2>Charts</h2>
{charts}
</body></html>
"""
