"""The model API's own settings (docs/DESIGN.md, "Settings"): how the front reaches the model
service, and which stored file the service loads."""

from __future__ import annotations

from dataclasses import dataclass

from patterns.settings import Settings, one_of, seconds, setting, suffixed

MODEL_FORMATS = ("pickle", "onnx", "mlflow", "json")  # the files a model service can load (shared_model.formats)


@dataclass(frozen=True)
class ApiSettings(Settings):
    model_service_url: str | None = setting("MODEL_SERVICE_URL")  # http://host:port or grpc://host:port, comma-separated
    model_transport: str = setting("MODEL_TRANSPORT", "http")
    model_format: str = setting("MODEL_FORMAT", "pickle", parse=one_of(MODEL_FORMATS))
    model_timeout: float = setting("MODEL_TIMEOUT", 5.0, parse=seconds)
    amqp_url: str = setting("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")
    model_queue: str = setting("MODEL_QUEUE", "archlab.predict", namespaced=suffixed)
