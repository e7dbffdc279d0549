"""One panel's chart: answers folded into one point per second (requests, failed, answers from a
faulty model), with p50 and p99 over a sliding window, since a few requests a second make no
percentile on their own."""

from __future__ import annotations

from collections import deque

from ..measure.stats import summarize
from .traffic import Answer

WINDOW_S = 10  # seconds of answers the percentiles are taken over


class Meter:
    """Answers in, one finished point per second out; totals since the start."""

    def __init__(self) -> None:
        self._second: int | None = None
        self._bucket: list[Answer] = []
        self._recent: deque[tuple[int, float]] = deque()  # (second, latency of a successful answer)
        self.totals = {"requests": 0, "failed": 0, "faulty": 0}
        self.last_version: dict[int, str] = {}  # front instance -> version of its latest answer
        self.last_faulty: str | None = None

    def add(self, answers: list[Answer], now: float) -> list[dict]:
        """Fold `answers` in; return the points of every second finished by `now`."""
        points = []
        for answer in answers:
            points += self._advance(int(answer.at))
            self._bucket.append(answer)
            self.totals["requests"] += 1
            self.totals["failed"] += not answer.ok
            if answer.faulty:
                self.totals["faulty"] += 1
                self.last_faulty = answer.faulty
            if answer.ok and answer.instance is not None and answer.version:
                self.last_version[answer.instance] = answer.version
        return points + self._advance(int(now))

    def _advance(self, second: int) -> list[dict]:
        if self._second is None:
            self._second = second
        points = []
        while self._second < second:
            points.append(self._close(self._second))
            self._second += 1
        return points

    def _close(self, second: int) -> dict:
        bucket, self._bucket = [a for a in self._bucket if int(a.at) <= second], \
            [a for a in self._bucket if int(a.at) > second]
        self._recent.extend((second, a.latency_ms) for a in bucket if a.ok)
        while self._recent and self._recent[0][0] <= second - WINDOW_S:
            self._recent.popleft()
        summary = summarize(ms for _, ms in self._recent)
        return {"t": second, "rps": len(bucket), "failed": sum(not a.ok for a in bucket),
                "faulty": sum(bool(a.faulty) for a in bucket),
                "p50": _rounded(summary.p50), "p99": _rounded(summary.p99)}


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
