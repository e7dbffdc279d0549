"""The model service instances one front client spreads its calls over (HTTP and gRPC alike).

`MODEL_SERVICE_URL` may list several instances, comma-separated: the model service scales on its
own while the front stays one process. Calls go round-robin. An instance that refused a
connection rests for `REST_SECONDS` (the others take its turns, so one instance down costs at most
one refused connection per second, not a failed request); when every instance rests, the next in
turn is asked anyway, to find out whether it is back. Each instance's answers are counted, so the
front's /status shows that every instance really served.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator

from patterns.web.backend import BackendUnavailable

REST_SECONDS = 1.0


def split_urls(value: str) -> tuple[str, ...]:
    """`"http://a:1, http://b:2/"` -> `("http://a:1", "http://b:2")`."""
    urls = tuple(url.strip().rstrip("/") for url in value.split(",") if url.strip())
    if not urls:
        raise ValueError(f"expected one model service URL or several, comma-separated; got {value!r}")
    return urls


class Instances:
    """One set of instances; a client replaces the whole set when the front is switched."""

    def __init__(self, value: str, rest_seconds: float = REST_SECONDS) -> None:
        self.urls = split_urls(value)
        self.rest_seconds = rest_seconds
        self._turn = itertools.count()
        self._lock = threading.Lock()
        self._resting_until = dict.fromkeys(self.urls, 0.0)
        self._answered = dict.fromkeys(self.urls, 0)

    def __str__(self) -> str:
        return ",".join(self.urls)

    def pick(self) -> str:
        """The next instance in turn that is not resting (or simply the next, if all are)."""
        now = time.monotonic()
        for _ in self.urls:
            url = self.urls[next(self._turn) % len(self.urls)]
            if self._resting_until[url] <= now:
                return url
        return self.urls[next(self._turn) % len(self.urls)]

    def refused(self, url: str) -> bool:
        """Rest `url`; True when another instance is not resting (retry there at once, no backoff)."""
        now = time.monotonic()
        self._resting_until[url] = now + self.rest_seconds
        return any(until <= now for until in self._resting_until.values())

    def answered(self, url: str) -> None:
        with self._lock:
            self._answered[url] += 1

    def answers(self, url: str) -> int:
        """How many calls `url` answered (any answer, a refusal too) since this set was made."""
        return self._answered[url]

    def summary(self, states: list[dict]) -> dict:
        """One instance: its state as is. Several: ready when any is, each under `instances`."""
        if len(states) == 1:
            return states[0]
        return {"url": str(self), "answers": any(s["answers"] for s in states),
                "ready": any(s["ready"] for s in states), "instances": states}


def turns(current: Callable[[], Instances]) -> Iterator[tuple[Instances, str, list[str]]]:
    """One call's tries: the set of instances (read again at each try, so a switch mid-call is
    honoured), the instance whose turn it is, and every instance tried so far, this one included."""
    tried: list[str] = []
    while True:
        instances = current()
        url = instances.pick()
        tried.append(url)
        yield instances, url, tried


def retry_or_give_up(tried: list[str], attempts: int, backoff: float, another_answers: bool, reason: str) -> None:
    """After a retryable failure at `tried[-1]` (a prediction is pure: asking again is safe): give up
    with BackendUnavailable naming every instance tried once `attempts` are spent; otherwise rest
    `backoff` per try so far, unless another instance answers meanwhile, and let the caller try again."""
    if len(tried) >= attempts:
        where = ", ".join(dict.fromkeys(tried))
        raise BackendUnavailable(f"the model service at {where} is not reachable ({reason}); "
                                 f"tried {len(tried)} times") from None
    if not another_answers:
        time.sleep(backoff * len(tried))
