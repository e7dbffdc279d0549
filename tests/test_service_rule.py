"""The rule for tests that need a missing service: skip on a laptop, fail in CI."""

import pytest

from archlab.testing import require_service


def test_an_available_service_lets_the_test_run(monkeypatch):
    monkeypatch.setenv("CI", "true")
    require_service("PostgreSQL", True, "start it")


def test_a_missing_service_skips_with_how_to_get_it_on_a_laptop(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="RabbitMQ is not available; apt-get install rabbitmq-server"):
        require_service("RabbitMQ", False, "apt-get install rabbitmq-server")


def test_a_missing_service_fails_in_ci(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true requires Chromium is not available"):
        require_service("Chromium", False, "apt-get install chromium")


def test_a_missing_python_package_fails_in_ci_instead_of_skipping(monkeypatch):
    from archlab.testing import require_module

    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="the Python package 'no_such_package_archlab'"):
        require_module("no_such_package_archlab.sub")
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception):
        require_module("no_such_package_archlab")
    assert require_module("json.decoder").JSONDecodeError
