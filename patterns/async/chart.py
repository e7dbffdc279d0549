"""The dashboard's summary chart: a histogram of current predictions, stacked by model version.

Plain SVG text (no matplotlib): the page stays fast and the chart is inline, printable and diffable.
"""

from __future__ import annotations

from collections import Counter
from html import escape

WIDTH, HEIGHT, MARGIN = 640, 240, 40
COLOURS = ("#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2")


def histogram_svg(points: list[tuple[str, float]], bins: int = 24) -> str:
    """SVG of `points` ((model version, value) pairs) in `bins` equal-width price bins."""
    if not points:
        return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="60" role="img">'
                '<text x="10" y="30">no predictions yet</text></svg>')
    values = [v for _, v in points]
    low, high = min(values), max(values)
    width = (high - low) / bins or 1.0
    versions = sorted({version for version, _ in points})
    counts = Counter((version, min(int((value - low) / width), bins - 1)) for version, value in points)
    tallest = max(sum(counts[(v, b)] for v in versions) for b in range(bins))
    plot_w, plot_h = WIDTH - 2 * MARGIN, HEIGHT - 2 * MARGIN
    bar_w = plot_w / bins
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" role="img" '
             f'aria-label="histogram of {len(points)} predicted prices">']
    for b in range(bins):
        base = 0
        for index, version in enumerate(versions):
            count = counts[(version, b)]
            if not count:
                continue
            h = count / tallest * plot_h
            y = HEIGHT - MARGIN - (base + h)
            parts.append(f'<rect x="{MARGIN + b * bar_w:.1f}" y="{y:.1f}" width="{bar_w - 1:.1f}" height="{h:.1f}" '
                         f'fill="{COLOURS[index % len(COLOURS)]}"><title>{escape(version)}: {count} between '
                         f'{low + b * width:,.0f} and {low + (b + 1) * width:,.0f}</title></rect>')
            base += h
    axis_y = HEIGHT - MARGIN
    parts.append(f'<line x1="{MARGIN}" y1="{axis_y}" x2="{WIDTH - MARGIN}" y2="{axis_y}" stroke="#333"/>')
    parts.append(f'<text x="{MARGIN}" y="{axis_y + 16}" font-size="11">{low:,.0f}</text>')
    parts.append(f'<text x="{WIDTH - MARGIN}" y="{axis_y + 16}" font-size="11" text-anchor="end">{high:,.0f}</text>')
    parts.append(f'<text x="{WIDTH / 2}" y="{axis_y + 30}" font-size="11" text-anchor="middle">predicted price</text>')
    parts.append(f'<text x="{MARGIN - 4}" y="{MARGIN}" font-size="11" text-anchor="end">{tallest}</text>')
    for index, version in enumerate(versions):
        x = WIDTH - MARGIN - 90
        y = MARGIN - 20 + 14 * index
        parts.append(f'<rect x="{x}" y="{y - 9}" width="10" height="10" fill="{COLOURS[index % len(COLOURS)]}"/>'
                     f'<text x="{x + 14}" y="{y}" font-size="11">{escape(version)}</text>')
    parts.append("</svg>")
    return "".join(parts)
