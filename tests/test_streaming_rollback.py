"""The signed streaming rollback: a pin every instance obeys although its version is older; forged,
tampered and unsigned pins refused; replays of old ordinary messages still change nothing."""

from __future__ import annotations

import time

import pytest

from shared_model import ModelStore
from shared_model.artifacts import pack
from shared_model.keys import generate_key_pair

from patterns import http
from patterns.launch.architectures import launch
from patterns.settings import Settings
from patterns.streaming.order import newness
from patterns.streaming.pin import PIN_FILE, PIN_SIGNATURE_FILE, PinRefused, make_pin, verified_pin


@pytest.fixture(scope="module")
def store(faulty_home):
    return ModelStore(faulty_home / "models")


def signed_pin(store, key=None):
    """v2's verified files with a pin replacing v3 (signed by the store's key unless `key`)."""
    metadata, files = store.verified_files("v2")
    pin, pin_files = make_pin(metadata, store.metadata("v3"), key or store.key)
    return pin, metadata, {**files, **pin_files}


# -- the pin itself (no broker) ------------------------------------------------------------------


def test_a_signed_pin_verifies_and_ranks_between_the_bad_build_and_the_next_version(store):
    pin, metadata, files = signed_pin(store)
    assert verified_pin(files, metadata, store.trusted) == pin
    bad = store.metadata("v3")
    assert newness("v3", bad["created"]) < pin.rank < newness("v4", "2000-01-01")
    assert newness("v1", "2999-01-01") < pin.rank  # an old version replayed, however recent its build
    assert newness("v3", "2999-01-01") > pin.rank  # v3 retrained later by the key holder: a new build wins
    later, _, _ = signed_pin(store)
    assert later.rank > pin.rank  # a second rollback from the same bad build


@pytest.mark.parametrize("spoil, message", [
    (lambda files, tmp: {k: v for k, v in files.items() if k != PIN_SIGNATURE_FILE}, "unsigned"),
    (lambda files, tmp: {**files, PIN_FILE: files[PIN_FILE].replace(b'"v3"', b'"v9"')}, "not a trusted key"),
])
def test_an_unsigned_or_tampered_pin_is_refused(store, tmp_path, spoil, message):
    _, metadata, files = signed_pin(store)
    with pytest.raises(PinRefused, match=message):
        verified_pin(spoil(files, tmp_path), metadata, store.trusted)


def test_a_pin_signed_by_an_untrusted_key_or_stapled_to_another_model_is_refused(store, tmp_path):
    _, metadata, files = signed_pin(store, key=generate_key_pair(tmp_path))
    with pytest.raises(PinRefused, match="not trusted here"):
        verified_pin(files, metadata, store.trusted)
    _, _, files = signed_pin(store)
    v1_metadata, v1_files = store.verified_files("v1")
    with pytest.raises(PinRefused, match="names v2 .* but the bundle holds v1"):
        verified_pin({**v1_files, PIN_FILE: files[PIN_FILE], PIN_SIGNATURE_FILE: files[PIN_SIGNATURE_FILE]},
                     v1_metadata, store.trusted)


def test_only_an_older_version_can_be_pinned(store):
    with pytest.raises(ValueError, match="v3 is not older than v2"):
        make_pin(store.metadata("v3"), store.metadata("v2"), store.key)


# -- running instances ---------------------------------------------------------------------------


@pytest.fixture
def streaming_on_v3(home_with_v3, monkeypatch):
    """Two streaming instances started on v2, then updated to the bad v3 (every instance serves it)."""
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    with launch("streaming", settings=Settings.from_env(), version="v2", instances=2) as system:
        assert system.update_model("v3").served_after == ("v3", "v3")
        yield system


def statuses(system) -> list[dict]:
    return [http.call_json("GET", url + "/status", timeout=5) for url in system.front_urls]


def wait_read(system, published, timeout: float = 20.0) -> list[dict]:
    """Every instance's /status once it has read past the last chunk of `published`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        seen = statuses(system)
        if all((s["next_offset"] or 0) > published.last_offset for s in seen):
            return seen
        time.sleep(0.05)
    raise AssertionError(f"instances did not read offset {published.last_offset} within {timeout:g} s")


@pytest.mark.slow
def test_forged_tampered_and_unsigned_pins_are_refused_and_every_instance_keeps_v3(streaming_on_v3, tmp_path):
    system, store = streaming_on_v3, streaming_on_v3.store
    forged = signed_pin(store, key=generate_key_pair(tmp_path))
    _, metadata, files = signed_pin(store)
    tampered = {**files, PIN_FILE: files[PIN_FILE].replace(b'"v3"', b'"v9"')}
    unsigned = {k: v for k, v in files.items() if k != PIN_SIGNATURE_FILE}
    for sent in (forged[2], tampered, unsigned):
        published = system.publisher.send_bundle(pack(sent), metadata, forged[0].headers())
        seen = wait_read(system, published)
    assert system.served_versions() == ["v3", "v3"]
    for status in seen:
        assert status["rejected_by_reason"]["pin-refused"] == 3
        assert "rollback pin is unsigned" in status["last_error"]  # the last refusal, logged and shown
        assert status["pin"] is None


@pytest.mark.slow
def test_the_signed_rollback_restores_v2_in_every_instance_and_replays_change_nothing(streaming_on_v3):
    system = streaming_on_v3
    report = system.rollback("v2")

    assert report.served_before == ("v3", "v3") and report.served_after == ("v2", "v2")
    assert "signed rollback" in report.strategy and report.details["pin"]["replaces"] == "v3"
    assert report.restarted == () and report.rebuilt == ()
    assert [s["pin"]["replaces"] for s in statuses(system)] == ["v3", "v3"]

    for replay in ("v3", "v1"):  # ordinary messages of the bad version and of an older one
        wait_read(system, system.publish(replay))
        assert system.served_versions() == ["v2", "v2"], f"a replay of {replay} moved an instance"

    system.restart("web-2")  # a fresh instance reads the whole topic: v2, v3, the pin, the replays
    system.wait_until_serving()
    assert system.served_versions() == ["v2", "v2"]
