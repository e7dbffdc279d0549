"""The model service keeps the contract its OpenAPI document states: schemathesis generates
requests from the document, houses that fit it and houses that break it, sends them to a real
service process and checks every answer against the document (status documented, body shape,
content type, no 5xx, data that fits the schema accepted, data that breaks it refused with a 4xx)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from api_helpers import model_service
from archlab.testing import require_module
from launch_helpers import writable_home

pytestmark = pytest.mark.slow  # a real service process and a few hundred requests

# Bounded so the whole file runs in well under a minute on this project's 2-core machine.
EXAMPLES = 50


@pytest.fixture(scope="module")
def contract(trained_home, tmp_path_factory):
    schemathesis = require_module("schemathesis")
    home = writable_home(trained_home, tmp_path_factory.mktemp("api-contract"))
    with model_service(home, "v1", name="model-service-contract") as process:
        yield schemathesis.openapi.from_url(f"{process.url}/openapi.json")


def check_generated(strategy) -> None:
    """Every default check, the positive-data one included: a request that fits the document
    (ranges of numbers sent as text too) must be accepted, named here so it cannot drop out."""
    from schemathesis.specs.openapi.checks import positive_data_acceptance

    @given(case=strategy)
    @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def send_and_check(case):
        case.call_and_validate(timeout=10, additional_checks=[positive_data_acceptance])

    send_and_check()


def test_every_operation_answers_as_documented(contract):
    check_generated(contract.as_strategy())


def test_houses_that_break_the_schema_are_refused_as_documented(contract):
    from schemathesis import GenerationMode

    check_generated(contract["/v1/predict"]["POST"].as_strategy(GenerationMode.NEGATIVE))
