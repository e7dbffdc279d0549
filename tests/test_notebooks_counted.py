"""What notebooks 02 and 03 count instead of typing: an architecture's code and a broker's contents
(03: what streaming takes to run), and one and two model instances in words (02: the model scaled
on its own). Launching whole systems is left to the notebooks under nbval."""

from __future__ import annotations

from kafka import KafkaProducer

from archlab.notebook.inventory import broker_contents, own_code
from archlab.notebook.scaling import describe_scale_out
from patterns.launch.architectures import ARCHITECTURES, system_class
from patterns.streaming.broker import LocalBroker
from patterns.streaming.topic import ensure_topic


def test_an_architecture_s_code_is_listed_module_by_module_with_the_job_its_docstring_states():
    lines = own_code(system_class("streaming"))
    pin = next(line for line in lines if line.startswith("pin.py ("))
    assert "lines): A signed pin" in pin
    assert not any(line.startswith("__init__.py") for line in lines)
    totals = lines[-1]
    assert "lab/ and tests left out" in totals
    assert all(f"{arch} " in totals for arch in ARCHITECTURES)


def test_the_broker_s_topics_messages_and_consumer_groups_are_asked_of_the_broker(tmp_path):
    with LocalBroker(log_dir=tmp_path) as broker:
        ensure_topic(broker.bootstrap_servers, "lessons")
        producer = KafkaProducer(bootstrap_servers=broker.bootstrap_servers, enable_idempotence=False)
        for value in (b"one", b"two"):
            producer.send("lessons", value, partition=0).get(timeout=10)
        producer.close()
        lines = broker_contents(broker.bootstrap_servers)
    assert "topic lessons: 1 partition(s), 2 message(s)" in lines
    assert lines[-1] == "consumer groups: 0"


def _run(instances: int, rate: float, cpu: dict[str, float]) -> dict:
    return {"architecture": "api", "scaled": "model-service", "instances": instances, "model_cost_ms": 20.0,
            "throughput": {"requests_per_s": rate, "failed": 0, "seconds": 2.0}, "cpu_s_by_process": cpu}


def test_two_model_instances_in_words_say_what_the_second_bought_and_whether_both_worked():
    lines = describe_scale_out([_run(1, 45.0, {"model-service (pid 1)": 1.8}),
                                _run(2, 81.0, {"model-service (pid 2)": 1.7, "model-service-2 (pid 3)": 1.6})])
    assert "2 x model-service: 81.0 requests/s (0 failed)" in lines[2] and "1.65 cores busy on average" in lines[2]
    assert "the second model-service bought x1.80 the requests/s (x2.00: twice as many)" in lines
    assert "both model-service instances did the work: True" in lines


def test_a_second_instance_that_did_almost_nothing_is_said_so():
    lines = describe_scale_out([_run(1, 45.0, {"model-service (pid 1)": 1.8}),
                                _run(2, 46.0, {"model-service (pid 2)": 1.7, "model-service-2 (pid 3)": 0.1})])
    assert "both model-service instances did the work: False" in lines
