"""`archlab compare --quick` on the variants the README names beyond the default one: the async store
on PostgreSQL, streaming on an already running Kafka broker; and models this machine refuses
trained again before anything is measured."""

import pytest

from compare_helpers import run_compare
from launch_helpers import postgres_databases

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]


def test_async_on_postgresql_measures_its_own_database_and_drops_it(faulty_home, tmp_path, postgres_url):
    _, data, result = run_compare(tmp_path / "home", faulty_home, "--only", "async", DATABASE_URL=postgres_url)
    arch = data["architectures"]["async"]
    database = arch["faults"]["database"]
    assert database["breakable"] and set(database["statuses"]) == {"503"}
    assert "postgresql" in arch["namespace"]["database"]
    assert data["floors"]["db_transaction"]["summary_ms"]["n"] > 0
    name = arch["namespace"]["database"].rsplit("/", 1)[1]
    assert name.startswith("archlab_cmp_") and name not in postgres_databases(postgres_url)


def test_streaming_on_an_already_running_broker_never_touches_the_live_topic(trained_home, faulty_home, tmp_path):
    from patterns.launch.architectures import launch
    from patterns.streaming.broker import LocalBroker
    from patterns.streaming.settings import StreamingSettings

    home = tmp_path / "users-home"
    home.mkdir()
    (home / "models").symlink_to(trained_home / "models")
    with LocalBroker(log_dir=tmp_path / "broker-logs") as broker:
        settings = StreamingSettings(home=home, kafka_bootstrap_servers=broker.bootstrap_servers)
        with launch("streaming", settings=settings, version="v1") as users_app:  # live on archlab.models
            _, data, _ = run_compare(tmp_path / "home", faulty_home, "--only", "streaming",
                                     KAFKA_BOOTSTRAP_SERVERS=broker.bootstrap_servers)
            assert users_app.served_versions() == ["v1"]  # the comparison published v2 elsewhere
            assert broker.running  # and never stopped the user's broker
    arch = data["architectures"]["streaming"]
    assert "broker" not in arch["components"] and not arch["faults"]["broker"]["breakable"]
    assert arch["update"]["failed"] == 0 and arch["update"]["converged_s"] is not None
    assert arch["namespace"]["topic"].startswith("archlab.models.cmp-")



def test_models_this_machine_refuses_are_trained_again_before_measuring(trained_home, tmp_path, capsys):
    import shutil

    from archlab.compare.run import ensure_models
    from shared_model import ModelStore
    from shared_model.keys import TrustedKeys, generate_key_pair

    shutil.copytree(trained_home / "models", tmp_path / "models", symlinks=True)
    key = generate_key_pair(tmp_path / "this-machines-key")
    store = ModelStore(tmp_path / "models", key=key, trusted=TrustedKeys.of(key.public_key()))
    assert store.status("v1").startswith("REFUSED")  # signed with a key this machine does not trust

    ensure_models(store)
    assert "training v1, v2" in capsys.readouterr().err
    assert (store.status("v1"), store.status("v2")) == ("ok", "ok")
