"""The front's gRPC client of the model service: one channel, deadlines, safe retries.

One channel serves all of the front's threads (gRPC channels are thread-safe and multiplex calls
over one HTTP/2 connection). Every call carries a deadline of `timeout` seconds. As with the HTTP
client, a prediction is a pure function of its input, so a call that got no answer from the
service (UNAVAILABLE: refused, reset; CANCELLED: a server beginning its graceful stop drops the
calls it has received but not started) is retried, at most `attempts` times in all, on a fresh
channel to the current `url`; a retry after a switch goes to the new service. A deadline is not
retried (the service is alive but slow), nor is an answer. With several instances (`url` lists
them, comma-separated) there is one channel per instance, calls go round-robin, and an instance
that is unavailable is passed over at once for another (`instances`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import grpc

from patterns.web.backend import BackendUnavailable, Prediction

from .answers import read_answer
from .instances import Instances, retry_or_give_up, turns
from .grpc_wire import channel, predict_request, service_answer, service_timing
from .proto import model_service_pb2 as messages
from .proto import model_service_pb2_grpc as stubs

RETRIED = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED)


class GrpcModelClient:
    """Calls ModelService.Predict at `url` (grpc://host:port, or several comma-separated); `url` may
    be switched at any time."""

    def __init__(self, url: str, timeout: float = 5.0, attempts: int = 3, backoff: float = 0.05) -> None:
        self.timeout = timeout
        self.attempts = max(1, attempts)
        self.backoff = backoff
        self._lock = threading.Lock()
        self._channels: dict[str, tuple[grpc.Channel, stubs.ModelServiceStub]] = {}
        self.url = url

    @property
    def url(self) -> str:
        return str(self._instances)

    @url.setter
    def url(self, url: str) -> None:
        """Switch to other instances. Calls in flight finish on the old channels, so they are not closed."""
        with self._lock:
            self._instances = Instances(url)
            self._channels = {}

    def predict(self, records: list[dict]) -> Prediction:
        request = predict_request(records)
        for instances, url, tried in turns(lambda: self._instances):
            try:
                reply, call = self._stub(url).Predict.with_call(request, timeout=self.timeout)
                instances.answered(url)
                return Prediction(values=list(reply.predictions), model_version=reply.model_version,
                                  timing=service_timing(call.trailing_metadata()))
            except grpc.RpcError as error:
                answer = service_answer(error)
                if answer is not None:
                    instances.answered(url)
                    return read_answer(*answer, url)  # the service refused: read it as the HTTP answer
                code = error.code()
                if code == grpc.StatusCode.DEADLINE_EXCEEDED:
                    raise BackendUnavailable(f"the model service at {url} did not answer within {self.timeout:g} s") from None
                self._forget(url)
                if code not in RETRIED:
                    raise BackendUnavailable(f"calling the model service at {url} failed: {describe(error)}") from None
                retry_or_give_up(tried, self.attempts, self.backoff, instances.refused(url), describe(error))

    def ready(self) -> dict:
        """What the Ready RPC says at each instance, or why it could not be asked (for the front's /status)."""
        instances = self._instances
        return instances.summary([{**self._ready_at(url), "answered": instances.answers(url)} for url in instances.urls])

    def close(self) -> None:
        with self._lock:
            for open_channel, _ in self._channels.values():
                open_channel.close()
            self._channels = {}

    def _ready_at(self, url: str) -> dict:
        try:
            reply = self._stub(url).Ready(messages.ReadyRequest(), timeout=min(self.timeout, 1.0))
        except grpc.RpcError as error:
            self._forget(url)
            return {"url": url, "answers": False, "ready": False, "reason": describe(error)}
        return {"url": url, "answers": True, **ready_fields(reply)}

    def _stub(self, url: str) -> stubs.ModelServiceStub:
        with self._lock:
            if url not in self._channels:
                opened = channel(url)
                self._channels[url] = (opened, stubs.ModelServiceStub(opened))
            return self._channels[url][1]

    def _forget(self, url: str) -> None:
        """The next call opens a fresh channel, which connects at once instead of after gRPC's backoff."""
        with self._lock:
            self._channels.pop(url, None)


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
