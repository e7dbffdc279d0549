"""Signed artifacts: round trip, and refusal of anything unsigned, tampered, truncated or incompatible."""

import json
import pickle

import pytest

from shared_model import (
    IncompatibleModelError, IntegrityError, ModelNotFoundError, ModelStore, example_record, load_bundle,
    validate_record,
)
from shared_model import artifacts


class Bomb:
    """Unpickling this would create a marker file: proof that refused artifacts are never unpickled."""

    path = None

    def __reduce__(self):
        return (open, (str(self.path), "w"))


@pytest.fixture
def store(home_with_models):
    return ModelStore()


def test_bundle_round_trip_predicts_the_same(store):
    record = validate_record(example_record())
    model = load_bundle(store.bundle("v2"))
    assert model.version == "v2" and model.digest == store.metadata("v2")["digest"]
    assert model.predict_one(record) == store.load("v2").predict_one(record)


def test_pickle_free_format_agrees_within_tolerance(store):
    record = validate_record(example_record())
    portable, pickled = store.load("v2", portable=True), store.load("v2")
    assert portable.estimator is None
    assert portable.predict([record])[0] == pytest.approx(pickled.predict([record])[0], rel=1e-9)


def _files_with_bomb(store, tmp_path):
    marker = tmp_path / "unpickled"
    Bomb.path = marker
    files = store.files("v2")
    files["model.pkl"] = pickle.dumps(Bomb())
    return files, marker


def test_tampered_pickle_is_refused_without_unpickling(store, tmp_path):
    files, marker = _files_with_bomb(store, tmp_path)
    with pytest.raises(IntegrityError, match="SHA-256"):
        load_bundle(artifacts.pack(files))
    assert not marker.exists()


def test_resigned_with_another_key_is_refused(store, tmp_path):
    files, marker = _files_with_bomb(store, tmp_path)
    meta = json.loads(files["metadata.json"])
    meta["files"]["model.pkl"] = meta["digest"] = __import__("hashlib").sha256(files["model.pkl"]).hexdigest()
    files["metadata.json"] = json.dumps(meta).encode()
    files["signature"] = artifacts.sign(files["metadata.json"], b"attacker key").encode()
    with pytest.raises(IntegrityError, match="signature"):
        load_bundle(artifacts.pack(files))
    assert not marker.exists()


def test_unsigned_is_refused(store):
    files = store.files("v2")
    del files["signature"]
    with pytest.raises(IntegrityError, match="unsigned"):
        load_bundle(artifacts.pack(files))


def test_truncated_bundle_is_refused(store):
    data = store.bundle("v2")
    with pytest.raises(IntegrityError, match="truncated|unreadable"):
        load_bundle(data[: len(data) // 2])


def test_tampered_file_in_store_is_refused_and_reported(store):
    (store.path("v1") / "model.json").write_text("{}")
    assert store.status("v1").startswith("REFUSED")
    with pytest.raises(IntegrityError):
        store.load("v1")


def test_library_version_mismatch_is_reported_and_refused(store, monkeypatch):
    real = artifacts.library_versions()
    monkeypatch.setattr(artifacts, "library_versions", lambda: {**real, "scikit-learn": "0.24.2"})
    assert "scikit-learn" in store.status("v2")
    with pytest.raises(IncompatibleModelError, match="scikit-learn"):
        store.load("v2")
    assert store.load("v2", portable=True).version == "v2"  # the pickle-free format still loads


def test_unknown_and_malformed_versions(store):
    with pytest.raises(ModelNotFoundError, match="stored versions: v1, v2"):
        store.load("v7")
    with pytest.raises(ModelNotFoundError, match="invalid version name"):
        store.load("../etc")


def test_empty_store_says_how_to_fill_it(archlab_home):
    with pytest.raises(ModelNotFoundError, match="archlab train"):
        ModelStore().load()


def test_every_single_byte_corruption_is_refused_or_harmless(store):
    """Flip each byte of a bundle: loading either refuses with IntegrityError or, when only zip
    bookkeeping changed, loads the very same model. Never another exception, never a different model."""
    data = store.bundle("v1")
    digest = store.metadata("v1")["digest"]
    for position in range(0, len(data), 7):
        corrupted = bytearray(data)
        corrupted[position] ^= 0xFF
        try:
            model = load_bundle(bytes(corrupted))
        except IntegrityError:
            continue
        assert model.digest == digest
