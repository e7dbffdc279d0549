"""How every number is shown, on the page, in RESULTS.md and in a verdict: one rule for all."""

from __future__ import annotations


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
