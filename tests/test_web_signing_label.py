"""The front says which keys verify its models: /status, and the form's footer for the development key."""

from __future__ import annotations

import pytest
import requests

from launch_helpers import bare_front
from shared_model.keys import SIGNING_KEY_ENV, VERIFY_KEYS_ENV


@pytest.mark.parametrize("keys", ["development", "configured"])
def test_status_and_footer_say_whether_the_development_key_is_in_use(keys, archlab_home, monkeypatch):
    if keys == "development":
        monkeypatch.delenv(SIGNING_KEY_ENV)
        monkeypatch.delenv(VERIFY_KEYS_ENV)
    with bare_front(archlab_home) as front:
        front.wait_healthy()
        status = requests.get(front.url + "/status", timeout=5).json()
        page = requests.get(front.url + "/", timeout=5).text
    assert status["signing"]["keys"] == keys
    assert ('id="signing-keys"' in page) == (keys == "development")
    if keys == "development":
        assert "verified with the <strong>development</strong> signing key" in page
