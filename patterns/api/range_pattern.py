"""Regular expressions for a number written as text that lies in a range, e.g. a year from 1800
to 2100 sent as "2008" (as a CSV cell holds it).

JSON Schema bounds a number but not the number a string spells, so the OpenAPI document states a
text field's range in its `pattern`, built from the same bounds the validator checks: a house that
fits the document is then one the service accepts. The patterns take plain decimal text (a sign,
leading zeros, a fraction; no exponent), a part of what the validator reads with float().
"""

from __future__ import annotations


def integer_range(low: int, high: int) -> str:
    """A regex (no anchors) matching the decimal digits of every integer from `low` to `high`
    (0 <= low <= high), without leading zeros."""
    if not 0 <= low <= high:
        raise ValueError(f"expected 0 <= low <= high, got {low} and {high}")
    parts = []
    while len(str(low)) < len(str(high)):  # one digit count at a time: 7..99 is 7..9 and 10..99
        top = 10 ** len(str(low)) - 1
        parts.append(_same_length(str(low), str(top)))
        low = top + 1
    parts.append(_same_length(str(low), str(high)))
    return "|".join(parts)


def _same_length(low: str, high: str) -> str:
    """Digit strings from `low` to `high`, both of the same length."""
    if low == high:
        return low
    if low[0] == high[0]:
        return low[0] + _group(_same_length(low[1:], high[1:]))
    rest = len(low) - 1
    any_rest = f"[0-9]{{{rest}}}" if rest > 1 else "[0-9]" * rest
    parts, first, last = [], int(low[0]), int(high[0])
    if low[1:].strip("0"):  # low's leading digit does not start a full block: low..d99
        parts.append(low[0] + _group(_same_length(low[1:], "9" * rest)))
        first += 1
    if high[1:].strip("9"):  # nor does high's end one: d00..high
        tail = high[0] + _group(_same_length("0" * rest, high[1:]))
        last -= 1
    else:
        tail = None
    if first <= last:
        parts.append((str(first) if first == last else f"[{first}-{last}]") + any_rest)
    if tail:
        parts.append(tail)
    return "|".join(parts)


def _group(pattern: str) -> str:
    return f"(?:{pattern})" if "|" in pattern else pattern


def number_text(minimum: float, maximum: float, integer: bool) -> str:
    """An anchored regex for the text of a number from `minimum` to `maximum` (whole bounds, not
    negative): a whole number if `integer` (a zero fraction allowed, "2008.0"), else any fraction."""
    if not (float(minimum).is_integer() and float(maximum).is_integer()) or minimum < 0:
        raise ValueError(f"bounds must be whole and not negative, got {minimum} and {maximum}")
    low, high = int(minimum), int(maximum)
    zeros = r"(?:\.0*)?"
    if integer or low == high:
        return rf"^\+?0*(?:{integer_range(low, high)}){zeros}$"
    below_high = rf"(?:{integer_range(low, high - 1)})(?:\.[0-9]*)?"
    only_fraction = r"|\.[0-9]+" if low == 0 else ""  # ".5"
    return rf"^\+?(?:0*(?:{below_high}|{high}{zeros}){only_fraction})$"
