"""The async system's shadow guard, on real processes over SQLite and PostgreSQL: a candidate model
answers the stored requests again into a table no user-facing route reads. The system starts on a
database written before that table existed; the faulty v3 is rejected and users, reading through
HTTP, never get one of its prices; a good version passes with its agreement reported."""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import requests
from sqlalchemy import create_engine, delete, insert, inspect, select, text

from shared_model import ModelStore, example_record

from archlab.compare.budget import QUICK
from archlab.compare.guards import run_guard_drill
from async_helpers import async_module, houses
from launch_helpers import writable_home
from patterns.launch.protocols import ReleasesUnderGuard
from patterns.web.auth import admin_headers

pytestmark = pytest.mark.slow

schema = async_module("schema")
Store = async_module("store").Store
ROWS = 300  # stored requests, each with a validated v2 prediction: what the shadow answers again
KEPT_TABLES = ("archlab_runs", "archlab_requests", "archlab_request_payloads", "archlab_predictions",
               "archlab_score_requests", "archlab_actions")  # what version 5 stored (workers come and go)


def version_5_database(url: str, home) -> None:
    """A database as schema version 5 left it: ROWS requests scored by v2 and validated by ann, a
    finished "score now" request, the actions history; no shadow table, no shadow column."""
    store = Store.connect(url)
    try:
        store.submit(houses(ROWS), source="before the shadow")
        job = async_module("job").ScoringJob(store, ModelStore(home / "models"), default_version="v2")
        job.run_once()
        listed = store.listing(async_module("store").Filters(), limit=ROWS)
        store.review([row["prediction_id"] for row in listed], "validated", "ann")
        asked = store.request_scoring("ann")
        store.take_score_request("a worker of version 5")
        store.finish_score_request(asked, stats={"claimed": 0})
    finally:
        store.close()
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE archlab_shadow_predictions"))
        conn.execute(text("ALTER TABLE archlab_score_requests DROP COLUMN shadow_version"))
        conn.execute(delete(schema.schema_version))
        conn.execute(insert(schema.schema_version).values(version=5, applied_at=schema.utcnow()))
    engine.dispose()


def dump(url: str, columns: dict[str, list[str]] | None = None) -> dict[str, list[tuple]]:
    """Every row of the tables version 5 had, in id order (only `columns` of each, when given)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            names = columns or {t: [c["name"] for c in inspect(conn).get_columns(t)] for t in KEPT_TABLES}
            return {table: [tuple(row) for row in conn.execute(text(
                f"SELECT {', '.join(names[table])} FROM {table} ORDER BY {names[table][0]}"))]
                for table in KEPT_TABLES} | {"columns": names}
    finally:
        engine.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def started(request, faulty_home, tmp_path_factory):
    """The async system (worker default v2) started on a version 5 database, and that database's
    rows as they were before the start migrated it."""
    home = writable_home(faulty_home, tmp_path_factory.mktemp("guards-async"))
    url = f"sqlite:///{home / 'async.db'}" if request.param == "sqlite" else request.getfixturevalue(
        "postgres_schema_url")
    version_5_database(url, home)
    before = dump(url)
    settings = async_module("settings").AsyncSettings(home=home, arch="async", database_url=url)
    with async_module("lab.system").SYSTEM(settings=settings, version="v2", every=0.2) as system:
        yield system, before


@pytest.fixture
def system(started):
    return started[0]


def public_answers(system) -> dict[int, dict]:
    """What every stored request's user reads at its status URL."""
    return {i: requests.get(f"{system.url}/requests/{i}", headers={"Accept": "application/json"}, timeout=10).json()
            for i in range(1, ROWS + 1)}


def report_rows(system) -> list[dict]:
    """Every stored prediction, history included: the reviewers' CSV report."""
    answer = requests.get(system.url + "/dashboard/report.csv", headers=admin_headers(system.settings), timeout=30)
    return list(csv.DictReader(io.StringIO(answer.text)))


@contextmanager
def reading_all_along(system) -> Iterator[list[str]]:
    """The bodies of what the routes that return predictions returned, read over and over while
    the body runs: the reviewers' listing and, in turn, each request's public status page."""
    bodies: list[str] = []
    done = threading.Event()

    def read() -> None:
        n = 0
        while not done.is_set():
            n = n % ROWS + 1
            for url, headers in ((f"{system.url}/api/async/requests", admin_headers(system.settings)),
                                 (f"{system.url}/requests/{n}", {"Accept": "application/json"})):
                bodies.append(requests.get(url, headers=headers, timeout=10).text)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        yield bodies
    finally:
        done.set()
        reader.join(10)


