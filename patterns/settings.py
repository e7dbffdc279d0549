"""Every environment setting the patterns read, in one place (names as in docs/DESIGN.md).

Read once with `Settings.from_env()` and pass the object on, so a test or the launcher can
build a system from explicit settings instead of mutating `os.environ`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from shared_model import archlab_home

ARCHITECTURES = ("embedded", "api", "streaming", "async", "client")
MODEL_FORMATS = ("pickle", "onnx", "mlflow", "json")  # the files a model service can load (shared_model.formats)
NAMESPACE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


@dataclass(frozen=True)
class Settings:
    """Field -> environment variable mapping is `ENV_NAMES`; defaults follow docs/DESIGN.md."""

    home: Path = field(default_factory=archlab_home)
    arch: str = "embedded"
    model_version: str | None = None
    model_service_url: str | None = None
    model_transport: str = "http"
    model_format: str = "pickle"
    amqp_url: str = "amqp://guest:guest@127.0.0.1:5672/%2F"
    model_queue: str = "archlab.predict"
    model_timeout: float = 5.0
    model_cost_ms: float = 0.0  # busy CPU per prediction call in the model's process (patterns.model_cost)
    kafka_bootstrap_servers: str | None = None
    kafka_model_topic: str = "archlab.models"
    database_url: str | None = None
    admin_token: str | None = field(default=None, repr=False)
    reviewers: str | None = field(default=None, repr=False)  # "name:password,name2:password2"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        environ = os.environ if environ is None else environ
        values = {f.name: environ[ENV_NAMES[f.name]] for f in fields(cls) if environ.get(ENV_NAMES[f.name])}
        if "home" in values:
            values["home"] = Path(values["home"]).expanduser().resolve()
        if "model_timeout" in values:
            values["model_timeout"] = _seconds(ENV_NAMES["model_timeout"], values["model_timeout"])
        if "model_cost_ms" in values:
            values["model_cost_ms"] = _milliseconds(ENV_NAMES["model_cost_ms"], values["model_cost_ms"])
        settings = cls(**values)
        if settings.arch not in ARCHITECTURES:
            raise ValueError(f"ARCHLAB_ARCH must be one of {', '.join(ARCHITECTURES)}; got {settings.arch!r}")
        if settings.model_format not in MODEL_FORMATS:
            raise ValueError(f"MODEL_FORMAT must be one of {', '.join(MODEL_FORMATS)}; got {settings.model_format!r}")
        return settings

    @property
    def log_dir(self) -> Path:
        return self.home / "logs"

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'async.db'}"

    def in_namespace(self, namespace: str) -> Settings:
        """The same settings with a run's own topic, queue and SQLite file, so a measurement never
        touches a user's live ones (a PostgreSQL database of its own is the async system's job)."""
        if not NAMESPACE.match(namespace):
            raise ValueError(f"a namespace is lower-case letters, digits and '-' (at most 40); got {namespace!r}")
        database = self.database_url
        if database is None or database.startswith("sqlite"):
            database = f"sqlite:///{self.home / 'runs' / namespace / 'async.db'}"
        return replace(self, kafka_model_topic=f"{self.kafka_model_topic}.{namespace}",
                       model_queue=f"{self.model_queue}.{namespace}", database_url=database)

    def to_env(self) -> dict[str, str]:
        """The settings as environment variables, for a child process; unset values are left out."""
        env = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None:
                env[ENV_NAMES[f.name]] = str(value)
        return env


ENV_NAMES = {
    "home": "ARCHLAB_HOME",
    "arch": "ARCHLAB_ARCH",
    "model_version": "ARCHLAB_MODEL_VERSION",
    "model_service_url": "MODEL_SERVICE_URL",
    "model_transport": "MODEL_TRANSPORT",
    "model_format": "MODEL_FORMAT",
    "amqp_url": "AMQP_URL",
    "model_queue": "MODEL_QUEUE",
    "model_timeout": "MODEL_TIMEOUT",
    "model_cost_ms": "MODEL_COST_MS",
    "kafka_bootstrap_servers": "KAFKA_BOOTSTRAP_SERVERS",
    "kafka_model_topic": "KAFKA_MODEL_TOPIC",
    "database_url": "DATABASE_URL",
    "admin_token": "ARCHLAB_ADMIN_TOKEN",
    "reviewers": "ARCHLAB_REVIEWERS",
}


def _seconds(name: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise ValueError(f"{name} must be a positive number of seconds; got {text!r}")
    return value


def _milliseconds(name: str, text: str) -> float:
    """A non-negative, finite number of milliseconds; ValueError naming the setting otherwise."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value < float("inf"):
        raise ValueError(f"{name} must be a non-negative number of milliseconds (e.g. 20); got {text!r}")
    return value
