"""Write `house-price-v1-sklearn-1.3.2.pkl`: the v1 pipeline fitted and pickled by an OLDER
scikit-learn, so notebook 06 can load a real old pickle with the current one.

Run it in a throwaway environment with the old libraries, from the repository root (it imports
this checkout's shared_model for the pipeline definition and the shipped training data):

    python3.11 -m venv /tmp/old-sklearn
    /tmp/old-sklearn/bin/pip install scikit-learn==1.3.2 numpy==1.26.4 pandas==2.1.4
    PYTHONPATH=. /tmp/old-sklearn/bin/python notebooks/legacy/make_old_pickle.py

It also writes `versions.json`: the exact library versions that made the pickle, and the
predictions that environment gave for the first 20 new houses, to compare with after loading.
"""

from __future__ import annotations

import json
import pickle
import platform
from pathlib import Path

import numpy
import pandas
import sklearn

from shared_model import config, validate_batch
from shared_model.data import new_houses_records
from shared_model.pipeline import build_pipeline, records_to_frame
from shared_model.training import training_frame

HERE = Path(__file__).resolve().parent
PICKLE = HERE / f"house-price-v1-sklearn-{sklearn.__version__}.pkl"
CHECKED_HOUSES = 20


def main() -> None:
    spec = config.version_spec("v1")
    data, _ = training_frame()
    estimator = build_pipeline(spec).fit(records_to_frame(data, spec.features), data[config.TARGET].to_numpy(float))
    PICKLE.write_bytes(pickle.dumps(estimator, protocol=4))
    houses = [clean for _, clean in validate_batch(new_houses_records(), allow_extra=True).valid][:CHECKED_HOUSES]
    predictions = estimator.predict(records_to_frame(houses, spec.features)).tolist()
    (HERE / "versions.json").write_text(json.dumps({
        "pickle": PICKLE.name,
        "libraries": {"python": platform.python_version(), "scikit-learn": sklearn.__version__,
                      "numpy": numpy.__version__, "pandas": pandas.__version__},
        "predictions_first_new_houses": predictions,
    }, indent=1) + "\n")
    print(f"wrote {PICKLE.name} ({PICKLE.stat().st_size} bytes) with scikit-learn {sklearn.__version__}")


if __name__ == "__main__":
    main()
