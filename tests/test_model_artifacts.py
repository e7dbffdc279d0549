"""Signed artifacts: round trip, and refusal of anything unsigned, tampered, truncated or incompatible."""

import json
import pickle
import subprocess
import sys
import threading
import time

import pytest

from shared_model import (
    IncompatibleModelError, IntegrityError, ModelNotFoundError, ModelStore, example_record, load_bundle,
    validate_record,
)
from shared_model import artifacts
from shared_model.keys import generate_key_pair


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
    attacker = generate_key_pair(tmp_path / "attacker")
    files["signature"] = artifacts.sign(files["metadata.json"], attacker).encode()
    with pytest.raises(IntegrityError, match=f"signed with key {attacker.key_id}, which is not trusted"):
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


BOMB_SCRIPT = r"""
import io, json, resource, struct, sys, tracemalloc, zipfile
from shared_model.artifacts import unpack
from shared_model.errors import IntegrityError

INFLATED_MIB = 200


def bomb(declared):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("metadata.json", "w") as member:
            for _ in range(INFLATED_MIB):
                member.write(bytes(1024 * 1024))
    data = bytearray(buffer.getvalue())
    if declared == "small":  # the directory lies: 1 KiB declared, 200 MiB inside
        struct.pack_into("<I", data, 22, 1024)
        struct.pack_into("<I", data, data.rfind(b"PK\x01\x02") + 24, 1024)
    return bytes(data)


mode = sys.argv[1]
data = bomb("small" if mode == "lying" else "honest")
tracemalloc.start()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    if mode == "naive":  # what unpacking did before the limits: the control for this measurement
        zipfile.ZipFile(io.BytesIO(data)).read("metadata.json")
        outcome = "inflated"
    else:
        unpack(data)
        outcome = "inflated"
except IntegrityError as exc:
    outcome = f"{type(exc).__name__}: {exc}"
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
allocated = tracemalloc.get_traced_memory()[1]
print(json.dumps({"bytes": len(data), "growth_mib": (after - before) / 1024, "allocated_mib": allocated / 2**20,
                  "outcome": outcome}))
"""


def bomb_run(mode: str) -> dict:
    """One unpack of a 200 MiB zip bomb in a fresh process: its peak RSS growth (ru_maxrss) and the
    peak of Python allocations meanwhile (tracemalloc: exact, whatever else the machine is doing)."""
    result = subprocess.run([sys.executable, "-c", BOMB_SCRIPT, mode], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("mode, refusal", [
    ("honest", "BundleTooLarge: artifact bundle would inflate to 209715200 bytes"),
    ("lying", "IntegrityError: artifact bundle is unreadable"),
])
def test_a_zip_bomb_is_refused_with_bounded_memory(mode, refusal):
    naive, run = bomb_run("naive"), bomb_run(mode)
    assert run["bytes"] < 1024 * 1024 and naive["outcome"] == "inflated"
    assert naive["allocated_mib"] >= 200  # the measurement sees an inflated bomb...
    assert run["outcome"].startswith(refusal)
    assert run["allocated_mib"] < 8 and run["growth_mib"] < 10  # ...and the limits keep it from being inflated


def test_a_bundle_of_too_many_files_is_refused_from_its_directory():
    files = {f"f{i}": b"" for i in range(artifacts.MAX_BUNDLE_FILES + 1)}
    with pytest.raises(artifacts.BundleTooLarge, match=f"at most {artifacts.MAX_BUNDLE_FILES}"):
        artifacts.unpack(artifacts.pack(files))


@pytest.mark.parametrize("name", ["../model.pkl", "/etc/passwd", "a\\b"])
def test_a_bundle_member_that_is_not_a_plain_relative_name_is_refused(name):
    with pytest.raises(IntegrityError, match="not a plain relative file name"):
        artifacts.unpack(artifacts.pack({name: b"x"}))


def test_a_version_folder_from_before_links_is_converted_by_the_next_write(store):
    files = store.files("v1")
    store.path("v1").unlink()  # the link; its copy stays and is removed by a later write
    store.path("v1").mkdir()
    for name, data in files.items():
        (store.path("v1") / name).write_bytes(data)
    store.write("v1", files)
    assert store.path("v1").is_symlink() and store.status("v1") == "ok"
    store.write("v1", files)
    assert [p.name for p in store.root.glob(".v1-old-*")] == []  # the old folder goes with the next write


def test_overwriting_a_version_never_leaves_a_moment_without_it(store):
    """A reader polling all the while the version is rewritten 100 times always finds it whole.

    The store keeps the copy a write replaced until the next write, so the promise covers a read
    that overlaps one write: before each write the writer waits until every read begun before the
    previous write has ended (two more finished reads), however slowly a loaded machine runs them.
    """
    files = store.files("v1")
    copies = lambda: {p.name for p in store.root.iterdir() if p.name.startswith(".v1-")}
    copies_before = copies()
    stop, missing, reads = threading.Event(), [], [0]

    def read() -> None:
        while not stop.is_set():
            try:
                whole = "v1" in store.versions() and "metadata.json" in store.files("v1")
            except (ModelNotFoundError, OSError) as exc:
                whole = exc
            if whole is not True:
                missing.append(whole)
            reads[0] += 1

    def reads_finished(count: int) -> None:
        deadline = time.monotonic() + 10
        while reads[0] < count and time.monotonic() < deadline:
            time.sleep(0.0005)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for _ in range(100):
            reads_finished(reads[0] + 2)
            store.write("v1", files)
    finally:
        stop.set()
        reader.join()
    assert missing == []
    assert store.status("v1") == "ok"
    left = copies() - copies_before
    # the copy served, and the one it replaced (kept until the next write for readers mid-lookup)
    assert store.path("v1").resolve().name in left and len(left) <= 2
