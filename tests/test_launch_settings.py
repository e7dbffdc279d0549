"""Settings: one frozen object read from the documented environment variables, and back."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from patterns.settings import ENV_NAMES, Settings


def test_every_setting_has_exactly_one_environment_variable():
    assert set(ENV_NAMES) == {f.name for f in fields(Settings)}
    assert len(set(ENV_NAMES.values())) == len(ENV_NAMES)


def test_defaults_follow_the_design(archlab_home):
    settings = Settings.from_env({"ARCHLAB_HOME": str(archlab_home)})
    assert settings.home == archlab_home.resolve()
    assert settings.arch == "embedded" and settings.model_transport == "http"
    assert settings.log_dir == archlab_home.resolve() / "logs"
    assert settings.effective_database_url == f"sqlite:///{archlab_home.resolve() / 'async.db'}"


def test_settings_survive_the_trip_to_a_child_process_environment(tmp_path):
    settings = Settings(home=tmp_path, arch="api", model_service_url="http://127.0.0.1:9/", model_version="v1")
    env = settings.to_env()
    assert env["ARCHLAB_ARCH"] == "api" and "KAFKA_BOOTSTRAP_SERVERS" not in env
    assert Settings.from_env(env) == Settings(**{**settings.__dict__, "home": Path(tmp_path).resolve()})


def test_an_unknown_architecture_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="embedded, api, streaming, async"):
        Settings.from_env({"ARCHLAB_ARCH": "lambda"})
