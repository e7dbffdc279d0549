"""The System contract (docs/DESIGN.md), checked on every architecture and every variant the README
names: each starts in a namespace of its own, declares faults that can be taken down and recover,
reports a model update from observation, and leaves nothing behind.

In the spirit of River's `check_estimator`: one suite, parametrized over the systems.
"""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

import pytest
from kafka import KafkaAdminClient

from archlab.compare.drive import wait_answering
from launch_helpers import postgres_databases, writable_home
from patterns import http
from patterns.launch.contract import FaultSpec, UpdateReport
from patterns.launch.systems import launch, system_class
from patterns.settings import ARCHITECTURES, Settings
from patterns.streaming.broker import LocalBroker
from patterns.web.backend import Backend, BackendUnavailable
from shared_model import example_record

pytestmark = pytest.mark.slow  # real processes, a real broker and real databases

# (architecture, variant) -> how its settings differ from the defaults
VARIANTS = {
    ("embedded", "default"): {},
    ("api", "http"): {"model_transport": "http"},
    ("api", "grpc"): {"model_transport": "grpc"},
    ("api", "amqp"): {"model_transport": "amqp"},
    ("streaming", "own broker"): {},
    ("streaming", "external broker"): {"kafka_bootstrap_servers": "external"},
    ("async", "sqlite"): {},
    ("async", "postgresql"): {"database_url": "postgresql"},
    ("client", "default"): {},
}


@pytest.fixture(scope="module")
def external_broker(tmp_path_factory):
    """An already running Kafka-protocol broker that is not the system's: it must never stop it."""
    with LocalBroker(log_dir=tmp_path_factory.mktemp("external-broker")) as broker:
        yield broker


def settings_for(request, home: Path, changes: dict) -> Settings:
    values = dict(changes)
    if values.get("model_transport") == "amqp":
        values["amqp_url"] = request.getfixturevalue("amqp_url")
    if values.get("kafka_bootstrap_servers") == "external":
        values["kafka_bootstrap_servers"] = request.getfixturevalue("external_broker").bootstrap_servers
    if values.get("database_url") == "postgresql":
        values["database_url"] = request.getfixturevalue("postgres_url")
    return Settings(home=home, **values)


@pytest.fixture(scope="module", params=list(VARIANTS), ids=[f"{a}-{v}".replace(" ", "-") for a, v in VARIANTS])
def system(request, trained_home, tmp_path_factory):
    """One running system per variant for the tests below, in file order: the fault test leaves it
    serving v1 again, the update test moves it to v2, the floors test runs last."""
    arch, variant = request.param
    home = writable_home(trained_home, tmp_path_factory.mktemp("contract-home"))
    settings = settings_for(request, home, VARIANTS[request.param])
    options = dict(system_class(arch).comparison_options)
    with launch(arch, settings=settings, version="v1", namespace="contract", **options) as running:
        yield running


def test_every_registered_architecture_has_a_system_and_a_variant_here():
    assert {arch for arch, _ in VARIANTS} == set(ARCHITECTURES)
    for arch in ARCHITECTURES:
        assert system_class(arch).architecture == arch


# -- the front's side of the contract: any Backend, answered in one shape -------------------------

# A system not yet started holds nothing; the client architecture has no server front, hence no Backend.
SERVER_FRONTS = [arch for arch in ARCHITECTURES if not system_class(arch)().capabilities.predicts_in_client]


@pytest.mark.parametrize("arch", SERVER_FRONTS)
def test_each_architectures_backend_satisfies_the_backend_protocol(arch):
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


def test_the_front_status_has_the_documented_keys(system):
    for url in system.front_urls:
        status = http.call_json("GET", url + "/status")
        assert status["architecture"] == system.architecture
        assert isinstance(status["runtime"]["scikit_learn_loaded"], bool)
        assert status["runtime"]["pid"] > 0


def test_faults_are_derived_from_what_was_started(system):
    faults = system.faults()
    assert all(isinstance(f, FaultSpec) and f.how for f in faults)
    breakable = {f.component for f in faults if f.breakable}
    external = {f.component for f in faults if not f.breakable}
    assert set(system.components) <= breakable  # every process archlab started can be taken down
    for name in external:  # what archlab did not start is never stopped
        assert name not in system.components
        assert "not stopped by archlab" in next(f.how for f in faults if f.component == name)


