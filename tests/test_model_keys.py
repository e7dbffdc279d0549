"""Ed25519 signing: trusted keys, rotation, the development key, the old HMAC scheme, `archlab keys`."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import sys

import pytest

from shared_model import IntegrityError, ModelStore, load_bundle
from shared_model.artifacts import METADATA_FILE, SIGNATURE_FILE, pack, sign
from shared_model.keys import (
    PRIVATE_KEY_FILE, PUBLIC_KEY_FILE, SIGNING_KEY_ENV, VERIFY_KEYS_ENV, KeyConfigurationError,
    generate_key_pair, keys_configured, require_keys_for_listener, signing_key, signing_mode, trusted_keys,
)


@pytest.fixture
def store(home_with_models):
    return ModelStore()


@pytest.fixture
def development(monkeypatch, archlab_home):
    """No key settings: the development key of this ARCHLAB_HOME."""
    monkeypatch.delenv(SIGNING_KEY_ENV)
    monkeypatch.delenv(VERIFY_KEYS_ENV)
    return archlab_home


def signed_by(store: ModelStore, key, version: str = "v2") -> bytes:
    """`version`'s bundle, signed again with `key` (as a trainer holding `key` would have)."""
    files = store.files(version)
    files[SIGNATURE_FILE] = sign(files[METADATA_FILE], key).encode()
    return pack(files)


def test_a_signature_names_its_key_and_verifies_with_the_public_key_alone(store, signing_keys, monkeypatch):
    signature = json.loads(store.files("v2")[SIGNATURE_FILE])
    assert signature["algorithm"] == "ed25519" and signature["key_id"] == signing_keys.key_id
    monkeypatch.delenv(SIGNING_KEY_ENV)  # an app: public key only
    assert load_bundle(store.bundle("v2")).version == "v2"


def test_tampered_metadata_is_refused(store):
    files = store.files("v2")
    metadata = json.loads(files[METADATA_FILE])
    metadata["metrics"]["holdout"]["r2_price"] = 0.999
    files[METADATA_FILE] = json.dumps(metadata, indent=1, sort_keys=True).encode()
    with pytest.raises(IntegrityError, match="metadata.json was tampered with"):
        load_bundle(pack(files))


def test_a_key_that_is_not_trusted_is_refused_by_its_id(store, tmp_path):
    other = generate_key_pair(tmp_path / "other")
    with pytest.raises(IntegrityError, match=f"signed with key {other.key_id}, which is not trusted"):
        load_bundle(signed_by(store, other))


def test_rotation_accepts_both_keys_during_the_rollover_then_only_the_new_one(store, tmp_path, monkeypatch):
    old, new = generate_key_pair(tmp_path / "old"), generate_key_pair(tmp_path / "new")
    old_bundle, new_bundle = signed_by(store, old), signed_by(store, new)

    monkeypatch.setenv(VERIFY_KEYS_ENV, os.pathsep.join(str(tmp_path / n / PUBLIC_KEY_FILE) for n in ("old", "new")))
    assert sorted(trusted_keys().keys) == sorted([old.key_id, new.key_id])
    assert load_bundle(old_bundle).version == load_bundle(new_bundle).version == "v2"

    monkeypatch.setenv(VERIFY_KEYS_ENV, str(tmp_path / "new" / PUBLIC_KEY_FILE))
    assert load_bundle(new_bundle).version == "v2"
    with pytest.raises(IntegrityError, match=f"key {old.key_id}, which is not trusted"):
        load_bundle(old_bundle)


def test_a_folder_of_public_keys_trusts_each_of_them(tmp_path, monkeypatch):
    keys = [generate_key_pair(tmp_path / name) for name in ("a", "b")]
    trusted = tmp_path / "trusted"
    trusted.mkdir()
    for name in ("a", "b"):
        (trusted / f"{name}.pub").write_bytes((tmp_path / name / PUBLIC_KEY_FILE).read_bytes())
    monkeypatch.setenv(VERIFY_KEYS_ENV, str(trusted))
    assert sorted(trusted_keys().keys) == sorted(key.key_id for key in keys)


