"""Who may put a model into a running app: real processes, real broker, real logs.

The issue this answers: with a public development key, anyone who could write to the model topic
had their pickle run in every app. Now every process that loads models (streaming app, front,
model services) refuses to start with the development key where others can reach it, and a
bundle signed with any key the app does not trust is never unpickled.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import subprocess
import sys
import time
import urllib.request

import pytest

from shared_model import ModelStore
from shared_model.artifacts import METADATA_FILE, PICKLE_FILE, SIGNATURE_FILE, pack, sign
from shared_model.keys import SIGNING_KEY_ENV, VERIFY_KEYS_ENV, generate_key_pair

from patterns.launch import ManagedProcess, free_port
from patterns.streaming.broker import MANAGED_BROKER_ENV, LocalBroker
from patterns.streaming.publisher import Publisher

MARKER = "PAYLOAD-RAN-7f3a"


class Printer:
    """Unpickling this prints MARKER: if it ever appears in an app's log, a payload ran."""

    def __reduce__(self):
        return (print, (MARKER,))


def development_env(**extra: str) -> dict[str, str]:
    """This process's environment without any key setting: the development key."""
    env = {k: v for k, v in os.environ.items() if k not in (SIGNING_KEY_ENV, VERIFY_KEYS_ENV, MANAGED_BROKER_ENV)}
    return {**env, **extra}


def front(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "patterns.web", *args], capture_output=True, text=True,
                          env=env, timeout=60)


def test_a_streaming_app_with_the_development_key_refuses_an_external_broker(archlab_home):
    env = development_env(ARCHLAB_ARCH="streaming", KAFKA_BOOTSTRAP_SERVERS=f"127.0.0.1:{free_port()}")
    result = front("--port", str(free_port()), env=env)
    assert result.returncode == 2
    assert "refusing to start: streaming through the external Kafka broker" in result.stderr
    assert "archlab keys generate DIR" in result.stderr and "Traceback" not in result.stderr


def test_any_front_with_the_development_key_refuses_a_non_loopback_listener(archlab_home):
    result = front("--host", "0.0.0.0", "--port", str(free_port()), env=development_env(ARCHLAB_ARCH="embedded"))
    assert result.returncode == 2
    assert "refusing to start: listening on 0.0.0.0 (not loopback)" in result.stderr


def test_publishing_to_an_external_broker_with_the_development_key_is_refused(home_with_models):
    env = development_env(KAFKA_BOOTSTRAP_SERVERS=f"127.0.0.1:{free_port()}")
    result = subprocess.run([sys.executable, "-m", "archlab", "publish", "v1"], capture_output=True, text=True,
                            env=env, timeout=60)
    assert result.returncode == 2 and "refusing to start" in result.stderr


def status(url: str) -> dict:
    with urllib.request.urlopen(url + "/status", timeout=2) as response:
        return json.loads(response.read())


def wait_for(predicate, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def attacker_bundle(store: ModelStore, key, version: str) -> bytes:
    """A well-formed bundle with consistent digests, a printing pickle, signed with `key`."""
    files = store.files("v2")
    files[PICKLE_FILE] = pickle.dumps(Printer())
    metadata = json.loads(files[METADATA_FILE])
    metadata["files"][PICKLE_FILE] = metadata["digest"] = hashlib.sha256(files[PICKLE_FILE]).hexdigest()
    metadata["version"] = version
    files[METADATA_FILE] = json.dumps(metadata, indent=1, sort_keys=True).encode()
    files[SIGNATURE_FILE] = sign(files[METADATA_FILE], key).encode()
    return pack(files)


@pytest.mark.slow
def test_a_bundle_signed_with_an_untrusted_key_never_runs_its_pickle_in_the_app(home_with_models, tmp_path):
    store = ModelStore()
    with LocalBroker(log_dir=tmp_path) as broker:
        with Publisher(broker.bootstrap_servers, "archlab.models", store) as publisher:
            publisher.publish("v1")
            port = free_port()
            env = {**os.environ, "ARCHLAB_ARCH": "streaming", "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap_servers}
            app = ManagedProcess("app", [sys.executable, "-m", "patterns.web", "--port", str(port)],
                                 env=env, port=port, log_dir=tmp_path)
            with app:
                app.wait_healthy()
                wait_for(lambda: status(app.url)["model_version"] == "v1", "v1 in the app")
                assert status(app.url)["signing"]["keys"] == "configured"

                attacker = generate_key_pair(tmp_path / "attacker")  # e.g. the old public development key
                bad = attacker_bundle(store, attacker, "v999")
                publisher.send_bundle(bad, {**store.metadata("v2"), "version": "v999"})
                wait_for(lambda: status(app.url)["rejected"] == 1, "the app to reject the bundle")

                answer = status(app.url)
                assert answer["model_version"] == "v1"
                assert answer["rejected_by_reason"] == {"unverified": 1}
                assert f"signed with key {attacker.key_id}, which is not trusted" in answer["last_error"]
    assert MARKER not in app.log_path.read_text()
    assert "not trusted" in app.log_path.read_text()  # the log shows the refusal: the check above can fail


@pytest.mark.parametrize("module", ["patterns.api.service", "patterns.api.grpc_service"])
def test_a_model_service_with_the_development_key_refuses_a_non_loopback_listener(module, archlab_home):
    result = subprocess.run([sys.executable, "-m", module, "--host", "0.0.0.0", "--port", str(free_port())],
                            capture_output=True, text=True, env=development_env(), timeout=60)
    assert result.returncode == 2
    assert "refusing to start: listening on 0.0.0.0 (not loopback)" in result.stderr


def test_serving_streaming_from_an_external_broker_with_the_development_key_is_refused_before_starting(archlab_home):
    env = development_env(KAFKA_BOOTSTRAP_SERVERS=f"127.0.0.1:{free_port()}")
    result = subprocess.run([sys.executable, "-m", "archlab", "serve", "streaming"], capture_output=True, text=True,
                            env=env, timeout=60)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "archlab serve: error: refusing to start: streaming through the external Kafka broker" in result.stderr