def test_each_fault_is_taken_down_and_the_system_recovers_on_its_own(system):
    for fault in (f for f in system.faults() if f.breakable):
        system.stop_component(fault.component)
        try:
            answer = _answer(system)
            if fault.component == system.front_name:
                assert answer is None  # the app itself is down: nobody answers
        finally:
            system.start_component(fault.component)
        wait_answering(system)  # raises unless every instance serves again
    assert None not in system.served_versions()


def test_update_model_reaches_the_new_version_and_reports_what_it_observed(system):
    pids_before = system.pids()
    report = system.update_model("v2")
    assert isinstance(report, UpdateReport)
    assert set(report.served_before) == {"v1"} and set(report.served_after) == {"v2"}
    assert len(report.served_after) == len(system.front_urls)  # every instance, not only the first
    assert report.strategy and report.steps and report.total_seconds > 0
    assert {step.phase for step in report.steps} <= {"build", "switch"}
    changed = {name for name, pid in system.pids().items() if name in pids_before and pids_before[name] != pid}
    assert set(report.restarted) == changed
    assert system.served_versions() == list(report.served_after)


def test_the_system_measures_its_own_floors_on_its_own_parts(system):
    for floor in system.floors(5):
        assert len(floor.samples_ms) + floor.failed == 5 and floor.failed == 0
    assert None not in system.served_versions()  # whatever it paused came back


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
    settings = Settings(home=home_with_models, kafka_bootstrap_servers=external_broker.bootstrap_servers)
    with launch("streaming", settings=settings, version="v1") as users_app:  # the user's live app, no namespace
        with launch("streaming", settings=settings, version="v1", namespace="measure") as measured:
            topic = measured.settings.kafka_model_topic
            assert topic != users_app.settings.kafka_model_topic and topic in _topics(external_broker.bootstrap_servers)
            measured.update_model("v2")
        assert users_app.served_versions() == ["v1"]  # the live app never saw the measurement's v2
        assert topic not in _topics(external_broker.bootstrap_servers)  # removed with the run
        assert "broker" not in measured.components  # the user's broker was never ours to stop


def test_a_postgres_namespace_is_a_database_of_its_own_dropped_at_the_end(home_with_models, postgres_url):
    settings = Settings(home=home_with_models, database_url=postgres_url)
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


def test_a_users_own_postgres_database_is_reported_never_stopped(home_with_models, postgres_url):
    settings = Settings(home=home_with_models, database_url=postgres_url)
    with launch("async", settings=settings, version="v1", every=0.2) as system:
        (fault,) = [f for f in system.faults() if f.component == "database"]
        assert not fault.breakable and "not stopped by archlab" in fault.how
        with pytest.raises(PermissionError):
            system.stop_component("database")


def test_an_amqp_namespace_has_its_own_queue_deleted_at_the_end(home_with_models, amqp_url):
    import pika

    settings = Settings(home=home_with_models, model_transport="amqp", amqp_url=amqp_url)
    with launch("api", settings=settings, version="v1", namespace="queue") as system:
        queue = system.settings.model_queue
        assert queue != Settings().model_queue
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



def test_a_role_that_may_not_create_databases_gets_a_schema_of_its_own(postgres_url):
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    database_module = importlib.import_module("patterns.async.database")
    store_module = importlib.import_module("patterns.async.store")
    role = "archlab_test_no_createdb"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') "
                          f"THEN CREATE ROLE {role} LOGIN NOCREATEDB; END IF; END $$"))
        conn.execute(text(f'GRANT CREATE ON DATABASE "{make_url(postgres_url).database}" TO {role}'))
    admin.dispose()
    url = make_url(postgres_url).set(username=role).render_as_string(hide_password=False)
    database = database_module.own_database(url, "no-createdb")
    try:
        assert isinstance(database, database_module.PostgresSchema)
        assert not database.breakable and "not stopped by archlab" in database.how
        store_module.Store.connect(database.url).close()  # the store's tables land in that schema
    finally:
        database.remove()
    engine = create_engine(postgres_url)
    with engine.connect() as conn:
        schemas = set(conn.execute(text("SELECT schema_name FROM information_schema.schemata")).scalars())
    engine.dispose()
    assert database.name not in schemas
