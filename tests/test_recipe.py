"""docs/DESIGN.md's recipe for a new architecture ("Adding an architecture"), followed to the letter
with a throwaway architecture: its folder (in a temporary folder joined to the `patterns` package)
and its registry line (a test-only entry), nothing else; then `check_system` on it. If the recipe
or the contract drifts, this fails."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

import patterns
import patterns.launch.architectures
from launch_helpers import writable_home
from patterns import http
from patterns.launch.architectures import launch, system_class
from patterns.launch.check import check_system
from patterns.settings import Settings

pytestmark = pytest.mark.slow  # real processes

NAME = "throwaway"

# Step 1: what a practitioner would deploy: here a front of its own (standard library only) that
# answers the price its settings give with the model version it was started on...
FRONT = '''\
    """A throwaway architecture's front: a constant price, from the version it was started on."""
    import json, os, sys
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    VERSION = os.environ["ARCHLAB_MODEL_VERSION"]
    PRICE = float(os.environ["THROWAWAY_PRICE"])


    class Front(BaseHTTPRequestHandler):
        def answer(self, body):
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            self.answer({"architecture": "throwaway", "model_version": VERSION,
                         "runtime": {"scikit_learn_loaded": False, "pid": os.getpid()}})

        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.answer({"predictions": [PRICE], "model_version": VERSION})

        def log_message(self, *args):
            pass


    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Front).serve_forever()
'''

# ...and its own settings: one a process reads, one naming a resource a run has of its own.
SETTINGS = '''\
    """The throwaway architecture's own settings."""
    from dataclasses import dataclass

    from patterns.settings import Settings, setting, suffixed


    @dataclass(frozen=True)
    class ThrowawaySettings(Settings):
        price: str = setting("THROWAWAY_PRICE", "180000")
        ledger: str = setting("THROWAWAY_LEDGER", "throwaway.ledger", namespaced=suffixed)
'''

# Step 2: the lab's side, a System subclass with `start()` and `apply_update(version)`.
SYSTEM = '''\
    """The lab's side of the throwaway architecture."""
    import sys
    import time
    from pathlib import Path

    from patterns.launch.contract import AppliedUpdate, Step
    from patterns.launch.process import ManagedProcess, free_port
    from patterns.launch.system import System

    from ..settings import ThrowawaySettings

    FRONT = Path(__file__).resolve().parents[1] / "front.py"


    class ThrowawaySystem(System):
        architecture = "throwaway"
        settings_class = ThrowawaySettings

        def start(self):
            self.launch(self._front(self.version or "v1"))
            return self

        def apply_update(self, version):
            started = time.monotonic()
            self.stop_component(self.front_name)
            self.launch(self._front(version))
            return AppliedUpdate("stop-then-start", "blue/green", (Step("front restarted", time.monotonic() - started,
                                                                  "switch"),))

        def _front(self, version):
            port = free_port()
            return ManagedProcess(self.front_name, [sys.executable, str(FRONT), str(port)], port=port,
                                  env={**self.settings.to_env(), "ARCHLAB_MODEL_VERSION": version},
                                  health_path="/status")


    SYSTEM = ThrowawaySystem
'''


@pytest.fixture
def throwaway(tmp_path, monkeypatch):
    """Steps 1-3 of the recipe: the folder, then the registry line (test-only)."""
    folder = tmp_path / "architectures" / NAME
    (folder / "lab").mkdir(parents=True)
    (folder / "__init__.py").write_text('"""A throwaway architecture."""\n')
    (folder / "front.py").write_text(textwrap.dedent(FRONT))
    (folder / "settings.py").write_text(textwrap.dedent(SETTINGS))
    (folder / "lab" / "__init__.py").write_text("")
    (folder / "lab" / "system.py").write_text(textwrap.dedent(SYSTEM))
    monkeypatch.setattr(patterns, "__path__", [*patterns.__path__, str(folder.parent)])
    monkeypatch.setattr(patterns.launch.architectures, "ARCHITECTURES", (*patterns.launch.architectures.ARCHITECTURES, NAME))
    yield folder
    for module in [m for m in sys.modules if m == f"patterns.{NAME}" or m.startswith(f"patterns.{NAME}.")]:
        del sys.modules[module]


def test_the_recipe_alone_makes_an_architecture_that_passes_check_system(throwaway, trained_home, tmp_path):
    cls = system_class(NAME)  # step 4
    report = check_system(cls, settings=Settings(home=writable_home(trained_home, tmp_path / "home")))
    assert report.architecture == NAME and "rollback()" in report.passed and report.protocols == []
    with launch(NAME, settings=Settings(home=tmp_path / "home"), version="v2") as system:
        assert system.served_versions() == ["v2"]
    assert sorted(p.relative_to(throwaway).as_posix() for p in throwaway.rglob("*.py")) == [
        "__init__.py", "front.py", "lab/__init__.py", "lab/system.py", "settings.py"]


def test_its_own_settings_reach_its_process_namespaced_as_declared_and_no_one_elses(throwaway, trained_home,
                                                                                      tmp_path):
    home = writable_home(trained_home, tmp_path / "home")
    configured = {"ARCHLAB_HOME": str(home), "THROWAWAY_PRICE": "123456", "MODEL_QUEUE": "the-apis-queue",
                  "DATABASE_URL": f"sqlite:///{tmp_path / 'async.db'}"}  # as a user's environment would set them
    with launch(NAME, settings=Settings.from_env(configured), version="v1", namespace="recipe") as system:
        assert http.call_json("POST", system.url + "/predict", json={})["predictions"] == [123456.0]
        pid = system.component(system.front_name).pid
        env = dict(line.split("=", 1) for line in Path(f"/proc/{pid}/environ").read_text().split("\0") if "=" in line)
    assert (env["THROWAWAY_PRICE"], env["THROWAWAY_LEDGER"]) == ("123456", "throwaway.ledger.recipe")
    assert "the-apis-queue" not in env.values() and configured["DATABASE_URL"] not in env.values()


def test_an_unregistered_architecture_is_refused_by_name():
    with pytest.raises(ValueError, match=f"unknown architecture '{NAME}'"):
        system_class(NAME)
    assert Path(patterns.__file__).parent.joinpath(NAME).exists() is False
