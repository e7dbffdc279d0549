"""Reading one value out of a results dict by its path, the same way for the page, the targets and
the requirement profiles: absent is told apart from a measured null."""

from __future__ import annotations


def walk(data, path) -> tuple[bool, object]:
    """(found, value) at `path`: keys into dicts, indexes (ints or digit strings) into lists."""
    for key in path:
        if isinstance(data, list) and str(key).isdigit() and int(key) < len(data):
            data = data[int(key)]
        elif isinstance(data, dict) and key in data:
            data = data[key]
        else:
            return False, None
    return True, data


def value_at(data, *path):
    """The value at `path`, None where the path is absent."""
    return walk(data, path)[1]
