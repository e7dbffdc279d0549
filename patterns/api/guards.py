"""Release guards the front runs around its model client: a canary and a shadow.

Canary: a share of the calls (e.g. 5 %) goes to one instance serving the new version, in a steady
pattern (call n goes there when floor((n+1) * share) > floor(n * share)). Each of its answers is
judged by the plausibility rule (`shared_model.implausible`, against the training prices of the
version that answered); the first flagged answer takes it out of rotation at once: the user who
got that answer got it (that is what a canary costs), nobody after. A call the canary fails is
answered by the serving instances and ends the canary too. The launcher reads GET /admin/canary
and promotes the version (blue/green) or ends the canary with DELETE.

Shadow: every call is answered by the serving instances; a copy of it goes to the shadow instance
in the background (at most `SHADOW_QUEUE` copies wait: beyond that a copy is dropped and counted,
a user never waits for the shadow). Its answer is compared with the one the user got (they agree
within `AGREE_WITHIN`) and judged by the rule, then thrown away: it is never returned.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from flask import Blueprint, jsonify, request

from patterns.json_body import json_or_none
from patterns.web.backend import BackendUnavailable, Prediction
from patterns.web.judge import Judge

AGREE_WITHIN = 0.01  # relative difference between the shadow's price and the served one
SHADOW_QUEUE = 64


class Canary:
    """One canary instance taking `share` of the calls until its first flagged or failed answer."""

    def __init__(self, client, share: float, judge: Judge) -> None:
        self.client, self.share, self.judge = client, share, judge
        self.started = time.monotonic()
        self.calls = self.answers = 0
        self.ended: str | None = None  # why it left the rotation
        self.ended_after_s: float | None = None
        self._lock = threading.Lock()

    def takes_turn(self) -> bool:
        with self._lock:
            if self.ended:
                return False
            n, self.calls = self.calls, self.calls + 1
            return int((n + 1) * self.share) > int(n * self.share)

    def predict(self, records: list[dict]) -> Prediction | None:
        """The canary's answer (flagged or not: the user gets it), or None when it failed."""
        try:
            prediction = self.client.predict(records)
        except BackendUnavailable as exc:
            self._end(f"the canary failed a call: {exc}")
            return None
        with self._lock:
            self.answers += 1
        if why := self.judge.why(prediction):
            self._end(why)
        return prediction

    def _end(self, why: str) -> None:
        with self._lock:
            if self.ended is None:
                self.ended, self.ended_after_s = why, time.monotonic() - self.started

    def state(self) -> dict:
        with self._lock:
            return {"url": self.client.url, "share": self.share, "calls": self.calls, "answers": self.answers,
                    "live_s": time.monotonic() - self.started, "ended": self.ended,
                    "ended_after_s": self.ended_after_s}

    def close(self) -> None:
        self.client.close()


class Shadow:
    """One shadow instance scoring a copy of every call in the background."""

    def __init__(self, client, judge: Judge, queue: int = SHADOW_QUEUE) -> None:
        self.client, self.judge = client, judge
        self.started = time.monotonic()
        self.mirrored = self.agreed = self.flagged = self.failed = self.dropped = 0
        self.first_flag: str | None = None
        self.flagged_after_s: float | None = None
        self.shadow_ms: list[float] = []
        self._lock = threading.Lock()
        self._room = threading.Semaphore(queue)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="shadow")

    def mirror(self, records: list[dict], served: Prediction) -> None:
        if not self._room.acquire(blocking=False):
            with self._lock:
                self.dropped += 1
            return
        self._executor.submit(self._compare, records, served)

    def _compare(self, records: list[dict], served: Prediction) -> None:
        try:
            started = time.perf_counter()
            try:
                prediction = self.client.predict(records)
            except BackendUnavailable:
                with self._lock:
                    self.failed += 1
                return
            elapsed_ms = (time.perf_counter() - started) * 1000.0
            agrees = all(abs(mine - theirs) <= AGREE_WITHIN * abs(theirs)
                         for mine, theirs in zip(prediction.values, served.values, strict=True))
            why = self.judge.why(prediction)
            with self._lock:
                self.mirrored += 1
                self.agreed += agrees
                self.shadow_ms.append(elapsed_ms)
                if why:
                    self.flagged += 1
                    if self.first_flag is None:
                        self.first_flag, self.flagged_after_s = why, time.monotonic() - self.started
        finally:
            self._room.release()

    def state(self) -> dict:
        with self._lock:
            return {"url": self.client.url, "mirrored": self.mirrored, "agreed": self.agreed,
                    "agreement": self.agreed / self.mirrored if self.mirrored else None,
                    "agree_within": AGREE_WITHIN, "flagged": self.flagged, "first_flag": self.first_flag,
                    "flagged_after_s": self.flagged_after_s, "failed": self.failed, "dropped": self.dropped,
                    "shadow_ms_p50": statistics.median(self.shadow_ms) if self.shadow_ms else None,
                    "live_s": time.monotonic() - self.started}

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
        self.client.close()


