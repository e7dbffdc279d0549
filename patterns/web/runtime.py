"""What an app process has loaded, read from inside it: the installed distributions behind the
modules it imported, with their size on disk.

An app's environment is what it must carry to run (an embedded app ships scikit-learn, an API
front does not); only the process itself knows which of the installed packages it imported, so it
reports them in `/status` and the footprint measurement sums them. The standard library is not a
distribution and is not counted (every Python app carries it alike).
"""

from __future__ import annotations

import sys
from functools import cache
from importlib import metadata


@cache
def _distribution_names() -> dict[str, list[str]]:
    """Top-level import name -> distributions providing it (installed files do not change while
    the process runs: a new model wheel means a restart)."""
    return metadata.packages_distributions()


@cache
def _installed(name: str) -> dict:
    """One distribution's name, version and the bytes its recorded files take on disk now."""
    distribution = metadata.distribution(name)
    size = 0
    for file in distribution.files or ():
        try:
            size += distribution.locate_file(file).stat().st_size
        except OSError:  # recorded but gone (e.g. a removed __pycache__ file)
            continue
    return {"name": distribution.metadata["Name"], "version": distribution.version, "size_bytes": size}


def loaded_distributions() -> list[dict]:
    """The installed distributions this process imported from, largest first."""
    top_level = {name.partition(".")[0] for name in list(sys.modules)}
    names = {dist for module in top_level for dist in _distribution_names().get(module, ())}
    found = [_installed(name) for name in sorted(names)]
    return sorted(found, key=lambda dist: -dist["size_bytes"])
