"""The model service serving the ONNX export in an environment where scikit-learn cannot be
imported: the coupling lesson of a language-neutral format, shown on the real process."""

import subprocess
import sys

import pytest
import requests
from api_helpers import model_fields

from patterns.launch.process import ManagedProcess, free_port
from shared_model import ModelStore, validate_batch
from shared_model.data import new_houses_records
from shared_model.formats.onnx import PARITY_RTOL

pytestmark = pytest.mark.slow

# Installed through PYTHONPATH as sitecustomize, which Python imports at startup: from then on
# any `import sklearn` raises, exactly as in an environment where it is not installed.
BLOCKER = '''
import sys


class NoScikitLearn:
    def find_spec(self, name, path=None, target=None):
        if name == "sklearn" or name.startswith("sklearn."):
            raise ModuleNotFoundError(f"No module named {name!r} (blocked in this environment)")
        return None


sys.meta_path.insert(0, NoScikitLearn())
'''


@pytest.fixture
def without_sklearn(tmp_path) -> dict[str, str]:
    folder = tmp_path / "no-sklearn"
    folder.mkdir()
    (folder / "sitecustomize.py").write_text(BLOCKER)
    env = {"PYTHONPATH": str(folder)}
    check = subprocess.run([sys.executable, "-c", "import sklearn"], env=env, capture_output=True, text=True)
    assert check.returncode == 1 and "blocked in this environment" in check.stderr
    return env


def service(home, model_format: str, env: dict[str, str]) -> ManagedProcess:
    port = free_port()
    return ManagedProcess(
        f"model-service-{model_format}",
        [sys.executable, "-m", "patterns.api.service", "--host", "127.0.0.1", "--port", str(port)],
        env={**env, "ARCHLAB_HOME": str(home), "MODEL_FORMAT": model_format, "ARCHLAB_MODEL_VERSION": "v2"},
        port=port, health_path="/ready",
    )


def test_the_onnx_service_predicts_without_scikit_learn(home_with_models, without_sklearn):
    raw = new_houses_records()
    expected = ModelStore().load("v2").predict([clean for _, clean in validate_batch(raw, allow_extra=True).valid])
    with service(home_with_models, "onnx", without_sklearn) as process:
        status = requests.get(f"{process.url}/status", timeout=5).json()
        answer = requests.post(f"{process.url}/v1/predict", json=[model_fields(house) for house in raw], timeout=30)
    assert status["model_format"] == "onnx" and status["model_version"] == "v2"
    assert status["libraries_loaded"]["scikit-learn"] is False
    assert status["libraries_loaded"]["onnxruntime"] is True
    assert answer.status_code == 200, answer.text
    prices = answer.json()["predictions"]
    assert len(prices) == 1459
    assert max(abs(price / reference - 1) for price, reference in zip(prices, expected)) <= PARITY_RTOL


def test_the_pickle_service_cannot_start_there(home_with_models, without_sklearn):
    """The control: the same environment, the pickle — which names scikit-learn classes."""
    process = service(home_with_models, "pickle", without_sklearn)
    with pytest.raises(RuntimeError):
        process.start().wait_healthy(timeout=60)
    process.stop()
    assert "the model could not be loaded: No module named 'sklearn'" in process.log_tail()