def test_the_async_system_offers_a_shadow(system):
    assert isinstance(system, ReleasesUnderGuard)
    assert system.release_guards() == ("shadow",)
    with pytest.raises(ValueError, match="offers the guards shadow; got 'canary'"):
        system.release_under_guard("v3", "canary", 1.0)


def test_a_database_from_before_the_shadow_keeps_its_data(started):
    system, before = started
    url = system.settings.effective_database_url
    assert dump(url, before["columns"]) == before  # every row of every table it had, unchanged
    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.execute(select(schema.schema_version.c.version)).scalars().all() == [5, 6]
        old = conn.execute(select(schema.score_requests.c.shadow_version)).scalars().all()
        assert old == [None]  # the old "score now" request reads as an ordinary pass
    engine.dispose()


def test_a_faulty_version_is_rejected_and_users_never_get_its_prices(system):
    served, reported = public_answers(system), report_rows(system)
    assert {a["prediction"]["model_version"] for a in served.values()} == {"v2"}
    with reading_all_along(system) as bodies:
        report = system.release_under_guard("v3", "shadow", QUICK.drill_watch_s)
        reads_during = len(bodies)
    observed = report.observed
    assert report.outcome == "rejected" and report.stopped and report.started == ()
    assert "flagged by the review gate" in report.reason and "outside the sale prices" in report.reason
    assert observed["rows"] == observed["flagged"] == ROWS and observed["unpredicted"] == 0
    assert observed["agreement"] == 0.0 and observed["agree_within"] == 0.10  # v3's prices are ten times v2's
    assert report.decided_after_s > 0 and observed["worker"]
    assert reads_during > 0 and not [body for body in bodies if '"v3"' in body]
    assert public_answers(system) == served and report_rows(system) == reported  # same rows, same prices
    assert "v3" not in {row["model_version"] for row in report_rows(system)}
    engine = create_engine(system.settings.effective_database_url)
    with engine.connect() as conn:  # the shadow answers are kept, apart, as the pass's record
        kept = conn.execute(select(schema.shadow_predictions.c.model_version).distinct()).scalars().all()
    engine.dispose()
    assert kept == ["v3"]


def test_a_good_version_passes_with_its_agreement_reported_and_promotes_nothing(system):
    served = public_answers(system)
    report = system.release_under_guard("v1", "shadow", QUICK.drill_watch_s)
    observed = report.observed
    assert report.outcome == "passed" and not report.stopped and report.reason is None
    assert observed["rows"] == ROWS and observed["flagged"] == 0
    assert observed["agreement_floor"] <= observed["agreement"] < 1.0  # v1 is another model: close, not equal
    assert public_answers(system) == served and system.served_versions() == ["v2"]


def test_the_drill_under_traffic_counts_no_answer_from_the_faulty_shadow(system):
    drill = run_guard_drill(system, "shadow", QUICK, example_record())
    assert drill.outcome == "rejected" and drill.stopped and drill.rollback_strategy is None
    assert drill.bad_answers == 0 and drill.failed == 0 and drill.requests > 0
    assert {p.version for p in drill.timeline} == {"v2"}  # the traffic log: v2 only
    assert drill.extra_processes == 0 and drill.observed["rows"] > ROWS  # the drill's own request too
    assert system.served_versions() == ["v2"]


def test_a_shadow_of_an_unknown_version_is_refused_with_the_field(system):
    answer = requests.post(system.url + "/api/async/score", json={"shadow": "v9"},
                           headers=admin_headers(system.settings), timeout=10)
    assert answer.status_code == 422
    [error] = answer.json()["errors"]
    assert error["field"] == "shadow" and "v9" in error["message"]


def test_a_shift_the_review_gate_lets_through_is_rejected_by_the_agreement_floor():
    verdict = async_module("shadow").verdict
    unflagged = {"rows": 10, "agreed": 4, "agreement": 0.4, "flagged": 0, "unpredicted": 0, "first_flag": None}
    assert verdict(unflagged) == ("rejected", "40% of the shadow prices within 10% of the served ones; "
                                              "at least 50% must be")
    assert verdict({**unflagged, "agreed": 5, "agreement": 0.5}) == ("passed", None)
    assert verdict({**unflagged, "rows": 0, "agreed": 0, "agreement": None})[0] == "rejected"
