"""The streaming backend: predicts with whatever model the background feed last swapped in (after
MODEL_COST_MS of CPU per call, `patterns.model_cost`), and tells the feed each answer it gave (a
canary's are judged, `canary.py`); /status counts the answers this instance gave."""

from __future__ import annotations

import logging
import threading

from patterns.model_cost import predict as predict_at_cost
from patterns.settings import Settings

from .settings import StreamingSettings
from patterns.web.backend import BackendUnavailable, Prediction

from .broker import require_keys_for_broker
from .consumer import ModelFeed


class StreamingBackend:
    """Reads `feed.model` once per request, so one request is answered by one whole model."""

    architecture = "streaming"

    def __init__(self, feed: ModelFeed | None, problem: str | None = None, cost_ms: float = 0.0) -> None:
        self.feed = feed
        self.problem = problem
        self.cost_ms = cost_ms
        self.answers = 0
        self._lock = threading.Lock()

    def predict(self, records: list[dict]) -> Prediction:
        model = self.feed.model if self.feed is not None else None  # the one read of the reference
        if model is None:
            raise BackendUnavailable(self.problem or (
                f"no model has arrived yet from topic {self.feed.topic!r} "
                f"(broker {self.feed.bootstrap_servers}: {self.feed.broker}); publish one with `archlab publish VERSION`"
            ))
        values, model_ms = predict_at_cost(model, records, self.cost_ms)
        with self._lock:
            self.answers += 1
        self.feed.answered(model, values)
        return Prediction(values, model.version, timing={"model": model_ms})

    def status(self) -> dict:
        if self.feed is None:
            return {"model_version": None, "broker": "not configured", "problem": self.problem}
        with self._lock:
            answers = self.answers
        return {**self.feed.status(), "answers": answers}

    def blueprint(self):
        return None

    def close(self) -> None:
        if self.feed is not None:
            self.feed.close()


def create_backend(settings: Settings) -> StreamingBackend:
    """Start following the model topic; predictions answer 503 until the first model arrives.

    An external broker with the development key raises shared_model.keys.KeyConfigurationError:
    the app must not start (anyone who can write to that topic could sign with a public key).
    """
    settings = StreamingSettings.from_settings(settings)
    # kafka-python logs every refused reconnect at WARNING; the feed reports the broker state itself.
    logging.getLogger("kafka").setLevel(logging.ERROR)
    if not settings.kafka_bootstrap_servers:
        return StreamingBackend(None, problem=(
            "KAFKA_BOOTSTRAP_SERVERS is not set: start the whole system with `archlab serve streaming`, "
            "or point it at a Kafka cluster"
        ))
    require_keys_for_broker(settings.kafka_bootstrap_servers)
    feed = ModelFeed(settings.kafka_bootstrap_servers, settings.kafka_model_topic,
                     instance=settings.instance).start()
    return StreamingBackend(feed, cost_ms=settings.model_cost_ms)
