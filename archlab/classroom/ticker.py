"""One snapshot per tick, shared by every viewer: the panels' new answers folded into their
charts, their states read once, what changed noted in the event list (observed, not announced:
an instance answering from a new version, a component going down or coming back, the first
answer from a faulty model), the frame recorded, the snapshot published."""

from __future__ import annotations

import threading
import time

from .board import Board, EventLog
from .broadcast import Broadcaster
from .panel import Panel

TICK_S = 0.5  # two snapshots a second to every viewer
QUIET_S = 5.0  # faulty answers after this long without any start a new "faulty answers" event


class Observer:
    """Turns two successive states of a panel into the events a student should notice."""

    def __init__(self) -> None:
        self.components: dict[str, tuple[str, int | None]] = {}
        self.versions: tuple | None = None
        self.faulty, self.faulty_at = 0, 0.0

    def changes(self, state: dict, now: float) -> list[str]:
        if not state.get("available"):
            return []
        said = []
        for component in state["components"]:
            before = self.components.get(component["name"])
            now_is = (component["state"], component["pid"])
            if before is not None and before != now_is:
                if before[0] == now_is[0] == "up":
                    said.append(f"{component['name']} restarted (pid {before[1]} -> {now_is[1]})")
                elif before[0] != now_is[0]:
                    said.append(f"{component['name']} is {now_is[0]}")
            self.components[component["name"]] = now_is
        versions = tuple(i["version"] for i in state["instances"])
        if self.versions is not None and versions != self.versions and None not in versions and len(set(versions)) == 1:
            said.append(f"every answer users get is now from {versions[0]}")
        if None not in versions:
            self.versions = versions
        faulty = state["totals"]["faulty"]
        if faulty > self.faulty:
            if now - self.faulty_at > QUIET_S:
                said.append(f"users get answers from a faulty model: {state['last_faulty']}")
            self.faulty_at = now
        self.faulty = faulty
        return said


class Ticker:
    def __init__(self, panels: dict[str, Panel], events: EventLog, board: Board, broadcaster: Broadcaster,
                 meta, recorder=None) -> None:
        self.panels, self.events, self.board, self.broadcaster = panels, events, board, broadcaster
        self.meta, self.recorder = meta, recorder  # meta(): what the page shows beside the panels, now
        self.observers = {name: Observer() for name in panels}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="classroom-ticker", daemon=True)

    def tick(self) -> None:
        now = time.time()
        frame = {"t": round(now, 3), "meta": self.meta(), "panels": {}}
        for name, panel in self.panels.items():
            traffic = panel.traffic
            answers = traffic.harvest() if traffic is not None else []
            points = panel.meter.add(answers, now)
            state = panel.state()
            for text in self.observers[name].changes(state, now):
                self.events.add(text, name, "observed", now)
            frame["panels"][name] = {"state": state, "points": points}
        frame["events"] = self.events.drain()
        self.board.apply(frame)
        if self.recorder is not None:
            self.recorder.write(frame)
        self.broadcaster.publish(self.board.snapshot_json())

    def start(self) -> Ticker:
        self._thread.start()
        return self

    def _loop(self) -> None:
        next_tick = time.monotonic()
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception as exc:  # one bad read must not freeze every viewer's page
                self.events.add(f"classroom could not read the panels: {type(exc).__name__}: {exc}", None, "error")
            next_tick += TICK_S
            self._stop.wait(max(0.0, next_tick - time.monotonic()))

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)
