"""Embedded architecture: the model wheel, its offline install, and a real redeploy v1 -> v2."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
import zipfile

import pytest
import requests

from archlab.measure.footprint import measure_footprint
from archlab.notebook.traffic import update_under_traffic
from launch_helpers import embedded_system, writable_home
from patterns.embedded.deploy import app_env, install_wheel, install_wheel_once
from patterns.embedded.lab.system import EmbeddedSystem
from patterns.embedded.wheel import PACKAGE, build_model_wheel, distribution_version
from patterns.settings import Settings
from shared_model import ModelNotFoundError, ModelStore, example_record

pytestmark = pytest.mark.slow  # starts real front processes


@pytest.fixture
def home(trained_home, tmp_path):
    return writable_home(trained_home, tmp_path / "home")


def test_wheel_is_valid_and_records_every_file(home, tmp_path):
    wheel = build_model_wheel("v1", tmp_path, ModelStore(home / "models"))
    assert wheel.name == "archlab_house_price_model-1-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        record = archive.read("archlab_house_price_model-1.dist-info/RECORD").decode().splitlines()
        metadata = archive.read("archlab_house_price_model-1.dist-info/METADATA").decode()
        for line in record:
            name, digest, size = line.rsplit(",", 2)
            if name.endswith("RECORD"):
                continue
            data = archive.read(name)
            expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            assert digest == f"sha256={expected}" and int(size) == len(data)
    assert {f"{PACKAGE}/__init__.py", f"{PACKAGE}/model.bundle"} <= names
    assert "Version: 1\n" in metadata


def test_installed_package_loads_the_verified_model(home, tmp_path):
    target = tmp_path / "env"
    install_wheel(build_model_wheel("v1", tmp_path, ModelStore(home / "models")), target)
    code = f"import json, {PACKAGE} as p; m = p.load(); print(json.dumps([p.MODEL_VERSION, m.version]))"
    env = {**os.environ, "PYTHONPATH": str(target), "ARCHLAB_HOME": str(home)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert json.loads(out.stdout) == ["v1", "v1"], out.stderr


def test_a_version_builds_the_same_wheel_and_pip_installs_it_once(home, tmp_path):
    store = ModelStore(home / "models")
    first, again = (build_model_wheel("v1", tmp_path / name, store) for name in ("a", "b"))
    assert first.read_bytes() == again.read_bytes()
    installed = tmp_path / "installed"
    for target in ("env-1", "env-2"):
        install_wheel_once(first if target == "env-1" else again, tmp_path / target, installed)
    assert len(list(installed.iterdir())) == 1  # one pip install, copied twice
    code = f"import json, {PACKAGE} as p; m = p.load(); print(json.dumps([p.MODEL_VERSION, m.version]))"
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "env-2"), "ARCHLAB_HOME": str(home)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert json.loads(out.stdout) == ["v1", "v1"], out.stderr


def test_unknown_versions_are_refused(home, tmp_path):
    with pytest.raises(ModelNotFoundError):
        build_model_wheel("v9", tmp_path, ModelStore(home / "models"))
    with pytest.raises(ValueError, match="v<number>"):
        distribution_version("latest")


def test_redeploy_changes_the_served_version_and_users_see_the_downtime(home):
    with embedded_system(home, "v1") as system:
        pid = system.pids()["web"]
        update, report = update_under_traffic(system, "v2")
        assert requests.post(f"{system.url}/predict", json=example_record(), timeout=10).json()["model_version"] == "v2"
        assert system.pids()["web"] != pid
    assert (report["served_before"], report["served_after"]) == (["v1"], ["v2"])
    assert report["restarted"] == ["web"]  # observed: its process id changed
    assert any("app-env" in item for item in report["rebuilt"]) and any(".whl" in item for item in report["rebuilt"])
    assert report["strategy"].startswith("stop-then-start") and report["better_strategy"]
    assert [step["phase"] for step in report["steps"]] == ["build", "build", "switch"]
    assert update.failed > 0  # the restart is downtime users see
    assert update.converged_s is not None and update.timeline[-1].version == "v2"


def swap_one_pickle_byte(bundle):
    """Rewrite the installed bundle with one byte of its pickle changed, as an attacker would."""
    with zipfile.ZipFile(bundle) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    pickled = bytearray(files["model.pkl"])
    pickled[len(pickled) // 2] ^= 0xFF
    files["model.pkl"] = bytes(pickled)
    with zipfile.ZipFile(bundle, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)


def test_tampered_installed_model_is_refused_with_503(home):
    with embedded_system(home, "v2") as system:
        swap_one_pickle_byte(app_env(home) / PACKAGE / "model.bundle")
        system.restart("web")
        response = requests.post(f"{system.url}/predict", json=example_record(), timeout=10)
        status = requests.get(f"{system.url}/status", timeout=10).json()
    assert response.status_code == 503 and "refused" in response.json()["message"]
    assert status["model_version"] is None and "refused" in status["problem"]


def test_replicas_each_answer_and_the_update_restarts_every_one(home):
    assert EmbeddedSystem.scale_options(3) == {"instances": 3}
    with EmbeddedSystem(version="v1", settings=Settings(home=home), instances=2) as system:
        assert len(set(system.front_urls)) == 2
        assert system.served_versions() == ["v1", "v1"]
        replicas = measure_footprint(system)
        report = system.update_model("v2")
        assert system.served_versions() == ["v2", "v2"]
    assert set(report.restarted) == {"web", "web-2"}
    assert [step.phase for step in report.steps] == ["build", "build", "switch", "switch"]
    assert report.details["front_restart_s"] == [step.seconds for step in report.steps[2:]]  # one per replica
    assert replicas.model_copies == 2  # the whole app, model included, is what each replica costs
    assert replicas.rss_mib["web"] > 50 and replicas.rss_mib["web-2"] > 50
