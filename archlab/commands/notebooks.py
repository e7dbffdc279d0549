"""`archlab notebooks [--execute] [NAME ...]`: which committed notebooks are stale, and re-executing
them so their outputs (and the code digest they record) match the code in this checkout."""

from __future__ import annotations

import sys
import time

from ..errors import UsageError
from ..notebook_freshness import HOW_TO_REFRESH, NOTEBOOKS, record, recorded_digest, source_digest


def register(subparsers) -> None:
    parser = subparsers.add_parser("notebooks", help="list stale notebooks; --execute re-runs and saves them")
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help="notebooks to act on, e.g. 04_async (default: all of notebooks/)")
    parser.add_argument("--execute", action="store_true",
                        help="execute each one top to bottom in this environment and save it with its outputs")
    parser.add_argument("--stale", action="store_true", help="with --execute: only the stale ones")
    parser.set_defaults(func=run)


def chosen(names: list[str]) -> list:
    paths = sorted(NOTEBOOKS.glob("*.ipynb"))
    if not names:
        return paths
    by_name = {path.stem: path for path in paths}
    unknown = [name for name in names if name.removesuffix(".ipynb") not in by_name]
    if unknown:
        raise UsageError(f"no notebook named {', '.join(unknown)}; expected one of: {', '.join(by_name)}")
    return [by_name[name.removesuffix(".ipynb")] for name in names]


def execute(path, digest: str) -> bool:
    """Run every cell as `make lab` would (the python3 kernel of this environment, the notebook's
    folder as working directory), then save outputs, widget state and the code digest."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    notebook = nbformat.read(path, as_version=4)
    try:
        NotebookClient(notebook, kernel_name="python3", timeout=1800,
                       resources={"metadata": {"path": str(path.parent)}}).execute()
    except CellExecutionError as exc:  # the notebook is left as it was: never saved half-run
        print(f"{path.stem}: a cell failed; the notebook was not saved\n{exc}", file=sys.stderr)
        return False
    record(notebook, digest)
    nbformat.write(notebook, path)
    return True


def run(args) -> int:
    import nbformat

    digest = source_digest()
    paths = chosen(args.names)
    stale = [path for path in paths if recorded_digest(nbformat.read(path, as_version=4)) != digest]
    if not args.execute:
        for path in paths:
            print(f"{path.stem}: {'stale' if path in stale else 'up to date'}")
        if stale:
            print(f"re-execute: {HOW_TO_REFRESH} {' '.join(path.stem for path in stale)}")
        return 1 if stale else 0
    failed = []
    for path in stale if args.stale else paths:
        started = time.monotonic()
        print(f"{path.stem}: executing ...", flush=True)
        if execute(path, digest):
            print(f"{path.stem}: saved ({time.monotonic() - started:.0f} s)", flush=True)
        else:
            failed.append(path.stem)
    if failed:
        print(f"not saved (a cell failed): {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0
