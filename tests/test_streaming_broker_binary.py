"""The vendored Tansu binary is started only if it is one of the known builds (SHA-256)."""

from __future__ import annotations

import shutil

import pytest

from archlab.cli import main
from patterns.streaming import broker
from patterns.streaming.broker import UntrustedBinary, check_binary, file_sha256, tansu_binary


def test_the_installed_tansu_is_a_known_build():
    assert file_sha256(tansu_binary()) in broker.TANSU_SHA256


def test_a_changed_binary_is_refused_with_its_digest_and_the_fix(tmp_path):
    changed = tmp_path / "tansu"
    shutil.copyfile(tansu_binary(), changed)
    with changed.open("ab") as handle:
        handle.write(b"\0")
    with pytest.raises(UntrustedBinary, match=f"SHA-256 {file_sha256(changed)} is not one of the Tansu builds"):
        check_binary(changed)


def test_serve_refuses_to_start_an_unknown_broker_binary(home_with_models, monkeypatch, capsys):
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    monkeypatch.setattr(broker, "TANSU_SHA256", frozenset({"0" * 64}))
    assert main(["serve", "streaming"]) == 2
    assert "is not one of the Tansu builds" in capsys.readouterr().err
