"""The plan's tables as Markdown (the CLI and docs/RESULTS.md) or as an HTML section (index.html)."""

from __future__ import annotations

from html import escape

from .plan import Plan
from .tables import inputs_line, notes, tables

COMMAND = "archlab plan"


def _md_row(cells) -> str:
    return "| " + " | ".join(str(cell).replace("|", "\\|") for cell in cells) + " |"


def markdown(plan: Plan, heading: str = "#") -> str:
    lines = [f"{heading} Planning past one machine", "", inputs_line(plan), ""]
    for table in tables(plan):
        if table.rows:
            lines += [f"{heading}# {table.title}", "", _md_row(table.header), _md_row(["---"] * len(table.header)),
                      *(_md_row(row) for row in table.rows), ""]
    lines += [f"- {note}" for note in notes(plan)]
    return "\n".join(lines) + "\n"


def html(plan: Plan, chart: str | None = None) -> str:
    parts = [f'<h2 id="plan">Planning past one machine</h2><p>{escape(inputs_line(plan))} Run <code>{COMMAND}</code> '
             "with other inputs; every figure below is arithmetic on this report's measurements.</p>"]
    for table in tables(plan):
        if table.rows:
            head = "".join(f"<th>{escape(cell)}</th>" for cell in table.header)
            body = "".join("<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>" for row in table.rows)
            parts.append(f"<h3>{escape(table.title)}</h3><table><tr>{head}</tr>{body}</table>")
    if chart:
        parts.append(f'<p><img src="{escape(chart)}" alt="time until every instance serves a new model"></p>')
    parts.append("<ul>" + "".join(f"<li>{escape(note)}</li>" for note in notes(plan)) + "</ul>")
    return "\n".join(parts)
