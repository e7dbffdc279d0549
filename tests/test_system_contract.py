"""The System contract (docs/DESIGN.md), checked with `check_system` on every registered architecture
and every variant the README names: each starts in a namespace of its own, declares faults that can
be taken down and recover, reports a model update and a rollback from observation, satisfies the
optional protocols it claims, and leaves nothing behind. One test per variant, each on a system of
its own: no test depends on another's order.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
from pathlib import Path

import pytest
from kafka import KafkaAdminClient

from launch_helpers import postgres_databases, writable_home
from patterns import http
from patterns.api.settings import ApiSettings
from patterns.launch.architectures import ARCHITECTURES, launch, system_class
from patterns.launch.check import SystemCheckFailed, check_system
from patterns.launch.system import System, wait_answering
from patterns.settings import Settings
from patterns.streaming.broker import LocalBroker
from patterns.streaming.settings import StreamingSettings
from patterns.web.backend import Backend, BackendUnavailable
from shared_model import example_record

pytestmark = pytest.mark.slow  # real processes, a real broker and real databases

# Every registered architecture on its default settings, and the variants the README names beside
# them: (architecture, variant) -> how the settings differ from the defaults.
VARIANTS = {
    **{(arch, "default"): {} for arch in ARCHITECTURES},
    ("api", "grpc"): {"model_transport": "grpc"},
    ("api", "amqp"): {"model_transport": "amqp"},
    ("streaming", "external broker"): {"kafka_bootstrap_servers": "external"},
    ("async", "postgresql"): {"database_url": "postgresql"},
    ("async", "postgresql schema"): {"database_url": "postgresql schema"},  # a URL that selects a schema
}


@pytest.fixture(scope="module")
def external_broker(tmp_path_factory):
    """An already running Kafka-protocol broker that is not the system's: it must never stop it."""
    with LocalBroker(log_dir=tmp_path_factory.mktemp("external-broker")) as broker:
        yield broker


def settings_for(request, arch: str, home: Path, changes: dict) -> Settings:
    values = dict(changes)
    if values.get("model_transport") == "amqp":
        values["amqp_url"] = request.getfixturevalue("amqp_url")
    if values.get("kafka_bootstrap_servers") == "external":
        values["kafka_bootstrap_servers"] = request.getfixturevalue("external_broker").bootstrap_servers
    if values.get("database_url") == "postgresql":
        values["database_url"] = request.getfixturevalue("postgres_url")
    if values.get("database_url") == "postgresql schema":
        values["database_url"] = request.getfixturevalue("postgres_schema_url")
    return system_class(arch).settings_class(home=home, **values)  # the architecture's own settings


@pytest.mark.parametrize("variant", list(VARIANTS), ids=[f"{a}-{v}".replace(" ", "-") for a, v in VARIANTS])
def test_check_system_passes(request, variant, trained_home, tmp_path):
    arch, _ = variant
    settings = settings_for(request, arch, writable_home(trained_home, tmp_path), VARIANTS[variant])
    report = check_system(system_class(arch), settings=settings, namespace="contract")
    assert report.architecture == arch
    assert "each fault taken down and recovered" in report.passed and "rollback()" in report.passed


def test_every_registered_architecture_names_itself():
    for arch in ARCHITECTURES:
        assert system_class(arch).architecture == arch


def test_check_system_says_what_a_class_lacks_before_starting_anything():
    class Half(system_class("embedded")):
        architecture = ""
        start = System.start

        def time_to_answer(self, record=None, timeout=60.0):
            return 1.0

    with pytest.raises(SystemCheckFailed) as failed:
        check_system(Half, settings=Settings())
    problems = "\n".join(failed.value.problems)
    assert "`architecture` must name the architecture" in problems
    assert "start() is not implemented" in problems
    assert "has time_to_answer() of AnswersLater but not answer_time(), workers_rows_per_s()" in problems
    with pytest.raises(SystemCheckFailed, match="is not a subclass"):
        check_system(dict)


# -- the front's side of the contract: any Backend, answered in one shape -------------------------

@pytest.mark.parametrize("arch", [a for a in ARCHITECTURES if importlib.util.find_spec(f"patterns.{a}.backend")])
def test_each_architectures_backend_satisfies_the_backend_protocol(arch):
    """Where an architecture's users reach it through the shared front (an architecture may have a front of its own)."""
    module = importlib.import_module(f"patterns.{arch}.backend")
    backend_class = inspect.signature(module.create_backend).return_annotation
    backend_class = getattr(module, backend_class) if isinstance(backend_class, str) else backend_class
    assert backend_class.architecture == arch
    for method in ("predict", "status", "blueprint", "close"):
        assert callable(getattr(backend_class, method)), f"{backend_class.__name__} lacks {method}()"


