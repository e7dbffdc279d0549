"""Settings: the shared ones and each architecture's own, read from the documented environment
variables and handed to a child process, which gets only what its architecture declares."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from patterns.launch.architectures import ARCHITECTURES, system_class
from patterns.settings import Settings
from patterns.web.backend import load_backend


def settings_classes() -> dict[str, type[Settings]]:
    return {arch: system_class(arch).settings_class for arch in ARCHITECTURES}


def test_every_setting_has_exactly_one_environment_variable():
    for cls in settings_classes().values():
        names = cls.env_names()
        assert set(names) == {f.name for f in fields(cls)} - {"environ"}
        assert len(set(names.values())) == len(names)
    owners: dict[str, set[type]] = {}
    for cls in settings_classes().values():
        for name in set(cls.env_names().values()) - set(Settings.env_names().values()):
            owners.setdefault(name, set()).add(cls)
    assert all(len(classes) == 1 for classes in owners.values()), owners  # one architecture declares each


def test_defaults_follow_the_design(archlab_home):
    classes = settings_classes()
    settings = classes["async"].from_env({"ARCHLAB_HOME": str(archlab_home)})
    assert settings.home == archlab_home.resolve() and settings.arch == "embedded"
    assert settings.log_dir == archlab_home.resolve() / "logs"
    assert settings.effective_database_url == f"sqlite:///{archlab_home.resolve() / 'async.db'}"
    assert classes["api"].from_env({}).model_transport == "http"


def test_settings_survive_the_trip_to_a_child_process_environment(tmp_path):
    api_settings = settings_classes()["api"]
    settings = api_settings(home=tmp_path, arch="api", model_service_url="http://127.0.0.1:9/", model_version="v1")
    env = settings.to_env()
    assert env["ARCHLAB_ARCH"] == "api" and env["MODEL_SERVICE_URL"] == "http://127.0.0.1:9/"
    assert api_settings.from_env(env) == api_settings(**{**settings.__dict__, "home": Path(tmp_path).resolve()})


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_a_child_process_gets_the_shared_settings_and_only_its_own_architectures(arch, tmp_path):
    """Everything set in the parent's environment; the child's environment (`to_env` of the
    system's settings, as its launcher builds it) carries no other architecture's variable."""
    classes = settings_classes()
    everything = {name: "1" if name == "MODEL_COST_MS" else f"value-{name}".lower()
                  for cls in classes.values() for name in cls.env_names().values()}
    everything.update(ARCHLAB_HOME=str(tmp_path), ARCHLAB_ARCH=arch, MODEL_FORMAT="onnx", MODEL_TIMEOUT="2",
                      MODEL_TRANSPORT="http")
    system = system_class(arch)(settings=Settings.from_env(everything))
    env = system.settings.to_env()
    own = set(classes[arch].env_names().values())
    assert set(env) == own  # all its own, set as given
    others = {name for cls in classes.values() for name in cls.env_names().values()} - own
    assert not others & set(env)
    if arch == "embedded":
        assert {"MODEL_QUEUE", "KAFKA_MODEL_TOPIC", "DATABASE_URL", "MODEL_SERVICE_URL"} <= others


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_a_namespace_changes_exactly_the_resources_its_architecture_declares(arch, tmp_path):
    cls = settings_classes()[arch]
    settings = cls(home=tmp_path)
    run = settings.in_namespace("run-1")
    changed = {f.name for f in fields(cls) if getattr(run, f.name) != getattr(settings, f.name)}
    assert changed == set(cls.namespaced_fields())
    assert {"api": {"model_queue"}, "streaming": {"kafka_model_topic"}, "async": {"database_url"}}.get(arch, set()) == changed
    for name in changed:
        assert "run-1" in str(getattr(run, name))


def test_a_namespace_keeps_a_users_postgresql_url_and_moves_sqlite_under_the_run(tmp_path):
    async_settings = settings_classes()["async"]
    assert async_settings(home=tmp_path).in_namespace("r").database_url == f"sqlite:///{tmp_path / 'runs' / 'r' / 'async.db'}"
    users = "postgresql://127.0.0.1:5432/test"
    assert async_settings(home=tmp_path, database_url=users).in_namespace("r").database_url == users


def test_settings_built_by_hand_do_not_read_the_environment(monkeypatch, tmp_path):
    """A system given explicit settings gets its own settings' defaults, not whatever the shell exported."""
    monkeypatch.setenv("MODEL_QUEUE", "from-the-shell")
    converted = settings_classes()["api"].from_settings(Settings(home=tmp_path, model_version="v2"))
    assert (converted.model_queue, converted.model_version, converted.home) == ("archlab.predict", "v2", tmp_path)
    assert settings_classes()["api"].from_settings(Settings.from_env()).model_queue == "from-the-shell"


def test_a_bad_value_is_refused_naming_the_setting():
    with pytest.raises(ValueError, match="MODEL_COST_MS must be a non-negative number"):
        Settings.from_env({"MODEL_COST_MS": "fast"})
    with pytest.raises(ValueError, match="MODEL_TIMEOUT must be a positive number of seconds"):
        settings_classes()["api"].from_env({"MODEL_TIMEOUT": "0"})


def test_an_unknown_architecture_is_refused_by_the_front():
    with pytest.raises(ValueError, match="ARCHLAB_ARCH names no architecture with a backend.*'lambda'"):
        load_backend(Settings.from_env({"ARCHLAB_ARCH": "lambda"}))
    with pytest.raises(ValueError, match="ARCHLAB_ARCH must name an architecture"):
        Settings.from_env({"ARCHLAB_ARCH": "../etc"})
