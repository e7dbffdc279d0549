"""The report's "where the run's time went" section: read from results.json's `timings`
(`archlab.compare.timing`), nothing typed."""

from __future__ import annotations

from html import escape


def timing_section(data: dict) -> str:
    """Phases and launches of the run as two tables; empty for results written before timings were kept."""
    timings = data.get("timings")
    if not timings:
        return ""
    phases = "\n".join(f"<tr><td>{escape(p['phase'])}</td><td>{p['seconds']:.1f}</td></tr>" for p in timings["phases"])
    launches = "\n".join(
        f"<tr><td>{escape(g['purpose'])}</td><td>{g['count']}</td><td>{g['start_s']:.1f}</td>"
        f"<td>{g['alive_s']:.1f}</td><td>{g['stop_s']:.1f}</td></tr>"
        for g in [*timings["by_purpose"], timings["all_launches"]])
    load = " / ".join(f"{value:g}" for value in timings["load_average"])
    return f"""<h2>Where the run's time went</h2>
<p>{timings['total_s']:.0f} s in all, on {timings['cpus']} cores with a load average of {load} (1 / 5 / 15 min)
as the measuring ended. Each system launch: seconds to start it (until every part answered its health
check), that it ran (measured, or waiting running while the others were: a system is launched once for
all its repetitions), and to stop it and remove its namespace.</p>
<table id="timing-phases">
<tr><th>phase</th><th>s</th></tr>
{phases}
</table>
<table id="timing-launches">
<tr><th>launches by purpose</th><th>count</th><th>start s</th><th>running s</th><th>stop s</th></tr>
{launches}
</table>
"""
