"""Record and replay: the frames the board is fed, as JSON lines, so a recorded demo plays back in
the same page with no system running.

A recording keeps a frame's chart points and events always, a panel's state only when it changed,
and one frame per `every_s` seconds (the rest folded into the next one kept): a demo of several
minutes stays small enough to commit.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

from .board import Board
from .broadcast import Broadcaster

FORMAT = "archlab-classroom/1"


class Recorder:
    def __init__(self, path: Path, meta: dict, every_s: float = 1.0) -> None:
        self.file = open(path, "w", encoding="utf-8")
        self.every_s = every_s
        self._states: dict[str, dict] = {}
        self._pending: dict | None = None
        self._write({"kind": "meta", "format": FORMAT, "meta": meta})

    def write(self, frame: dict) -> None:
        pending = self._pending
        if pending is None:
            pending = self._pending = {"t": frame["t"], "meta": {}, "panels": {}, "events": []}
        pending["meta"].update(frame.get("meta", {}))
        pending["events"] += frame.get("events", [])
        for name, part in frame["panels"].items():
            kept = pending["panels"].setdefault(name, {"points": []})
            kept["points"] += part.get("points", [])
            if "state" in part:
                kept["state"] = part["state"]
        if frame["t"] - pending["t"] >= self.every_s:
            self.flush(frame["t"])

    def flush(self, t: float | None = None) -> None:
        frame, self._pending = self._pending, None
        if frame is None:
            return
        frame["t"] = t or frame["t"]
        for name, part in frame["panels"].items():
            if part.get("state") == self._states.get(name):
                part.pop("state", None)
            elif "state" in part:
                self._states[name] = part["state"]
        self._write({"kind": "frame", **frame})

    def _write(self, line: dict) -> None:
        self.file.write(json.dumps(line, separators=(",", ":")) + "\n")
        self.file.flush()

    def close(self) -> None:
        self.flush()
        self.file.close()


def read_recording(path: Path) -> tuple[dict, list[dict]]:
    """The recording's meta and frames; ValueError saying what is wrong with a file that is not one."""
    meta, frames = None, []
    with open(path, encoding="utf-8") as file:
        for number, line in enumerate(file, 1):
            try:
                entry = json.loads(line)
            except ValueError as exc:
                raise ValueError(f"{path}, line {number}: not JSON ({exc})") from None
            if number == 1:
                if not isinstance(entry, dict) or entry.get("format") != FORMAT:
                    raise ValueError(f"{path} is not a classroom recording (its first line has no "
                                     f"\"format\": \"{FORMAT}\")")
                meta = entry["meta"]
            elif entry.get("kind") == "frame" and isinstance(entry.get("t"), (int, float)):
                frames.append(entry)
            else:
                raise ValueError(f"{path}, line {number}: expected a frame with a time \"t\"")
    if meta is None or not frames:
        raise ValueError(f"{path} holds no frames to replay")
    return meta, frames


class Player:
    """Applies a recording's frames to a board at their recorded pace (times `speed`), publishing
    each snapshot, then stays on the last one."""

    def __init__(self, frames: list[dict], board: Board, broadcaster: Broadcaster, speed: float = 1.0) -> None:
        self.frames, self.board, self.broadcaster, self.speed = frames, board, broadcaster, speed
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._play, name="classroom-replay", daemon=True)

    def start(self) -> Player:
        self._thread.start()
        return self

    def _play(self) -> None:
        origin, started = self.frames[0]["t"], time.monotonic()
        for frame in self.frames:
            delay = (frame["t"] - origin) / self.speed - (time.monotonic() - started)
            if delay > 0 and self._stop.wait(delay):
                return
            self.board.apply(frame)
            self.broadcaster.publish(self.board.snapshot_json())

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
