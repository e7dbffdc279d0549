"""Record and replay: the frames the board is fed, as JSON lines, so a recorded demo plays back in
the same page with no system running.

A recording keeps a frame's chart points, events and counters always, the rest of a panel's state
only when it changed, and one frame per `every_s` seconds (the rest folded into the next one
kept): a demo of several minutes stays small enough to commit. `python -m
archlab.classroom.recording IN OUT --every S` writes a recording again with fewer frames.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from pathlib import Path

from .board import Board
from .broadcast import Broadcaster

FORMAT = "archlab-classroom/1"
COUNTERS = ("totals", "review")  # what changes every second: written apart from the rest
POINT = ("t", "rps", "failed", "faulty", "p50", "p99")  # a chart point, written as a list in this order


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
            kept.update({key: part[key] for key in ("state", "counts") if key in part})
        if frame["t"] - pending["t"] >= self.every_s:
            self.flush(frame["t"])

    def flush(self, t: float | None = None) -> None:
        frame, self._pending = self._pending, None
        if frame is None:
            return
        frame["t"] = t or frame["t"]
        for name, part in frame["panels"].items():
            if "state" not in part:
                continue
            state = part.pop("state")
            steady = {k: v for k, v in state.items() if k not in COUNTERS}
            if steady != self._states.get(name):
                part["state"] = self._states[name] = steady
            part["counts"] = {**part.get("counts", {}), **{k: state[k] for k in COUNTERS if k in state}}
        for part in frame["panels"].values():
            part["points"] = [[point.get(k) for k in POINT] for point in part.get("points", [])]
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
                for part in entry.get("panels", {}).values():
                    part["points"] = [dict(zip(POINT, point)) for point in part.get("points", [])]
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


def resample(source: Path, target: Path, every_s: float) -> int:
    """`source` written again to `target` with one frame per `every_s` seconds; the frames written."""
    meta, frames = read_recording(source)
    recorder = Recorder(target, meta, every_s)
    for frame in frames:
        recorder.write(frame)
    recorder.close()
    return len(read_recording(target)[1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m archlab.classroom.recording",
                                     description="write a classroom recording again with fewer frames")
    parser.add_argument("source", type=Path)
    parser.add_argument("target", type=Path)
    parser.add_argument("--every", type=float, default=2.0, help="seconds between frames kept (default 2)")
    args = parser.parse_args(argv)
    try:
        kept = resample(args.source, args.target, args.every)
    except (OSError, ValueError) as exc:
        parser.exit(2, f"{parser.prog}: error: {exc}\n")
    print(f"{args.target}: {kept} frames, {args.target.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
