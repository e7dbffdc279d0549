"""The front's gRPC client of the model service: one channel, deadlines, safe retries.

One channel serves all of the front's threads (gRPC channels are thread-safe and multiplex calls
over one HTTP/2 connection). Every call carries a deadline of `timeout` seconds. As with the HTTP
client, a prediction is a pure function of its input, so a call that got no answer from the
service (UNAVAILABLE: refused, reset; CANCELLED: a server beginning its graceful stop drops the
calls it has received but not started) is retried, at most `attempts` times in all, on a fresh
channel to the current `url`; a retry after a switch goes to the new service. A deadline is not
retried (the service is alive but slow), nor is an answer.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import grpc

from patterns.web.backend import BackendUnavailable, Prediction

from .answers import read_answer
from .grpc_wire import channel, predict_request, service_answer
from .proto import model_service_pb2 as messages
from .proto import model_service_pb2_grpc as stubs

RETRIED = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED)


class GrpcModelClient:
    """Calls ModelService.Predict at `url` (grpc://host:port); `url` may be switched at any time."""

    def __init__(self, url: str, timeout: float = 5.0, attempts: int = 3, backoff: float = 0.05) -> None:
        self.timeout = timeout
        self.attempts = max(1, attempts)
        self.backoff = backoff
        self._lock = threading.Lock()
        self._channel: grpc.Channel | None = None
        self._stub: stubs.ModelServiceStub | None = None
        self.url = url

    @property
    def url(self) -> str:
        return self._url

    @url.setter
    def url(self, url: str) -> None:
        """Switch to another service. Calls in flight finish on the old channel, so it is not closed."""
        with self._lock:
            self._url = url.rstrip("/")
            self._channel = self._stub = None

    def predict(self, records: list[dict]) -> Prediction:
        request = predict_request(records)
        attempt = 0
        while True:
            attempt += 1
            url, stub = self._current()
            try:
                reply = stub.Predict(request, timeout=self.timeout)
                return Prediction(values=list(reply.predictions), model_version=reply.model_version)
            except grpc.RpcError as error:
                answer = service_answer(error)
                if answer is not None:
                    return read_answer(*answer, url)  # the service refused: read it as the HTTP answer
                code = error.code()
                if code == grpc.StatusCode.DEADLINE_EXCEEDED:
                    raise BackendUnavailable(f"the model service at {url} did not answer within {self.timeout:g} s") from None
                self._forget(url)
                if code not in RETRIED:
                    raise BackendUnavailable(f"calling the model service at {url} failed: {describe(error)}") from None
                if attempt >= self.attempts:
                    raise BackendUnavailable(
                        f"the model service at {url} is not reachable ({describe(error)}); tried {attempt} times") from None
                time.sleep(self.backoff * attempt)

    def ready(self) -> dict:
        """What the Ready RPC says, or why it could not be asked (for the front's /status)."""
        url, stub = self._current()
        try:
            reply = stub.Ready(messages.ReadyRequest(), timeout=min(self.timeout, 1.0))
        except grpc.RpcError as error:
            self._forget(url)
            return {"url": url, "answers": False, "ready": False, "reason": describe(error)}
        return {"url": url, "answers": True, **ready_fields(reply)}

    def close(self) -> None:
        with self._lock:
            if self._channel is not None:
                self._channel.close()
            self._channel = self._stub = None

    def _current(self) -> tuple[str, stubs.ModelServiceStub]:
        with self._lock:
            if self._stub is None:
                self._channel = channel(self._url)
                self._stub = stubs.ModelServiceStub(self._channel)
            return self._url, self._stub

    def _forget(self, url: str) -> None:
        """The next call opens a fresh channel, which connects at once instead of after gRPC's backoff."""
        with self._lock:
            if self._url == url:
                self._channel = self._stub = None


def ready_fields(reply: messages.ReadyReply) -> dict:
    if reply.ready:
        return {"ready": True, "model_version": reply.model_version}
    return {"ready": False, "reason": reply.reason}


def wait_until_ready(url: str, timeout: float = 30.0, interval: float = 0.05,
                     alive: Callable[[], bool] | None = None) -> float:
    """Poll the Ready RPC at `url` until it says ready; return the seconds waited.

    TimeoutError after `timeout`; RuntimeError as soon as `alive()` turns false (the process exited).
    """
    started = time.monotonic()
    client = GrpcModelClient(url, timeout=1.0)
    try:
        while True:
            state = client.ready()
            if state["ready"]:
                return time.monotonic() - started
            if alive is not None and not alive():
                raise RuntimeError(f"the process serving {url} exited before it was ready")
            if time.monotonic() - started >= timeout:
                raise TimeoutError(f"{url} was not ready within {timeout:g} s: {state['reason']}")
            time.sleep(interval)
    finally:
        client.close()


def describe(error: grpc.RpcError) -> str:
    """The reason in a few words (e.g. 'connection refused') instead of gRPC's full debug text."""
    details = error.details() or ""
    if "Connection refused" in details:
        return "connection refused"
    return f"{error.code().name}: {details}" if details else error.code().name
