"""What every viewer sees, kept once: each panel's latest state, its chart's points and the event
list. Live, the ticker applies one frame per tick; in a replay, the recording's frames are applied
the same way, so both play in the same page."""

from __future__ import annotations

import json
import threading
import time
from collections import deque

HISTORY_S = 150  # seconds of chart each panel keeps
EVENTS_KEPT = 200


class EventLog:
    """Timestamped events, from the controls (what was asked, what the system reported) and from
    observation (the first faulty answer, every answer on a new version); `drain()` hands the
    new ones to the next frame."""

    def __init__(self) -> None:
        self._new: list[dict] = []
        self._lock = threading.Lock()

    def add(self, text: str, panel: str | None = None, kind: str = "info", at: float | None = None) -> dict:
        event = {"t": round(time.time() if at is None else at, 3), "panel": panel, "kind": kind, "text": text}
        with self._lock:
            self._new.append(event)
        return event

    def drain(self) -> list[dict]:
        with self._lock:
            new, self._new = self._new, []
        return sorted(new, key=lambda e: e["t"])


class Board:
    """Frames in, one JSON snapshot out (shared by all viewers)."""

    def __init__(self, meta: dict) -> None:
        self.meta = dict(meta)
        self.panels: dict[str, dict] = {}
        self.points: dict[str, deque] = {}
        self.events: deque[dict] = deque(maxlen=EVENTS_KEPT)
        self.t = 0.0

    def apply(self, frame: dict) -> None:
        """`frame`: {"t", "meta"?, "panels": {name: {"state"?, "counts"?, "points"?}}, "events"?}; a
        missing part leaves what the board had (`counts`: the state's fields that change every second)."""
        self.t = frame["t"]
        self.meta.update(frame.get("meta", {}))
        for name, part in frame.get("panels", {}).items():
            if "state" in part:
                self.panels[name] = dict(part["state"])
            if "counts" in part:
                self.panels.setdefault(name, {"name": name}).update(part["counts"])
            self.points.setdefault(name, deque(maxlen=HISTORY_S)).extend(part.get("points", ()))
        self.events.extend(frame.get("events", ()))

    def snapshot(self) -> dict:
        return {"t": self.t, "meta": self.meta, "events": sorted(self.events, key=lambda e: e["t"]),
                "panels": [{**state, "points": list(self.points.get(name, ()))} for name, state in self.panels.items()]}

    def snapshot_json(self) -> bytes:
        return json.dumps(self.snapshot(), separators=(",", ":")).encode()
