"""`python -m archlab.classroom.demo URL`: the full demo, played on a running classroom through its own
control API (as the instructor's buttons do): release v2, release the faulty v3, roll back, then
kill -9 one component of each architecture (the part that scales on its own when it has one, else
the first it started) and start it again if nothing else does. docs/classroom/demo.jsonl is this,
recorded with `archlab classroom --record`."""

from __future__ import annotations

import argparse
import sys
import time

from patterns import http

SETTLE_S = 12.0  # traffic on each new state before the next step, for the chart to show it
TIMEOUT_S = 180.0


def snapshot(url: str) -> dict:
    return http.call_json("GET", url + "snapshot", timeout=10)


def act(url: str, body: dict, token: str | None) -> None:
    headers = {"Authorization": f"Bearer {token}"} if token else None
    http.call_json("POST", url + "api/control", json=body, headers=headers, timeout=10)
    print(f"asked: {body}", flush=True)


def wait_idle(url: str) -> None:
    """Until no panel has an action running (the actions' own ends, as the page shows them)."""
    time.sleep(1.0)
    deadline = time.monotonic() + TIMEOUT_S
    while any(p["busy"] for p in snapshot(url)["panels"]) and time.monotonic() < deadline:
        time.sleep(0.5)
    time.sleep(SETTLE_S)


def victim(panel: dict) -> str:
    """The part that scales on its own when it has one, else the first component it started."""
    breakable = [c["name"] for c in panel["components"] if c["breakable"]]
    scaled = panel["capabilities"]["scalable_component"]
    return scaled if scaled in breakable else breakable[0]


def play(url: str, token: str | None = None) -> None:
    time.sleep(SETTLE_S)
    for body in ({"action": "release", "version": "v2"}, {"action": "release", "version": "v3"}, {"action": "rollback"}):
        act(url, body, token)
        wait_idle(url)
    for panel in [p for p in snapshot(url)["panels"] if p["available"]]:
        component = victim(panel)
        act(url, {"action": "kill", "panel": panel["name"], "component": component}, token)
        time.sleep(SETTLE_S / 2)
        now = {c["name"]: c["state"] for p in snapshot(url)["panels"] if p["name"] == panel["name"] for c in p["components"]}
        if now.get(component) == "down":  # nothing restarts it on its own: the instructor does
            act(url, {"action": "start", "panel": panel["name"], "component": component}, token)
        wait_idle(url)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m archlab.classroom.demo", description=__doc__.splitlines()[0])
    parser.add_argument("url", help="the classroom's page, e.g. http://127.0.0.1:8765/")
    parser.add_argument("--token", help="the instructor token (a classroom on a non-loopback listener)")
    args = parser.parse_args(argv)
    play(args.url.rstrip("/") + "/", args.token)
    return 0


if __name__ == "__main__":
    sys.exit(main())
