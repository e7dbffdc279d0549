"""The streaming architecture's own settings (docs/DESIGN.md, "Settings"): the broker and the model topic."""

from __future__ import annotations

from dataclasses import dataclass

from patterns.settings import Settings, setting, suffixed


@dataclass(frozen=True)
class StreamingSettings(Settings):
    kafka_bootstrap_servers: str | None = setting("KAFKA_BOOTSTRAP_SERVERS")  # unset: the launcher starts a broker
    kafka_model_topic: str = setting("KAFKA_MODEL_TOPIC", "archlab.models", namespaced=suffixed)
    instance: str = setting("ARCHLAB_INSTANCE", "")  # this app instance's name: a canary pin may address it
