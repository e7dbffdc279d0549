"""The classroom's parts, mostly without a running system: the chart's points, the recording's
format, who may press the controls, the command's bad options, a panel whose broker is missing."""

from __future__ import annotations

import dataclasses
import json

import pytest

from archlab.classroom.access import Access
from archlab.classroom.board import Board
from archlab.classroom.metrics import Meter
from archlab.classroom.panel import Panel
from archlab.classroom.recording import Recorder, read_recording, resample
from archlab.classroom.traffic import ROTATE_S, Answer, _Stream
from archlab.cli import main
from archlab.measure.load import Sample, Target
from patterns.api.settings import ApiSettings


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


def point(second: int) -> dict:
    return {"t": second, "rps": 4, "failed": 1, "faulty": 0, "p50": 5.0, "p99": 9.5}


def test_a_recording_replays_into_the_same_board(tmp_path):
    path = tmp_path / "demo.jsonl"
    recorder = Recorder(path, {"versions": ["v1", "v2"]}, every_s=1.0)
    live = Board({})
    state = {"name": "api", "available": True, "version": "v1"}
    for second in range(4):
        frame = {"t": 100.0 + second / 2, "meta": {"traffic": True},
                 "panels": {"api": {"state": state, "points": [point(100 + second)]}},
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


@pytest.mark.slow
def test_a_variant_whose_broker_is_missing_is_shown_not_available_with_what_it_needs(home_with_models):
    """The model API over RabbitMQ, pointed at a port where no broker listens: its panel says why."""
    settings = dataclasses.replace(ApiSettings.from_env(), amqp_url="amqp://guest:guest@127.0.0.1:1/%2F")
    panel = Panel("api-amqp", "api", {"transport": "amqp"}, settings, "crtest-api-amqp", rate=1.0).start()
    state = panel.state()
    assert state["available"] is False and panel.system is None
    assert "AMQPConnectionError" in state["reason"]
    assert "127.0.0.1:1" in state["how"] and "press reset" in state["how"]


class FinishedRun:
    """A load run at its time bound, holding one answer from just before it."""

    def __init__(self, t_s: float) -> None:
        self.samples = [Sample(t_s=t_s, latency_ms=5.0, status=200, error=None, value=("v1", None), worker=0)]

    def snapshot(self):
        return list(self.samples)

    def clock(self) -> float:
        return ROTATE_S

    def stop(self) -> None:
        pass


def test_answers_of_a_run_replaced_at_its_bound_keep_their_own_clock(monkeypatch):
    stream = _Stream([Target("http://127.0.0.1:1/predict")], 1.0, None, reads=True)
    stream.run, stream.origin = FinishedRun(ROTATE_S - 1), 1000.0
    monkeypatch.setattr(_Stream, "start", lambda self: setattr(self, "origin", 5000.0))  # the next run's clock
    (answer_,) = stream.harvest()
    assert answer_.at == 1000.0 + ROTATE_S - 1 and answer_.version == "v1"
    assert stream.origin == 5000.0


def test_a_recording_written_again_with_fewer_frames_shows_the_same_end(tmp_path):
    recorder = Recorder(tmp_path / "full.jsonl", {}, every_s=0.5)
    for second in range(10):
        recorder.write({"t": 100.0 + second, "panels": {"api": {
            "state": {"name": "api", "version": "v1", "totals": {"requests": second}}, "points": [point(100 + second)]}}})
    recorder.close()
    resample(tmp_path / "full.jsonl", tmp_path / "fewer.jsonl", every_s=3.0)
    ends = []
    for name in ("full.jsonl", "fewer.jsonl"):
        board = Board({})
        for frame in read_recording(tmp_path / name)[1]:
            board.apply(frame)
        ends.append(board.snapshot()["panels"])
    assert ends[0] == ends[1] and ends[1][0]["totals"] == {"requests": 9} and len(ends[1][0]["points"]) == 10


@pytest.mark.parametrize("args, message", [
    (["--rate", "0"], "--rate takes requests per second above 0"),
    (["--rate", "500"], "at most 50"),
    (["--replay", "x.jsonl", "--speed", "0"], "--speed takes a positive factor"),
    (["--replay", "a.jsonl", "--record", "b.jsonl"], "choose one"),
    (["--replay", "no-such-recording.jsonl"], "--replay: [Errno 2]"),
])
def test_bad_options_exit_2_before_anything_starts(args, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["classroom", *args]) == 2
    assert message in capsys.readouterr().err
