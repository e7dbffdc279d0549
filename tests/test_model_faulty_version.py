"""The deliberately faulty v3 and the plausibility rule that catches it (the bad-model drill's parts)."""

import math
import os
import subprocess
import sys

import pytest

from shared_model import ModelError, ModelStore, example_record, implausible, validate_batch, validate_record
from shared_model.data import new_houses_records
from shared_model.training import training_frame



@pytest.fixture(scope="module")
def store(faulty_home):
    return ModelStore(faulty_home / "models")


def test_v3_predicts_ten_times_v2_for_the_example_house_and_every_new_house(store):
    v2, v3 = store.load("v2"), store.load("v3")
    house = validate_record(example_record())
    assert v3.predict_one(house) == pytest.approx(10 * v2.predict_one(house), rel=1e-9)
    records = [clean for _, clean in validate_batch(new_houses_records(), allow_extra=True).valid]
    assert v3.predict_many(records) == pytest.approx([10 * p for p in v2.predict_many(records)], rel=1e-9)


def test_v3_is_signed_and_documents_its_fault_and_the_real_price_range(store):
    assert store.status("v3") == "ok"  # verified with the trusted key, like v1 and v2
    v2, v3 = store.metadata("v2"), store.metadata("v3")
    assert v3["fault"] == "prices recorded in the wrong unit (x10)" and "fault" not in v2
    prices = training_frame()[0]["SalePrice"]
    assert v3["target_range"] == v2["target_range"] == {"min": prices.min(), "max": prices.max()}
    # The mistake is invisible offline: its holdout prices carry the same x10.
    assert v3["metrics"]["cv_rmse_log"] == pytest.approx(v2["metrics"]["cv_rmse_log"])


def test_archlab_train_v3_trains_and_signs_it_and_plain_train_does_not(archlab_home):
    def archlab(*args):
        return subprocess.run([sys.executable, "-m", "archlab", *args], capture_output=True, text=True,
                              env=os.environ.copy(), timeout=120)

    trained = archlab("train", "v3")
    assert trained.returncode == 0, trained.stderr
    assert "trained v3" in trained.stdout
    assert ModelStore(archlab_home / "models").versions() == ["v3"]
    assert ModelStore(archlab_home / "models").status("v3") == "ok"
    unknown = archlab("train", "v4")
    assert unknown.returncode != 0 and "known versions: v1, v2, v3" in unknown.stderr


def test_the_rule_flags_v3s_answer_and_not_v2s(store):
    house = validate_record(example_record())
    v2, v3 = store.load("v2"), store.load("v3")
    assert implausible(v2.predict_one(house), v2.metadata) is None
    reason = implausible(v3.predict_one(house), v3.metadata)
    assert reason is not None and "above the highest sale price model v3's training saw (755,000)" in reason
    assert implausible(v3.predict_one(house), v2.metadata) is not None  # judged against the good version too


def test_the_rule_flags_prices_below_the_range_and_non_numbers(store):
    meta = store.metadata("v2")
    lowest, highest = meta["target_range"]["min"], meta["target_range"]["max"]
    assert implausible(lowest, meta) is None and implausible(highest, meta) is None
    assert "below the lowest" in implausible(lowest - 1, meta)
    assert "not a number" in implausible(math.nan, meta)


def test_a_model_without_a_recorded_range_is_an_error_not_a_pass():
    with pytest.raises(ModelError, match="records no training price range.*archlab train v1"):
        implausible(200_000.0, {"version": "v1"})
