"""The one prediction step behind both transports (HTTP service and RabbitMQ worker)."""

from __future__ import annotations

import json

import pytest

from patterns.api.amqp_worker import answer
from patterns.api.predicting import predict_payload
from shared_model import ModelStore, example_record, validate_record


@pytest.fixture(scope="module")
def model(trained_home):
    return ModelStore(trained_home / "models").load("v2")


def test_without_a_model_the_answer_is_503():
    reply = predict_payload(None, example_record())
    assert reply.status == 503
    assert reply.body["error"] == "Service Unavailable" and "/ready" in reply.body["message"]


@pytest.mark.parametrize("payload", [[], 3, "house", None])
def test_what_is_not_houses_is_400(model, payload):
    assert predict_payload(model, payload).status == 400


def test_a_list_item_that_is_not_an_object_is_a_row_error(model):
    reply = predict_payload(model, [example_record(), 7])
    assert reply.status == 422
    assert reply.body["error"] == "Invalid input"  # the front's title for the same 422
    assert [(row["index"], [e["field"] for e in row["errors"]]) for row in reply.body["rows"]] == [(1, ["_record"])]


def test_the_worker_answers_like_the_service(model):
    body = json.dumps(example_record()).encode()
    assert answer(model, body) == predict_payload(model, example_record())
    assert answer(model, body).body["predictions"] == [model.predict_one(validate_record(example_record()))]


def test_the_worker_answers_a_malformed_message_instead_of_crashing(model):
    reply = answer(model, b"{not json")
    assert (reply.status, reply.body["message"].startswith("the body is not valid JSON")) == (400, True)


def test_the_worker_answers_a_deeply_nested_message_instead_of_crashing(model):
    reply = answer(model, b"[" * 50_000 + b"]" * 50_000)
    assert reply.status == 400 and "too deeply" in reply.body["message"]