def test_a_fake_backend_is_a_backend(fake_backend):
    assert isinstance(fake_backend, Backend)


def test_status_carries_the_documented_keys_whatever_the_backend(client):
    status = client.get("/status").get_json()
    assert status["architecture"] == "fake" and status["model_version"] == "v-fake"
    assert set(status["runtime"]) >= {"scikit_learn_loaded", "pid"}


def test_an_unavailable_backend_is_a_503_with_a_message(client, fake_backend):
    fake_backend.error = BackendUnavailable("the model service is away")
    response = client.post("/predict", json=example_record())
    assert response.status_code == 503
    assert response.get_json()["message"] == "the model service is away"


def test_an_invalid_house_is_a_422_per_field_and_never_reaches_the_backend(client, fake_backend):
    response = client.post("/predict", json={**example_record(), "GrLivArea": "huge"})
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] and body["message"]
    assert [error["field"] for error in body["errors"]] == ["GrLivArea"]
    assert fake_backend.seen == []


def _answer(system) -> int | None:
    try:
        return http.call("POST", system.url + "/predict", json=example_record(), timeout=15).status
    except http.NoAnswer:
        return None


# -- namespaces: the run's own topic, queue and database, removed at the end ----------------------

def _topics(bootstrap: str) -> set[str]:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        return set(admin.list_topics())
    finally:
        admin.close()


def test_a_namespace_on_an_external_broker_leaves_the_users_topic_alone(home_with_models, external_broker):
    settings = StreamingSettings(home=home_with_models, kafka_bootstrap_servers=external_broker.bootstrap_servers)
    with launch("streaming", settings=settings, version="v1") as users_app:  # the user's live app, no namespace
        with launch("streaming", settings=settings, version="v1", namespace="measure") as measured:
            topic = measured.settings.kafka_model_topic
            assert topic != users_app.settings.kafka_model_topic and topic in _topics(external_broker.bootstrap_servers)
            measured.update_model("v2")
        assert users_app.served_versions() == ["v1"]  # the live app never saw the measurement's v2
        assert topic not in _topics(external_broker.bootstrap_servers)  # removed with the run
        assert "broker" not in measured.components  # the user's broker was never ours to stop


def test_a_postgres_namespace_is_a_database_of_its_own_dropped_at_the_end(home_with_models, postgres_url):
    settings = system_class("async").settings_class(home=home_with_models, database_url=postgres_url)
    with launch("async", settings=settings, version="v1", namespace="pgrun", every=0.2) as system:
        own = system.database.name
        assert system.settings.database_url.endswith(f"/{own}")
        fault = next(f for f in system.faults() if f.component == "database")
        assert fault.breakable and "its own PostgreSQL database" in fault.how
        system.stop_component("database")
        try:
            assert _answer(system) == 503  # the front stays up and says the database is away
            assert postgres_databases(postgres_url)  # the shared server answers, its other databases too
        finally:
            system.start_component("database")
        wait_answering(system)
    assert own not in postgres_databases(postgres_url)


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)  # the user's schema, dropped afterwards
def test_a_users_own_postgres_database_is_reported_never_stopped(home_with_models, database_url):
    settings = system_class("async").settings_class(home=home_with_models, database_url=database_url)
    with launch("async", settings=settings, version="v1", every=0.2) as system:
        (fault,) = [f for f in system.faults() if f.component == "database"]
        assert not fault.breakable and "not stopped by archlab" in fault.how
        with pytest.raises(PermissionError):
            system.stop_component("database")


def test_an_amqp_namespace_has_its_own_queue_deleted_at_the_end(home_with_models, amqp_url):
    import pika

    settings = ApiSettings(home=home_with_models, model_transport="amqp", amqp_url=amqp_url)
    with launch("api", settings=settings, version="v1", namespace="queue") as system:
        queue = system.settings.model_queue
        assert queue != ApiSettings().model_queue
        assert http.call("POST", system.url + "/predict", json=example_record(), timeout=10).ok
    connection = pika.BlockingConnection(pika.URLParameters(amqp_url))
    try:
        with pytest.raises(pika.exceptions.ChannelClosedByBroker):  # 404 NOT_FOUND: the queue is gone
            connection.channel().queue_declare(queue=queue, passive=True)
    finally:
        connection.close()


def test_a_namespace_folder_is_removed_with_the_run(home_with_models):
    with launch("embedded", settings=Settings(home=home_with_models), version="v1", namespace="files") as system:
        folder = system.namespace_dir
        assert (folder / "embedded" / "app-env").is_dir()
    assert not folder.exists()