class Guards:
    """The canary and the shadow a front may be running, around its serving client's calls."""

    def __init__(self, client_for: Callable[[str], object], judge: Judge) -> None:
        self.client_for, self.judge = client_for, judge
        self.canary: Canary | None = None
        self.shadow: Shadow | None = None

    def predict(self, records: list[dict], serving: Callable[[list[dict]], Prediction]) -> Prediction:
        canary = self.canary
        if canary is not None and canary.takes_turn() and (prediction := canary.predict(records)) is not None:
            return prediction
        prediction = serving(records)
        shadow = self.shadow
        if shadow is not None:
            shadow.mirror(records, prediction)
        return prediction

    def status(self) -> dict:
        live = {"canary": self.canary, "shadow": self.shadow}
        return {name: guard.state() for name, guard in live.items() if guard is not None}

    def start(self, kind: str, url: str, share: float | None = None) -> dict:
        client = self.client_for(url)
        guard = Canary(client, share, self.judge) if kind == "canary" else Shadow(client, self.judge)
        setattr(self, kind, guard)
        return guard.state()

    def end(self, kind: str) -> dict | None:
        guard = getattr(self, kind)
        setattr(self, kind, None)
        if guard is None:
            return None
        guard.close()
        return guard.state()

    def close(self) -> None:
        for kind in ("canary", "shadow"):
            self.end(kind)


def guard_routes(bp: Blueprint, guards: Guards, url_problem: Callable[[object], str | None], admin) -> None:
    """POST, GET, DELETE /admin/canary and /admin/shadow on `bp`, each wrapped in `admin` (the
    admin only, on loopback). POST /admin/canary takes {"url", "share"}; /admin/shadow {"url"}."""

    def started(kind: str):
        body = json_or_none(request.get_data())
        body = body if isinstance(body, dict) else {}
        problem = url_problem(body.get("url"))
        share = body.get("share")
        if kind == "canary" and not problem and not (isinstance(share, (int, float)) and 0 < share < 1):
            problem = f'send {{"share": a number between 0 and 1 (0.05: 5 % of the calls)}}; got {share!r}'
        if problem:
            return jsonify(error="Bad request", message=problem), 400
        if getattr(guards, kind) is not None:
            return jsonify(error="Conflict", message=f"a {kind} is live already: DELETE /admin/{kind} first"), 409
        return jsonify(guards.start(kind, body["url"].rstrip("/"), share if kind == "canary" else None)), 201

    def read(kind: str):
        guard = getattr(guards, kind)
        return jsonify(guard.state()) if guard else (jsonify(error="Not found", message=f"no {kind} is live"), 404)

    def ended(kind: str):
        state = guards.end(kind)
        return jsonify(state) if state else (jsonify(error="Not found", message=f"no {kind} is live"), 404)

    for kind in ("canary", "shadow"):
        path = f"/admin/{kind}"
        bp.add_url_rule(path, f"start_{kind}", admin(lambda kind=kind: started(kind), json=True), methods=["POST"])
        bp.add_url_rule(path, f"read_{kind}", admin(lambda kind=kind: read(kind)), methods=["GET"])
        bp.add_url_rule(path, f"end_{kind}", admin(lambda kind=kind: ended(kind)), methods=["DELETE"])