def test_an_artifact_signed_with_the_old_hmac_scheme_says_to_train_again(store):
    files = store.files("v2")
    files[SIGNATURE_FILE] = hashlib.sha256(b"an HMAC-SHA256 hex digest").hexdigest().encode()
    store.write("v2", files)
    assert "run `archlab train` again" in store.status("v2")
    with pytest.raises(IntegrityError, match="old shared-secret"):
        store.load("v2")


def test_unusable_key_settings_say_what_is_wrong(tmp_path, monkeypatch):
    monkeypatch.setenv(VERIFY_KEYS_ENV, str(tmp_path / "missing.pub"))
    with pytest.raises(KeyConfigurationError, match="cannot read key file .*archlab keys generate"):
        trusted_keys()
    (tmp_path / "not-a-key.pem").write_text("hello")
    monkeypatch.setenv(SIGNING_KEY_ENV, str(tmp_path / "not-a-key.pem"))
    with pytest.raises(KeyConfigurationError, match="not an unencrypted PEM private key"):
        signing_key()


def test_the_development_key_is_generated_in_archlab_home_on_first_use_and_labelled(development, caplog):
    key = signing_key()
    folder = development / "keys" / "development"
    assert key.development and (folder / PRIVATE_KEY_FILE).is_file()
    assert stat.S_IMODE((folder / PRIVATE_KEY_FILE).stat().st_mode) == 0o600
    assert "DEVELOPMENT" in caplog.text
    assert signing_key().key_id == key.key_id  # generated once, then reused
    assert signing_mode() == {"keys": "development", "trusted_key_ids": [key.key_id]}
    assert not keys_configured()


def test_pointing_the_settings_at_the_development_key_is_still_the_development_key(development, monkeypatch):
    signing_key()
    folder = development / "keys" / "development"
    monkeypatch.setenv(SIGNING_KEY_ENV, str(folder / PRIVATE_KEY_FILE))
    monkeypatch.setenv(VERIFY_KEYS_ENV, str(folder / PUBLIC_KEY_FILE))
    assert not keys_configured() and signing_mode()["keys"] == "development"
    with pytest.raises(KeyConfigurationError, match="refusing to start: listening on 0.0.0.0"):
        require_keys_for_listener("0.0.0.0")


def test_a_loopback_listener_needs_no_keys_and_any_other_needs_configured_ones(development, monkeypatch, tmp_path):
    for host in ("127.0.0.1", "localhost", "::1"):
        require_keys_for_listener(host)
    with pytest.raises(KeyConfigurationError, match="archlab keys generate DIR"):
        require_keys_for_listener("192.0.2.10")
    generate_key_pair(tmp_path / "own")
    monkeypatch.setenv(VERIFY_KEYS_ENV, str(tmp_path / "own" / PUBLIC_KEY_FILE))
    require_keys_for_listener("192.0.2.10")


def archlab(*args, env=None):
    return subprocess.run([sys.executable, "-m", "archlab", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=120)


def test_keys_generate_writes_a_pair_the_printed_settings_sign_and_verify_with(store, tmp_path):
    result = archlab("keys", "generate", str(tmp_path / "keys"))
    assert result.returncode == 0, result.stderr
    settings = dict(line.split("export ", 1)[1].split("=", 1) for line in result.stdout.splitlines() if "export " in line)
    assert set(settings) == {SIGNING_KEY_ENV, VERIFY_KEYS_ENV}
    assert stat.S_IMODE(os.stat(settings[SIGNING_KEY_ENV]).st_mode) == 0o600

    key = signing_key(settings)
    assert key.key_id in result.stdout and not key.development
    bundle = signed_by(store, key)
    assert load_bundle(bundle, trusted_keys({VERIFY_KEYS_ENV: settings[VERIFY_KEYS_ENV]})).version == "v2"

    again = archlab("keys", "generate", str(tmp_path / "keys"))
    assert again.returncode == 2 and "refusing to overwrite" in again.stderr


def test_keys_show_says_development_without_settings(development):
    result = archlab("keys", "show")  # the fixture removed both settings from this environment
    assert result.returncode == 0 and "keys: development" in result.stdout
