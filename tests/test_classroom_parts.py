"""The classroom's parts that need no running system: the chart's points, the recording's format,
who may press the controls."""

from __future__ import annotations

import json

import pytest

from archlab.classroom.access import Access
from archlab.classroom.board import Board
from archlab.classroom.metrics import Meter
from archlab.classroom.recording import Recorder, read_recording
from archlab.classroom.traffic import Answer


def answer(at: float, ok: bool = True, ms: float = 10.0, faulty: str | None = None) -> Answer:
    return Answer(at, ms, ok, "v1" if ok else None, 0 if ok else None, faulty)


def test_a_point_per_finished_second_with_failures_and_faulty_answers_counted():
    meter = Meter()
    answers = [answer(100.1), answer(100.5, ok=False), answer(101.2, faulty="price too high"), answer(101.7, ms=30.0)]
    points = meter.add(answers, now=102.0)
    assert [(p["t"], p["rps"], p["failed"], p["faulty"]) for p in points] == [(100, 2, 1, 0), (101, 2, 0, 1)]
    assert points[-1]["p50"] == 10.0  # over the window: 10, 10, 30
    assert meter.totals == {"requests": 4, "failed": 1, "faulty": 1}
    assert meter.last_version == {0: "v1"} and meter.last_faulty == "price too high"


def test_a_quiet_second_is_a_point_with_no_requests():
    meter = Meter()
    meter.add([answer(10.2)], now=10.5)
    assert [p["rps"] for p in meter.add([], now=13.0)] == [1, 0, 0]


def test_a_recording_replays_into_the_same_board(tmp_path):
    path = tmp_path / "demo.jsonl"
    recorder = Recorder(path, {"versions": ["v1", "v2"]}, every_s=1.0)
    live = Board({})
    state = {"name": "api", "available": True, "version": "v1"}
    for second in range(4):
        frame = {"t": 100.0 + second / 2, "meta": {"traffic": True},
                 "panels": {"api": {"state": state, "points": [{"t": 100 + second, "rps": 4}]}},
                 "events": [{"t": 100.0, "panel": "api", "kind": "update", "text": "release"}] if second == 1 else []}
        live.apply(frame)
        recorder.write(frame)
    recorder.close()
    meta, frames = read_recording(path)
    assert meta == {"versions": ["v1", "v2"]} and len(frames) == 2  # four frames folded into two
    assert sum("state" in f["panels"]["api"] for f in frames) == 1  # an unchanged state is written once
    replayed = Board({})
    for frame in frames:
        replayed.apply(frame)
    assert replayed.snapshot()["panels"] == live.snapshot()["panels"]
    assert replayed.snapshot()["events"] == live.snapshot()["events"]


@pytest.mark.parametrize("content, message", [
    ("not json\n", "line 1: not JSON"),
    (json.dumps({"kind": "meta"}) + "\n", "is not a classroom recording"),
    (json.dumps({"kind": "meta", "format": "archlab-classroom/1", "meta": {}}) + "\n", "holds no frames"),
])
def test_a_file_that_is_not_a_recording_says_why(tmp_path, content, message):
    path = tmp_path / "bad.jsonl"
    path.write_text(content)
    with pytest.raises(ValueError, match=message):
        read_recording(path)


def test_controls_are_open_on_loopback_and_need_the_token_elsewhere():
    assert Access("127.0.0.1", {}).allows(None) and Access("localhost", {}).allows(None)
    shared = Access("0.0.0.0", {"ARCHLAB_CLASSROOM_TOKEN": "s3cret"})
    assert shared.token == "s3cret"
    assert not shared.allows(None) and not shared.allows("Bearer wrong") and shared.allows("Bearer s3cret")
    assert Access("192.168.1.5", {}).token  # one made up and printed when none is set
