"""The streaming backend before any model arrived, and `archlab publish` without a broker."""

from __future__ import annotations

import pytest

from archlab.cli import main
from patterns.launch import free_port
from patterns.settings import Settings
from patterns.streaming.settings import StreamingSettings
from patterns.streaming.backend import create_backend
from patterns.streaming.broker import LocalBroker
from patterns.web.backend import BackendUnavailable
from shared_model import example_record


def test_without_bootstrap_servers_predictions_say_how_to_start_the_system():
    backend = create_backend(Settings(arch="streaming"))
    with pytest.raises(BackendUnavailable, match="KAFKA_BOOTSTRAP_SERVERS is not set"):
        backend.predict([example_record()])
    assert backend.status()["broker"] == "not configured"


def test_before_the_first_model_arrives_predictions_are_unavailable(tmp_path):
    with LocalBroker(log_dir=tmp_path) as broker:
        backend = create_backend(StreamingSettings(arch="streaming", kafka_bootstrap_servers=broker.bootstrap_servers))
        try:
            with pytest.raises(BackendUnavailable, match="no model has arrived yet"):
                backend.predict([example_record()])
            assert backend.status()["model_version"] is None
        finally:
            backend.close()


def test_publish_without_a_broker_exits_2_with_a_hint(home_with_models, monkeypatch, capsys):
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    assert main(["publish", "v2"]) == 2
    assert "no Kafka broker" in capsys.readouterr().err

    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", f"127.0.0.1:{free_port()}")
    assert main(["publish", "v2"]) == 2
    assert "cannot reach Kafka" in capsys.readouterr().err
