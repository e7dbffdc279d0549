"""The model service keeps the contract its OpenAPI document states: schemathesis generates
requests from the document, houses that fit it and houses that break it, sends them to a real
service process and checks every answer against the document (status documented, body shape,
content type, no 5xx, data that breaks the schema refused with a 4xx)."""

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


def field_errors(body: dict) -> list[dict]:
    return body.get("errors") or [error for row in body.get("rows", []) for error in row["errors"]]


def valid_houses_are_priced(ctx, response, case):
    """schemathesis's positive_data_acceptance, less the one thing JSON Schema cannot state: a
    number sent as text ("1500") must also parse into the field's range. A house that fits the
    document is priced (200), or refused with 422 only for such text."""
    if not case.meta.generation.mode.is_positive or response.status_code != 422:
        return None
    untestable = [error for error in field_errors(response.json()) if not isinstance(error["got"], str)]
    assert not untestable, f"a house that fits the document was refused: {untestable}"
    return None


def check_generated(strategy) -> None:
    from schemathesis.specs.openapi.checks import positive_data_acceptance

    @given(case=strategy)
    @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def send_and_check(case):
        case.call_and_validate(timeout=10, excluded_checks=[positive_data_acceptance],
                               additional_checks=[valid_houses_are_priced])

    send_and_check()


def test_every_operation_answers_as_documented(contract):
    check_generated(contract.as_strategy())


def test_houses_that_break_the_schema_are_refused_as_documented(contract):
    from schemathesis import GenerationMode

    check_generated(contract["/v1/predict"]["POST"].as_strategy(GenerationMode.NEGATIVE))
