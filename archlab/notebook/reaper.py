"""The watchdog that stops a notebook's servers when its kernel dies without cleaning up.

`atexit` covers a kernel that exits normally; nothing in the kernel survives a SIGKILL (which is
how nbval and "restart kernel" end a kernel that does not answer). So the kernel starts this
small process in a session of its own and keeps a pipe to it open. Each line the kernel writes
is its full current state as JSON: `{"pids": [process-group ids running], "paths": [temporary
folders]}`. When the pipe closes — the kernel exited or was killed — the watchdog terminates the
groups of the last line it got, removes the folders, then exits. A kernel that cleaned up after
itself writes an empty state first, so nothing is signalled twice.

Run as `python -m archlab.notebook.reaper`; see `registry.Watchdog` for the kernel's side.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import time

GRACE_SECONDS = 5.0


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def terminate_groups(pgids: list[int], grace: float = GRACE_SECONDS) -> None:
    """SIGTERM each group, then SIGKILL whatever is still there after `grace` seconds."""
    for pgid in pgids:
        try:
            os.killpg(pgid, signal.SIGTERM)
        except (ProcessLookupError, PermissionError):
            pass
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(group_alive(pgid) for pgid in pgids):
        time.sleep(0.05)
    for pgid in pgids:
        try:
            os.killpg(pgid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def parse(line: str) -> tuple[list[int], list[str]]:
    """The pids (never 0 or 1, which would signal ourselves or init) and paths of one state line."""
    try:
        state = json.loads(line)
    except ValueError:
        return [], []
    return [pid for pid in state.get("pids", []) if isinstance(pid, int) and pid > 1], state.get("paths", [])


def main() -> int:
    # A Ctrl-C or hang-up aimed at the kernel's terminal must not take the watchdog down with it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    pids, paths = [], []
    for line in sys.stdin:
        pids, paths = parse(line)
    terminate_groups(pids)
    for path in paths:
        shutil.rmtree(path, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
