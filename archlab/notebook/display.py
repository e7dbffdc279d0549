"""Plain-text output for notebook cells: readable, and byte-for-byte stable for nbval."""

from __future__ import annotations


def money(price: float) -> str:
    """A price rounded to the dollar, e.g. `$181,234`: cents would only add noise to compare."""
    return f"${price:,.0f}"


def show(label: str, value, digits: int = 4) -> None:
    """Print `label: value` on one line; floats get `digits` decimals so reruns print the same text."""
    if isinstance(value, float):
        value = f"{value:.{digits}f}"
    print(f"{label}: {value}")
