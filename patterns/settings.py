"""The environment settings every process reads (names as in docs/DESIGN.md), and the way an
architecture declares its own.

`Settings` holds what all architectures share: where files go, which model, the cost knob, the
front's credentials. An architecture that reads more subclasses it in `patterns/<arch>/settings.py`
with fields made by `setting(ENV_NAME, default, ...)`; `namespaced=` marks a field that names a
resource a measured run must have of its own (a topic, a queue, a database file) and says how its
value changes. Its System class names that subclass (`settings_class`), so a child process is given
the shared settings and its own architecture's, never another's (`to_env`).

Read once with `from_env()` and pass the object on, so a test or the launcher can build a system
from explicit settings instead of mutating `os.environ`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import MISSING, Field, dataclass, field, fields, replace
from pathlib import Path
from typing import Self

from shared_model import archlab_home

NAMESPACE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
ARCHITECTURE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")  # a folder under patterns/ (the registry says which exist)


def setting(env: str, default=None, *, default_factory=MISSING, parse: Callable[[str, str], object] | None = None,
            namespaced: Callable[[object, str, Settings], object] | None = None, secret: bool = False) -> Field:
    """A settings field read from the environment variable `env`. `parse(env, text)` turns its text
    into the value (ValueError naming `env` for a bad one); `namespaced(value, namespace, settings)`
    is the value a run in `namespace` uses instead; `secret` keeps it out of `repr`."""
    metadata = {"env": env, "parse": parse or (lambda name, text: text), "namespaced": namespaced}
    if default_factory is not MISSING:
        return field(default_factory=default_factory, repr=not secret, metadata=metadata)
    return field(default=default, repr=not secret, metadata=metadata)


def suffixed(value: str, namespace: str, settings: Settings) -> str:
    """A run's own topic or queue: the configured name with `.<namespace>` appended."""
    return f"{value}.{namespace}"


def seconds(name: str, text: str) -> float:
    """A positive number of seconds; ValueError naming the setting otherwise."""
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise ValueError(f"{name} must be a positive number of seconds; got {text!r}")
    return value


def milliseconds(name: str, text: str) -> float:
    """A non-negative, finite number of milliseconds; ValueError naming the setting otherwise."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value < float("inf"):
        raise ValueError(f"{name} must be a non-negative number of milliseconds (e.g. 20); got {text!r}")
    return value


def one_of(choices: tuple[str, ...]) -> Callable[[str, str], str]:
    """A parser accepting only `choices` (named in the error)."""
    def parse(name: str, text: str) -> str:
        if text not in choices:
            raise ValueError(f"{name} must be one of {', '.join(choices)}; got {text!r}")
        return text
    return parse


def _path(name: str, text: str) -> Path:
    return Path(text).expanduser().resolve()


def _architecture(name: str, text: str) -> str:
    if not ARCHITECTURE_NAME.match(text):
        raise ValueError(f"{name} must name an architecture (lower-case letters, digits and '_'); got {text!r}")
    return text


@dataclass(frozen=True)
class Settings:
    """The settings every architecture shares; defaults follow docs/DESIGN.md. `environ` is the
    environment they were read from (empty when built by hand): an architecture's own settings are
    read from it when a system turns these into its own (`from_settings`)."""

    home: Path = setting("ARCHLAB_HOME", default_factory=archlab_home, parse=_path)
    arch: str = setting("ARCHLAB_ARCH", "embedded", parse=_architecture)
    model_version: str | None = setting("ARCHLAB_MODEL_VERSION")
    model_cost_ms: float = setting("MODEL_COST_MS", 0.0, parse=milliseconds)  # busy CPU per prediction call
    # the shared front's credentials (patterns/web/auth.py): the admin, and reviewers as "name:password,..."
    admin_token: str | None = setting("ARCHLAB_ADMIN_TOKEN", secret=True)
    reviewers: str | None = setting("ARCHLAB_REVIEWERS", secret=True)
    environ: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Self:
        """This class's settings from `environ` (default `os.environ`); unset or empty ones keep their defaults."""
        environ = dict(os.environ if environ is None else environ)
        values = {f.name: f.metadata["parse"](f.metadata["env"], environ[f.metadata["env"]])
                  for f in _declared(cls) if environ.get(f.metadata["env"])}
        return cls(**values, environ=environ)

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        """`settings` as this class: the fields both declare kept, this class's own read from the
        environment `settings` were read from (their defaults for settings built by hand); fields
        this class does not declare are dropped."""
        if type(settings) is cls:
            return settings
        kept = {f.name for f in _declared(type(settings))}
        return replace(cls.from_env(settings.environ),
                       **{f.name: getattr(settings, f.name) for f in _declared(cls) if f.name in kept})

    @classmethod
    def env_names(cls) -> dict[str, str]:
        """field -> environment variable, for every setting this class declares."""
        return {f.name: f.metadata["env"] for f in _declared(cls)}

    @classmethod
    def namespaced_fields(cls) -> tuple[str, ...]:
        """The settings that name a resource a run has of its own (`in_namespace` changes exactly these)."""
        return tuple(f.name for f in _declared(cls) if f.metadata["namespaced"])

    @property
    def log_dir(self) -> Path:
        return self.home / "logs"

    def in_namespace(self, namespace: str) -> Self:
        """The same settings with a run's own resources (as each namespaced field declares: a topic,
        a queue, a SQLite file), so a measurement never touches a user's live ones."""
        if not NAMESPACE.match(namespace):
            raise ValueError(f"a namespace is lower-case letters, digits and '-' (at most 40); got {namespace!r}")
        return replace(self, **{f.name: f.metadata["namespaced"](getattr(self, f.name), namespace, self)
                                for f in _declared(type(self)) if f.metadata["namespaced"]})

    def to_env(self) -> dict[str, str]:
        """The settings as environment variables, for a child process; unset values are left out."""
        return {f.metadata["env"]: str(getattr(self, f.name))
                for f in _declared(type(self)) if getattr(self, f.name) is not None}


def _declared(cls: type) -> list[Field]:
    """The fields of `cls` that are settings (read from an environment variable)."""
    return [f for f in fields(cls) if "env" in f.metadata]
