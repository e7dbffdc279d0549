"""`index.html`: the tradeoff table and the details, every number read from the results JSON.

Each number is written by `_num`, which takes the value's path in the JSON dict and stamps it on
the element (`data-json="architectures/api/latency/summary_ms/p50"`), so no figure on the page
can be typed in, and a test can check each one against `results.json`.
"""

from __future__ import annotations

from html import escape

from .charts import CHARTS

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; max-width: 80em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; vertical-align: top; text-align: left; }
th { background: #f2f2f2; }
.num { font-variant-numeric: tabular-nums; }
td.num { text-align: right; }
img { max-width: 100%; border: 1px solid #ddd; margin: 0.5em 0; }
small { color: #666; }
"""


def fmt(value) -> str:
    """Numbers as shown: 3 significant figures below 10, fewer decimals above, `-` for missing."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:,.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def _get(data: dict, path: tuple[str, ...]):
    for key in path:
        data = None if data is None else data[key]
    return data


def _num(data: dict, *path: str, cell: bool = False) -> str:
    value = _get(data, path)
    attrs = f'class="num" data-json="{escape("/".join(path))}"'
    tag = "td" if cell else "span"
    return f"<{tag} {attrs}>{escape(fmt(value))}</{tag}>"


def _list(items) -> str:
    return escape(", ".join(items)) if items else "nothing"


def _short_paths(items) -> str:
    """Files written, each shortened to its last two path parts (the full paths are in the JSON)."""
    def short(item: str) -> str:
        path, _, count = item.partition(" (")
        return "/".join(path.split("/")[-2:]) + (f" ({count}" if count else "")
    return _list([short(item) for item in items])


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
        rows.append(
            "<tr>"
            f"<th>{escape(name)}</th>"
            + _num(data, *base, "latency", "summary_ms", "p50", cell=True)
            + _num(data, *base, "latency", "summary_ms", "p99", cell=True)
            + f"<td>{escape(floor)}: "
            + (_num(data, "floors", floor, "summary_ms", "p50") if floor in data["floors"] else "not measured")
            + "</td>"
            + _num(data, *base, "p50_over_floor", cell=True)
            + f"<td>{_strategy(update) if update else '-'}</td>"
            + (_num(data, *base, "update", "build_s", cell=True) if update else "<td>-</td>")
            + (_num(data, *base, "update", "cost_s", cell=True) if update else "<td>-</td>")
            + (_num(data, *base, "update", "failed", cell=True) if update else "<td>-</td>")
            + f"<td>{_list(update['restarted']) if update else '-'}</td>"
            + f"<td>{_short_paths(update['rebuilt']) if update else '-'}</td>"
            + f"<td>{faults or 'no component declared'}</td>"
            + f"<td>{fmt(arch['app_carries_model'])}</td>"
            "</tr>"
        )
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


def render_page(data: dict, names: list[str]) -> str:
    """The whole page for the results dict `data`, architectures in the order of `names`."""
    machine = data["machine"]
    charts = "\n".join(f'<p><img src="{escape(name)}" alt="{escape(name)}"></p>' for name in CHARTS)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>archlab comparison {escape(data['created'])}</title>
<style>{STYLE}</style></head><body>
<h1>archlab: four ways to serve one model, measured</h1>
<p>Run {escape(data['created'])}{' (quick)' if data['quick'] else ''} on {escape(machine['platform'])},
Python {escape(machine['python'])}, {_num(data, 'machine', 'cpus')} CPUs. Every number below is read from
<a href="results.json">results.json</a>; latencies are in milliseconds, percentiles by
{escape(data['percentile_method'])}, over every successful request.</p>

<h2>Tradeoffs</h2>
<table id="tradeoffs">
<tr><th>architecture</th><th>p50 ms</th><th>p99 ms</th><th>floor p50 ms</th><th>p50 &divide; floor</th>
<th>model update strategy</th>
<th>build s<br><small>building, installing or loading the new model: no strategy avoids it</small></th>
<th>switch s<br><small>built &rarr; every answer carries it: a better strategy could shorten it</small></th>
<th>failed during update</th><th>restarted on model update<br><small>process id changed</small></th>
<th>rebuilt on model update<br><small>files written, state rewritten</small></th>
<th>when a component is down</th><th>user-facing app carries scikit-learn and the model</th></tr>
{_tradeoff_rows(data, names)}
</table>

<h2>Latency and floors</h2>
<table id="latency">
<tr><th></th><th>n</th><th>mean</th><th>p50</th><th>p95</th><th>p99</th><th>max</th><th>failed</th><th>what was timed</th></tr>
{_latency_rows(data, names)}
</table>

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
<h2>Where each run worked</h2>
<p>Each architecture ran in a namespace of its own (topic, queue, database or files), removed when it
stopped, so the measurement never touched a live topic, table or queue of the user's.</p>
<table id="namespaces">
<tr><th>architecture</th><th>resource</th><th>name</th></tr>
{_namespace_rows(data, names)}
</table>
<h2>Charts</h2>
{charts}
</body></html>
"""
